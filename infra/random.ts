/**
 * A seeded pseudo-random generator for tests, generators and benches: the
 * same seed gives the same sequence, so a failing run names the seed that
 * replays it.
 *
 * @module
 */
import { describe } from "./describe.ts";

/**
 * A generator of numbers in [0, 1) from `seed` (mulberry32: 32 bits of state,
 * fast, well spread; not for secrets). Only the seed's low 32 bits count, so
 * `-1` and `2 ** 32 - 1` give the same sequence. Throws a RangeError for a
 * seed that is not a safe integer (a fraction or NaN would not replay).
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // 0.6011037519201636, on every run
 * Math.floor(random() * 6) + 1; // a die roll
 * ```
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(
      `Cannot seed the generator as the seed is not a safe integer: got ${describe(seed)}`,
    );
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
