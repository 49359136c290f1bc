import assert from "node:assert/strict";
import { checkSpec, generateNumbers, type GenerateSpec, isPrime, primesAmong } from "./numbers.ts";
import { sieve } from "./_sieve.ts";
import { readConfig } from "./config.ts";
import { PrimesThreads } from "./tasks.ts";

Deno.test("isPrime() agrees with a sieve up to 100000", () => {
  const primes = sieve(100_000);
  for (let n = -5; n <= 100_000; n++) assert.equal(isPrime(n), primes.has(n), `${n}`);
});

Deno.test("isPrime() handles large numbers and non-integers", () => {
  assert.equal(isPrime(2_147_483_647), true); // 2^31 - 1, a Mersenne prime
  assert.equal(isPrime(2_147_483_649), false);
  assert.equal(isPrime(7.5), false);
});

Deno.test("generateNumbers() is the same for the same seed, and stays in [2, max]", () => {
  const spec = { count: 1000, max: 50, seed: 9 };
  const a = generateNumbers(spec);
  assert.deepEqual(a, generateNumbers(spec));
  assert.notDeepEqual(a, generateNumbers({ ...spec, seed: 10 }));
  assert.ok(a.every((n) => Number.isInteger(n) && n >= 2 && n <= 50));
  assert.equal(new Set(a).size, 49, "every value in [2, 50] shows up in 1000 draws");
  // Pinned: a run recorded with a seed (a failed job's data) keeps replaying the same numbers.
  assert.deepEqual(
    generateNumbers({ count: 8, max: 1000, seed: 1 }),
    [628, 4, 528, 982, 969, 282, 614, 722],
  );
  assert.deepEqual(
    generateNumbers({ count: 3, max: 2147483647, seed: -5 }),
    [1039053928, 113746831, 2016558514],
  );
});

Deno.test("checkSpec() names the bad field", () => {
  assert.throws(
    () => checkSpec({ count: 0, max: 10, seed: 1 }),
    /count must be an integer from 1 to 1000000: got number 0/,
  );
  assert.throws(() => checkSpec({ count: 1, max: 1, seed: 1 }), /max must be/);
  assert.throws(() => checkSpec({ count: 1, max: 10, seed: 0.5 }), /seed must be an integer/);
});

Deno.test("checkSpec() shows a bad value by its type, and at most 60 characters of it", () => {
  const spec = { count: 1, max: 10, seed: 1 };
  const cases: [Record<string, unknown>, string][] = [
    [{ count: "5" }, 'count must be an integer from 1 to 1000000: got string "5"'],
    [{ max: null }, "max must be an integer from 2 to 2147483647: got null"],
    [{ seed: undefined }, "seed must be an integer: got undefined"],
    [{ count: "7".repeat(5_000_000) }, `got string "${"7".repeat(60)}…" (5000000 characters)`],
    [
      { max: Array(1_000_000).fill(1) },
      "max must be an integer from 2 to 2147483647: got an array",
    ],
  ];
  for (const [bad, message] of cases) {
    assert.throws(
      () => checkSpec({ ...spec, ...bad } as unknown as GenerateSpec),
      (err: Error) => err.name === "RangeError" && err.message.endsWith(message),
      message,
    );
  }
});

Deno.test("primesAmong() returns the distinct primes, ascending", () => {
  assert.deepEqual(primesAmong([10, 7, 3, 7, 4, 1, 2]), [2, 3, 7]);
});

Deno.test("readConfig() uses the defaults and rejects a bad REDIS_URL, LOCK_DURATION_MS or CONCURRENCY", () => {
  assert.deepEqual(readConfig({}), {
    redisUrl: "redis://127.0.0.1:6379",
    queue: "primes-flow",
    lockDurationMs: 30_000,
    concurrency: 8,
  });
  assert.throws(
    () => readConfig({ REDIS_URL: "localhost:6379" }),
    /'REDIS_URL' as it is not a redis: URL: current value is "localhost:6379"/,
  );
  for (const value of ["", "999", "600001", "1.5", "-1000", "NaN", "2e3"]) {
    assert.throws(
      () => readConfig({ LOCK_DURATION_MS: value }),
      new RangeError(
        `Cannot use 'LOCK_DURATION_MS' as it is not an integer from 1000 to 600000: current value is ${
          JSON.stringify(value)
        }`,
      ),
    );
  }
  assert.equal(readConfig({ CONCURRENCY: "2" }).concurrency, 2);
  for (const value of ["0", "1001", "2.5", "eight"]) {
    assert.throws(
      () => readConfig({ CONCURRENCY: value }),
      new RangeError(
        `Cannot use 'CONCURRENCY' as it is not an integer from 1 to 1000: current value is ${
          JSON.stringify(value)
        }`,
      ),
    );
  }
});

Deno.test("PrimesThreads fails the search whose thread failed, and the next search gets a new thread", async () => {
  const threads = new PrimesThreads(1, new URL("./_failing_thread.ts", import.meta.url));
  try {
    assert.deepEqual(await threads.search([10, 7, 3, 7, 4]), [3, 7]);
    await assert.rejects(threads.search([13]), /primes: the search thread failed: .*unlucky 13/);
    assert.deepEqual(await threads.search([11, 12]), [11]);
    assert.equal(threads.started, 1);
  } finally {
    threads.close();
  }
});
