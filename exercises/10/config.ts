/**
 * Exercise 10's settings, read from env vars in one place, with defaults that
 * work with `make services`. A bad value stops the program with a message
 * naming the variable.
 *
 * @module
 */

/** Settings of workers, the supervisor and the enqueuer. */
export interface Config {
  /** `REDIS_URL`. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `QUEUE_NAME`. Default `tasks`. */
  queue: string;
  /** `WORKER_NAME`: this worker's name; the id printed is `host:pid:name`. Default `worker`. */
  workerName: string;
  /** `CONCURRENCY`: jobs one worker runs at once. Default 1. */
  concurrency: number;
  /** `LOCK_DURATION_MS`: a job's lock; a dead worker's job is free again after it. Default 5000. */
  lockDurationMs: number;
  /** `STALLED_INTERVAL_MS`: how often workers look for jobs whose lock ran out. Default 2000. */
  stalledIntervalMs: number;
  /**
   * `MAX_STALLED_COUNT`: how many times a job whose worker died goes back on
   * the queue; one more and it fails ("job stalled more than allowable
   * limit"). Default 1 (BullMQ's), 0 to 100.
   */
  maxStalledCount: number;
  /** `MIN_WORKERS` / `MAX_WORKERS`: the supervisor's bounds, as Celery's `--autoscale=max,min`. Defaults 1, 4. */
  minWorkers: number;
  maxWorkers: number;
  /** `JOBS_PER_WORKER`: backlog one worker is expected to handle; more adds a worker. Default 10. */
  jobsPerWorker: number;
  /** `TICK_MS`: how often the supervisor looks at the queue. Default 500. */
  tickMs: number;
  /** `IDLE_TICKS`: ticks with an empty queue before a worker is stopped. Default 4. */
  idleTicks: number;
  /** `WORKER_DENO_FLAGS`: flags the supervisor starts workers with. Default `-A`. */
  workerDenoFlags: string[];
}

/**
 * `raw` as an integer from `min` to `max` (decimal digits only), or a
 * `RangeError` naming the setting and its value.
 *
 * @example
 * ```ts
 * integerSetting("CONCURRENCY", "8", 1, 1000); // 8
 * integerSetting("CONCURRENCY", "2.5", 1, 1000); // throws RangeError: Cannot use 'CONCURRENCY' …
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
 * readConfig({ MAX_WORKERS: "8" }).maxWorkers; // 8
 * readConfig({ MIN_WORKERS: "5", MAX_WORKERS: "2" }); // throws RangeError
 * ```
 */
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const text = (name: string, fallback: string): string => {
    const value = (vars[name] ?? fallback).trim();
    if (value === "") {
      throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
    }
    return value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number =>
    integerSetting(name, vars[name] ?? String(fallback), min, max);
  const redisUrl = text("REDIS_URL", "redis://127.0.0.1:6379");
  if (!URL.canParse(redisUrl) || !["redis:", "rediss:"].includes(new URL(redisUrl).protocol)) {
    throw new TypeError(
      `Cannot use 'REDIS_URL' as it is not a redis: URL: current value is "${redisUrl}"`,
    );
  }
  const config = {
    redisUrl,
    queue: text("QUEUE_NAME", "tasks"),
    workerName: text("WORKER_NAME", "worker"),
    concurrency: integer("CONCURRENCY", 1, 1, 1000),
    lockDurationMs: integer("LOCK_DURATION_MS", 5000, 1000, 600_000),
    stalledIntervalMs: integer("STALLED_INTERVAL_MS", 2000, 500, 600_000),
    maxStalledCount: integer("MAX_STALLED_COUNT", 1, 0, 100),
    minWorkers: integer("MIN_WORKERS", 1, 0, 64),
    maxWorkers: integer("MAX_WORKERS", 4, 1, 64),
    jobsPerWorker: integer("JOBS_PER_WORKER", 10, 1, 100_000),
    tickMs: integer("TICK_MS", 500, 50, 600_000),
    idleTicks: integer("IDLE_TICKS", 4, 1, 10_000),
    workerDenoFlags: text("WORKER_DENO_FLAGS", "-A").split(/\s+/),
  };
  if (config.minWorkers > config.maxWorkers) {
    throw new RangeError(
      `Cannot use 'MIN_WORKERS' as it is above MAX_WORKERS (${config.maxWorkers}): current value is "${config.minWorkers}"`,
    );
  }
  return config;
}
