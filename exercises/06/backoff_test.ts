import assert from "node:assert/strict";
import { seededRandom } from "../../infra/random.ts";
import { backoffDelay } from "./backoff.ts";
import { readConfig, readFlakyConfig } from "./config.ts";

Deno.test("backoffDelay() doubles from the base: 1 s, 2 s, 4 s", () => {
  assert.deepEqual([1, 2, 3].map((n) => backoffDelay(n, { baseMs: 1000 })), [1000, 2000, 4000]);
});

Deno.test("backoffDelay() never waits longer than maxMs, however many attempts", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 10, 1100, 5000].map((n) => backoffDelay(n, { baseMs: 1000, maxMs: 3000 })),
    [1000, 2000, 3000, 3000, 3000, 3000, 3000],
  );
  // 2^1100 is Infinity: the cap still holds.
  assert.equal(backoffDelay(1100, { baseMs: 1, maxMs: 60_000 }), 60_000);
  assert.equal(
    backoffDelay(5, { baseMs: 1000, maxMs: 3000, jitter: 0.5, random: () => 0 }),
    1500,
    "jitter spreads the capped wait",
  );
});

Deno.test("backoffDelay() with jitter stays within [max × (1 - jitter), max]", () => {
  assert.equal(backoffDelay(3, { baseMs: 1000, jitter: 0.5, random: () => 0 }), 2000);
  assert.equal(backoffDelay(3, { baseMs: 1000, jitter: 0.5, random: () => 0.999999 }), 3999);
  const random = seededRandom(3);
  for (let i = 0; i < 1000; i++) {
    const delay = backoffDelay(2, { baseMs: 1000, jitter: 1, random });
    assert.ok(delay >= 0 && delay <= 2000, `${delay}`);
  }
});

Deno.test("readConfig() uses the documented defaults and rejects bad values", () => {
  const config = readConfig({});
  assert.equal(config.attempts, 4);
  assert.equal(config.backoffBaseMs, 1000);
  assert.equal(config.backoffMaxMs, 60_000);
  assert.equal(config.backoffJitter, 0);
  assert.equal(config.concurrency, 50);
  assert.equal(config.flakyUrl, "http://127.0.0.1:8606");
  assert.throws(
    () => readConfig({ ATTEMPTS: "0" }),
    /'ATTEMPTS' as it is not an integer from 1 to 100: current value is "0"/,
  );
  assert.throws(() => readConfig({ BACKOFF_JITTER: "2" }), /'BACKOFF_JITTER'/);
  assert.throws(
    () => readConfig({ REDIS_URL: "localhost:6379" }),
    /'REDIS_URL' as it is not a redis: or rediss: URL/,
  );
  assert.throws(
    () => readConfig({ BACKOFF_BASE_MS: "2000", BACKOFF_MAX_MS: "1000" }),
    /'BACKOFF_MAX_MS' as it is below BACKOFF_BASE_MS \(2000\): current value is "1000"/,
  );
});

/** Values no numeric setting takes: not integers, negative, not numbers, empty, other notations. */
const NOT_INTEGERS = ["2.5", "-1", "NaN", "", " ", "abc", "1e3", "0x10", "+5", "Infinity"];

Deno.test("readConfig() and readFlakyConfig() reject every bad numeric setting, naming it and its value", () => {
  const settings: [string, (vars: Record<string, string>) => unknown, string, string[]][] = [
    ["ATTEMPTS", readConfig, "an integer from 1 to 100", ["0", "101"]],
    ["BACKOFF_BASE_MS", readConfig, "an integer from 0 to 3600000", ["3600001"]],
    ["BACKOFF_MAX_MS", readConfig, "an integer from 0 to 86400000", ["86400001"]],
    ["REQUEST_TIMEOUT_MS", readConfig, "an integer from 1 to 600000", ["0"]],
    ["CONCURRENCY", readConfig, "an integer from 1 to 1000", ["0", "1001"]],
    ["FLAKY_PORT", readFlakyConfig, "an integer from 0 to 65535", ["65536"]],
    ["FLAKY_SEED", readFlakyConfig, "an integer from 0 to 4294967295", ["4294967296"]],
    ["FLAKY_LATENCY_MS", readFlakyConfig, "an integer from 0 to 60000", ["60001"]],
  ];
  for (const [name, read, range, outOfRange] of settings) {
    for (const value of [...NOT_INTEGERS, ...outOfRange]) {
      assert.throws(
        () => read({ [name]: value }),
        new RangeError(
          `Cannot use '${name}' as it is not ${range}: current value is ${JSON.stringify(value)}`,
        ),
      );
    }
  }
  for (
    const [name, read] of [["BACKOFF_JITTER", readConfig], [
      "FLAKY_FAILURE_RATE",
      readFlakyConfig,
    ]] as const
  ) {
    for (const value of ["-0.5", "1.5", "NaN", "", "abc", "1e-1", ".5"]) {
      assert.throws(
        () => read({ [name]: value }),
        new RangeError(
          `Cannot use '${name}' as it is not a number from 0 to 1: current value is ${
            JSON.stringify(value)
          }`,
        ),
      );
    }
  }
  assert.deepEqual(readFlakyConfig({ FLAKY_SEED: "13", FLAKY_FAILURE_RATE: "0.25" }), {
    port: 8606,
    hostname: "127.0.0.1",
    failureRate: 0.25,
    seed: 13,
    latencyMs: 0,
  });
});
