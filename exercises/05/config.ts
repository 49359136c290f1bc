/**
 * Exercise 05's settings, read from env vars in one place.
 *
 * @module
 */

/** Where the jobs go. */
export interface Config {
  /** `REDIS_URL`. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `QUEUE_NAME`: the queue both tasks share. Default `primes-flow`. */
  queue: string;
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
  return { redisUrl, queue };
}
