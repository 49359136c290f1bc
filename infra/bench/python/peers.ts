/**
 * What the Python rows share: the venv's python (env.sh), a Python peer run
 * as a process with its output read line by line, medians of runs taken in
 * turn with ours, and Redis keys removed by prefix.
 *
 * @module
 */
import { Redis } from "ioredis";
import { env } from "../../env.ts";
import { type Script, startCommand } from "../../script.ts";

/** This folder, where the Python peers live (their working directory). */
export const HERE = new URL(".", import.meta.url).pathname;

let cached: string | undefined;

/** The venv python with requirements.txt installed (env.sh creates it once). */
export async function python(): Promise<string> {
  if (cached) return cached;
  const out = await new Deno.Command(`${HERE}env.sh`, { stderr: "inherit" }).output();
  if (!out.success) throw new Error("infra/bench/python/env.sh could not make the Python venv");
  cached = new TextDecoder().decode(out.stdout).trim();
  return cached;
}

/** Starts `python args…` in this folder, reading its output as Lines (as startScript does). */
export async function startPython(
  args: string[],
  vars: Record<string, string> = {},
): Promise<Script> {
  return startCommand(await python(), args, vars, HERE);
}

/** Runs a started script to its end; its stdout lines, or an error with its stderr. */
export async function finish(script: Script, what: string): Promise<string[]> {
  const status = await script.status;
  if (status.code !== 0) {
    throw new Error(`${what} exited with ${status.code}:\n${script.stderr.tail(15)}`);
  }
  return script.stdout.lines;
}

/** The median of the numbers. */
export function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `ours` and `theirs` in turn `runs` times (so load on the machine hits both alike). */
export async function inTurn<T>(
  runs: number,
  ours: () => Promise<T>,
  theirs: () => Promise<T>,
): Promise<{ ours: T[]; theirs: T[] }> {
  const result = { ours: [] as T[], theirs: [] as T[] };
  for (let i = 0; i < runs; i++) {
    result.ours.push(await ours());
    result.theirs.push(await theirs());
  }
  return result;
}

/** Deletes every Redis key that starts with `prefix`; returns how many. */
export async function deleteByPrefix(prefix: string): Promise<number> {
  const redis = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Starts a Celery worker on `app` with `processes` pool processes and waits until it is ready. */
export async function startCelery(app: string, processes: number, prefix: string): Promise<Script> {
  const worker = await startPython(
    // WARNING is Celery's default: no log line per task.
    ["-m", "celery", "-A", app, "worker", "-c", `${processes}`, "--loglevel", "WARNING"],
    { CELERY_PREFIX: prefix },
  );
  // celery_app.py prints this once the worker consumes.
  await worker.stderr.waitFor(
    (l) => l.includes("celery: worker ready"),
    60_000,
    `the Celery worker of ${app}`,
  );
  return worker;
}
