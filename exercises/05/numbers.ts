/**
 * The two tasks' pure logic: generate random numbers (seeded, so a run can be
 * replayed), and find the primes among them.
 *
 * @module
 */
import { describe } from "../../infra/describe.ts";
import { seededRandom } from "../../infra/random.ts";

/** What a generate job asks for. */
export interface GenerateSpec {
  /** How many numbers, 1 to 1,000,000. */
  count: number;
  /** Largest number, 2 to 2^31 - 1. Numbers are drawn from [2, max]. */
  max: number;
  /** Seed of the random source. */
  seed: number;
}

/**
 * Checks a generate spec, throwing a `RangeError` that names the field and
 * shows the value as `describe()` does (type, and at most 60 characters: a
 * job's data can hold anything).
 *
 * @example
 * ```ts
 * checkSpec({ count: 0, max: 100, seed: 1 }); // throws RangeError: count must be …
 * ```
 */
export function checkSpec(spec: GenerateSpec): GenerateSpec {
  const { count, max, seed } = spec;
  if (!Number.isSafeInteger(count) || count < 1 || count > 1_000_000) {
    throw new RangeError(
      `count must be an integer from 1 to 1000000: got ${describe(count)}`,
    );
  }
  if (!Number.isSafeInteger(max) || max < 2 || max > 2 ** 31 - 1) {
    throw new RangeError(`max must be an integer from 2 to 2147483647: got ${describe(max)}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be an integer: got ${describe(seed)}`);
  }
  return spec;
}

/**
 * `count` numbers drawn uniformly from [2, max] with `seededRandom()`
 * (infra/random.ts): the same spec always gives the same numbers.
 *
 * @example
 * ```ts
 * generateNumbers({ count: 3, max: 100, seed: 7 }); // three numbers in [2, 100], the same every time
 * ```
 */
export function generateNumbers(spec: GenerateSpec): number[] {
  const { count, max, seed } = checkSpec(spec);
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => 2 + Math.floor(random() * (max - 1)));
}

/**
 * True when `n` is prime: trial division by 2, 3 and 6k ± 1 up to √n.
 *
 * @example
 * ```ts
 * [1, 2, 9, 97].map(isPrime); // [false, true, false, true]
 * ```
 */
export function isPrime(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0 || n % 3 === 0) return false;
  for (let d = 5; d * d <= n; d += 6) {
    if (n % d === 0 || n % (d + 2) === 0) return false;
  }
  return true;
}

/**
 * The distinct primes among the numbers, ascending.
 *
 * @example
 * ```ts
 * primesAmong([10, 7, 3, 7, 4]); // [3, 7]
 * ```
 */
export function primesAmong(numbers: ArrayLike<number>): number[] {
  const primes = new Set<number>();
  for (let i = 0; i < numbers.length; i++) if (isPrime(numbers[i])) primes.add(numbers[i]);
  return [...primes].sort((a, b) => a - b);
}
