/**
 * The retry schedule and a seeded random source: pure functions, so the
 * schedule can be checked without waiting for it.
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

/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the
 * same sequence in [0, 1), so a "50% failure" run can be replayed exactly.
 *
 * @example
 * ```ts
 * const a = seeded(42), b = seeded(42);
 * a() === b(); // true
 * ```
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
