/**
 * One Lambda function under the AWS runtime interface emulator (RIE), run
 * natively with the Deno runtime of `bootstrap.ts`: what the tests, demos and
 * benches of exercises 03 and 09 invoke. The emulator runs one invocation at
 * a time (a concurrent one can crash it), so `invoke()` queues them.
 *
 * @example
 * ```ts
 * const fn = await startFunction("exercises/03/handler.handler", { env: { ROWS_TABLE: "t" } });
 * try {
 *   const result = await fn.invoke({ Records: [] });
 *   if (!result.ok) console.error(result.error);
 * } finally {
 *   await fn.stop();
 * }
 * ```
 * @module
 */
import { Lines, readLines } from "../script.ts";
import type { LambdaError } from "./runtime.ts";
import { awsConfig } from "../env.ts";
import { buildTaskRoot, type TaskRoot } from "./task_root.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The outcome of one invocation. */
export type Invocation =
  | { ok: true; status: number; result: unknown; ms: number }
  | { ok: false; status: number; error: LambdaError; ms: number };

/** A function running under the emulator. */
export interface LambdaFunction {
  /** The invoke URL, the same path as the Lambda Invoke API. */
  url: string;
  /** The emulator's process id (the runtime is its child). */
  pid: number;
  /** The emulator's and the function's output, line by line. */
  logs: Lines;
  /** Invokes with `event`; waits for the invocations queued before it. */
  invoke(event: unknown): Promise<Invocation>;
  /** Ends the emulator and the runtime. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startFunction}. */
export interface FunctionOptions {
  /** Env vars for the function (merged over this process's env). */
  env?: Record<string, string>;
  /** `AWS_LAMBDA_FUNCTION_NAME`. Default "function". */
  name?: string;
  /** `AWS_LAMBDA_FUNCTION_TIMEOUT` in seconds. Default 60. */
  timeoutSeconds?: number;
  /** Echo each log line (for demos). */
  onLog?: (line: string) => void;
  /**
   * Mount the code and Deno's cache read-only for the function, as /var/task
   * is in Lambda (only /tmp stays writable): a write elsewhere fails. Uses a
   * private mount namespace (`unshare --mount`), so it needs root. Default false.
   */
  readOnly?: boolean;
  /**
   * Run from the task root this Dockerfile (relative to the repo root)
   * builds, read-only, instead of the repo: see `task_root.ts`. Implies
   * `readOnly`. Default: none.
   */
  image?: string;
}

// Runs "$@" after bind-mounting each directory of $RO_DIRS (colon-separated)
// read-only, inside the private mount namespace unshare made.
const READ_ONLY_SCRIPT = `set -e
IFS=:
for d in $RO_DIRS; do mount --bind "$d" "$d" && mount -o remount,bind,ro "$d"; done
unset IFS
exec "$@"`;

async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

/** The emulator binary `make services` built (infra/services.sh installs it if missing). */
export async function emulatorPath(): Promise<string> {
  const out = await new Deno.Command(`${ROOT}infra/services.sh`, {
    args: ["bin", "rie"],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("Cannot install the Lambda runtime interface emulator");
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * One invocation through the Invoke API path of the emulator (or of a
 * function's container): a function error (the handler threw, start-up
 * failed, the timeout struck) comes back as `ok: false` with Lambda's error
 * body.
 *
 * @example
 * ```ts
 * await invokeUrl("http://127.0.0.1:9000/2015-03-31/functions/function/invocations", {});
 * ```
 */
export async function invokeUrl(url: string, event: unknown): Promise<Invocation> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", body: JSON.stringify(event) });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the emulator's own error text, such as a timeout.
  }
  // AWS marks a function error with X-Amz-Function-Error; the emulator does
  // not: it answers 200 with Lambda's error body, or with a timeout text.
  const errorBody = typeof body === "object" && body !== null && "errorType" in body &&
    "errorMessage" in body;
  const timedOut = typeof body === "string" && /^Task timed out after/.test(body);
  const failed = response.headers.has("x-amz-function-error") || response.status !== 200 ||
    errorBody || timedOut;
  if (!failed) return { ok: true, status: response.status, result: body, ms };
  const error = errorBody ? body as LambdaError : {
    errorType: timedOut ? "Sandbox.Timedout" : `HTTP ${response.status}`,
    errorMessage: text,
    stackTrace: [],
  };
  return { ok: false, status: response.status, error, ms };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

/**
 * Starts the emulator with the Deno runtime serving `handler`
 * (`<module>.<export>`, relative to the repo root) and waits until it listens.
 * The function starts (its init phase) on the first invocation, as in Lambda.
 */
export async function startFunction(
  handler: string,
  options: FunctionOptions = {},
): Promise<LambdaFunction> {
  const { env = {}, name = "function", timeoutSeconds = 60, onLog, image } = options;
  const readOnly = options.readOnly || image !== undefined;
  const rie = await emulatorPath();
  let taskRoot: TaskRoot | undefined;
  if (image) {
    taskRoot = await buildTaskRoot(image);
    if (taskRoot.handler !== handler) {
      await taskRoot.remove();
      throw new Error(`Cannot run ${handler} from ${image}: its CMD is ${taskRoot.handler}`);
    }
  }
  const root = taskRoot ? `${taskRoot.dir}/` : ROOT;
  const port = freePort();
  const wrap = readOnly ? ["--mount", "sh", "-c", READ_ONLY_SCRIPT, "sh", rie] : [];
  const child = new Deno.Command(readOnly ? "unshare" : rie, {
    args: [
      ...wrap,
      "--runtime-interface-emulator-address",
      `127.0.0.1:${port}`,
      "--runtime-api-address",
      `127.0.0.1:${freePort()}`,
      // The image's bootstrap script: the same flags and permissions as in Lambda.
      `${ROOT}infra/lambda/bootstrap`,
    ],
    cwd: root,
    env: {
      // Lambda gives every function its role's credentials and region; the
      // emulator passes on only what it has (and empty strings for the rest).
      AWS_REGION: awsConfig().region,
      AWS_ACCESS_KEY_ID: awsConfig().credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: awsConfig().credentials.secretAccessKey,
      ...env,
      _HANDLER: handler,
      LAMBDA_TASK_ROOT: root,
      DENO: Deno.execPath(),
      ...(readOnly ? { RO_DIRS: `${root.replace(/\/$/, "")}:${await denoDir()}` } : {}),
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(timeoutSeconds),
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs = new Lines();
  logs.onLine = onLog;
  const pumps = Promise.all([readLines(child.stdout, logs), readLines(child.stderr, logs)]);
  let exited = false;
  child.status.then(() => exited = true);
  const url = `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`;

  // Ready = the port accepts a connection (any HTTP request there would invoke).
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (exited || Date.now() > deadline) {
        try {
          child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
        await child.status;
        await pumps;
        await taskRoot?.remove();
        throw new Error(`Cannot start the Lambda emulator on port ${port}:\n${logs.tail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  let queue: Promise<unknown> = Promise.resolve();
  return {
    url,
    pid: child.pid,
    logs,
    invoke(event) {
      const next = queue.then(() => invokeUrl(url, event));
      queue = next.catch(() => undefined);
      return next;
    },
    async stop() {
      await queue;
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await child.status;
      await pumps;
      await taskRoot?.remove();
    },
  };
}

/**
 * The memory of the function's runtime process (the emulator's child running
 * bootstrap.ts), in MB: now (VmRSS) and at its peak (VmHWM). For benches.
 *
 * @example
 * ```ts
 * runtimeMemory(fn); // { rssMb: 120, peakMb: 164 }
 * ```
 */
export function runtimeMemory(fn: LambdaFunction): { rssMb: number; peakMb: number } {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const status = Deno.readTextFileSync(`/proc/${entry.name}/status`);
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) !== fn.pid) continue;
      if (!cmdline.includes("bootstrap.ts")) continue;
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]);
      return { rssMb: Math.round(kb("VmRSS") / 1024), peakMb: Math.round(kb("VmHWM") / 1024) };
    } catch {
      // The process went away.
    }
  }
  throw new Error(`No runtime process under the emulator (pid ${fn.pid})`);
}
