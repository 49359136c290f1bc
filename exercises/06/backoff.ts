/**
 * The retry schedule and a seeded random source: pure functions, so the
 * schedule can be checked without waiting for it.
 *
 * @module
 */

/**
 * The wait after failed attempt `attemptsMade` (1, 2, 3, …): `baseMs × 2^(n-1)`,
 * so 1 s, 2 s, 4 s for a base of 1000 ms, as BullMQ's built-in `exponential`.
 * With `jitter` in (0, 1], the wait is drawn uniformly from
 * `[max × (1 - jitter), max]`, so many clients failing together do not all
 * retry at the same instant.
 *
 * @example
 * ```ts
 * [1, 2, 3].map((n) => backoffDelay(n, 1000)); // [1000, 2000, 4000]
 * backoffDelay(3, 1000, 0.5, () => 0); // 2000: the low end of [2000, 4000]
 * ```
 */
export function backoffDelay(
  attemptsMade: number,
  baseMs: number,
  jitter = 0,
  random: () => number = Math.random,
): number {
  const max = Math.round(baseMs * 2 ** (attemptsMade - 1));
  if (jitter <= 0) return max;
  return Math.floor(max * (1 - jitter) + random() * max * jitter);
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
