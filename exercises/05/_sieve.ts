/** Test helper: an independent primality check, to judge `isPrime` and the flows by. */

/** The primes up to `max`, by the sieve of Eratosthenes. */
export function sieve(max: number): Set<number> {
  const composite = new Uint8Array(max + 1);
  const primes = new Set<number>();
  for (let i = 2; i <= max; i++) {
    if (composite[i]) continue;
    primes.add(i);
    for (let j = i * i; j <= max; j += i) composite[j] = 1;
  }
  return primes;
}
