/**
 * Runs a Deno script of the project as a child process and collects its
 * stdout and stderr line by line, for demos and end-to-end tests.
 *
 * @example
 * ```ts
 * const consumer = startScript("exercises/01/consumer.ts", [], { ORDERS_GROUP: "g" });
 * await consumer.stdout.waitFor((lines) => lines.length >= 6, 30_000);
 * await consumer.stop(); // SIGTERM, then the exit status
 * ```
 * @module
 */

/** Lines a stream has printed so far, and a way to wait for more. */
export class Lines {
  readonly lines: string[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  /** Called for every line as it arrives (for echoing progress). */
  onLine?: (line: string) => void;

  push(line: string): void {
    this.lines.push(line);
    this.onLine?.(line);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `done(lines)` is true; throws after `timeoutMs` or if the stream ends first. */
  async waitFor(
    done: (lines: string[]) => boolean,
    timeoutMs: number,
    what = "output",
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.lines)) {
      if (this.#ended) throw new Error(`Stream ended before ${what}; last lines:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${this.tail()}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  tail(n = 10): string {
    return this.lines.slice(-n).join("\n");
  }
}

/** Reads a byte stream into `into` line by line, then ends it. */
export async function readLines(stream: ReadableStream<Uint8Array>, into: Lines): Promise<void> {
  let carry = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (carry + chunk).split("\n");
    carry = parts.pop()!;
    for (const line of parts) into.push(line);
  }
  if (carry !== "") into.push(carry);
  into.end();
}

/** A running script. */
export interface Script {
  child: Deno.ChildProcess;
  stdout: Lines;
  stderr: Lines;
  /** Resolves when the process has exited and both streams are read to the end. */
  status: Promise<Deno.CommandStatus>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

const ROOT = new URL("../", import.meta.url);

/**
 * Starts `deno run -A <script> ...args` with extra env vars, from the project
 * root (or from `cwd`, for a script copied out of the project).
 */
export function startScript(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
  cwd: string | URL = ROOT,
): Script {
  return startCommand(Deno.execPath(), ["run", "-A", script, ...args], env, cwd);
}

/** Starts any command with extra env vars, its stdout and stderr read as {@linkcode Lines}. */
export function startCommand(
  cmd: string,
  args: string[] = [],
  env: Record<string, string> = {},
  cwd: string | URL = ROOT,
): Script {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Lines();
  const stderr = new Lines();
  const pumps = Promise.all([readLines(child.stdout, stdout), readLines(child.stderr, stderr)]);
  const status = child.status.then(async (s) => {
    await pumps;
    return s;
  });
  return {
    child,
    stdout,
    stderr,
    status,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
      return await status;
    },
  };
}

/**
 * Copies `files` (paths from the project root) into a new empty folder, as a
 * learner copying a solution out would: no deno.json, no import map, no
 * lockfile, nothing else of the project beside them. Returns the folder;
 * remove it when done.
 *
 * @example
 * ```ts
 * const dir = await copyAlone(["exercises/01/solution.ts"]);
 * const run = startScript("solution.ts", ["consume"], {}, dir);
 * ```
 */
export async function copyAlone(files: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "copied-alone-" });
  for (const file of files) {
    await Deno.copyFile(new URL(file, ROOT), `${dir}/${file.split("/").at(-1)}`);
  }
  return dir;
}

/**
 * The script's exit status once it exits, or null if it still runs after `ms`.
 *
 * @example
 * ```ts
 * const status = await exitWithin(consumer, 30_000);
 * assert.ok(status, "still running");
 * ```
 */
export async function exitWithin(script: Script, ms: number): Promise<Deno.CommandStatus | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      script.status,
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
