/**
 * The retry schedule: a pure function, so the schedule can be checked
 * without waiting for it.
 *
 * @module
 */

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** The wait after the first failure. */
  baseMs: number;
  /** No wait is longer (Celery's `retry_backoff_max`). Default: no cap. */
  maxMs?: number;
  /** 0 for exact waits; in (0, 1], each wait is drawn from `[wait × (1 - jitter), wait]`. Default 0. */
  jitter?: number;
  /** The random source for the jitter. Default `Math.random`. */
  random?: () => number;
}

/**
 * The wait after failed attempt `attemptsMade` (1, 2, 3, …):
 * `baseMs × 2^(n-1)`, so 1 s, 2 s, 4 s for a base of 1000 ms, as BullMQ's
 * built-in `exponential`, but never more than `maxMs`. With `jitter`, the
 * (capped) wait is drawn uniformly from `[wait × (1 - jitter), wait]`, so many
 * clients failing together do not all retry at the same instant.
 *
 * @example
 * ```ts
 * [1, 2, 3].map((n) => backoffDelay(n, { baseMs: 1000 })); // [1000, 2000, 4000]
 * [1, 2, 3].map((n) => backoffDelay(n, { baseMs: 1000, maxMs: 2500 })); // [1000, 2000, 2500]
 * backoffDelay(3, { baseMs: 1000, jitter: 0.5, random: () => 0 }); // 2000: the low end of [2000, 4000]
 * ```
 */
export function backoffDelay(attemptsMade: number, options: BackoffOptions): number {
  const { baseMs, maxMs = Infinity, jitter = 0, random = Math.random } = options;
  const wait = Math.min(maxMs, Math.round(baseMs * 2 ** (attemptsMade - 1)));
  if (jitter <= 0) return wait;
  return Math.floor(wait * (1 - jitter) + random() * wait * jitter);
}
