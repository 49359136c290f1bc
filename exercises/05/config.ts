/**
 * Exercise 05's settings, read from env vars in one place, and the integer
 * check its CLI options share.
 *
 * @module
 */

/** Where the jobs go, and how long a running job's lock lasts. */
export interface Config {
  /** `REDIS_URL`. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `QUEUE_NAME`: the queue both tasks share. Default `primes-flow`. */
  queue: string;
  /**
   * `LOCK_DURATION_MS`: a running job's lock, renewed every half of it while
   * the job runs; a job whose lock runs out is taken for stalled and run
   * again. Default 30000 (BullMQ's), 1000 to 600000.
   */
  lockDurationMs: number;
  /**
   * `CONCURRENCY`: jobs one worker runs at once. A job here mostly waits on
   * Redis (its moves are Lua scripts, one round trip each), so more than the
   * cores keeps Redis and the worker busy; the primes searches still run on
   * at most one thread per core. Default 8, 1 to 1000.
   */
  concurrency: number;
}

/**
 * `raw` as an integer from `min` to `max` (decimal digits only), or a
 * `RangeError` naming the setting and its value.
 *
 * @example
 * ```ts
 * integerSetting("--parts", "4", 1, 32); // 4
 * integerSetting("--parts", "2.5", 1, 32); // throws RangeError: Cannot use '--parts' …
 * ```
 */
export function integerSetting(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new RangeError(
      `Cannot use '${name}' as it is not an integer from ${min} to ${max}: current value is ${
        JSON.stringify(raw)
      }`,
    );
  }
  return value;
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({}).queue; // "primes-flow"
 * readConfig({ REDIS_URL: "localhost" }); // throws TypeError
 * ```
 */
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const redisUrl = (vars.REDIS_URL ?? "redis://127.0.0.1:6379").trim();
  if (!URL.canParse(redisUrl) || !["redis:", "rediss:"].includes(new URL(redisUrl).protocol)) {
    throw new TypeError(
      `Cannot use 'REDIS_URL' as it is not a redis: URL: current value is "${redisUrl}"`,
    );
  }
  const queue = (vars.QUEUE_NAME ?? "primes-flow").trim();
  if (queue === "" || queue.includes(":")) {
    throw new TypeError(
      `Cannot use 'QUEUE_NAME' as it is empty or has a ':': current value is "${queue}"`,
    );
  }
  const lockDurationMs = integerSetting(
    "LOCK_DURATION_MS",
    vars.LOCK_DURATION_MS ?? "30000",
    1000,
    600_000,
  );
  const concurrency = integerSetting("CONCURRENCY", vars.CONCURRENCY ?? "8", 1, 1000);
  return { redisUrl, queue, lockDurationMs, concurrency };
}
