import assert from "node:assert/strict";
import { backoffDelay, seeded } from "./backoff.ts";
import { readConfig } from "./config.ts";

Deno.test("backoffDelay() doubles from the base: 1 s, 2 s, 4 s", () => {
  assert.deepEqual([1, 2, 3].map((n) => backoffDelay(n, 1000)), [1000, 2000, 4000]);
});

Deno.test("backoffDelay() with jitter stays within [max × (1 - jitter), max]", () => {
  assert.equal(backoffDelay(3, 1000, 0.5, () => 0), 2000);
  assert.equal(backoffDelay(3, 1000, 0.5, () => 0.999999), 3999);
  const random = seeded(3);
  for (let i = 0; i < 1000; i++) {
    const delay = backoffDelay(2, 1000, 1, random);
    assert.ok(delay >= 0 && delay <= 2000, `${delay}`);
  }
});

Deno.test("seeded() replays the same sequence for the same seed, in [0, 1)", () => {
  const a = seeded(42);
  const b = seeded(42);
  const xs = Array.from({ length: 100 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, seeded(43)));
  // Roughly half the draws are below 0.5: the "50% failure" really is 50%.
  const c = seeded(7);
  const below = Array.from({ length: 10_000 }, () => c()).filter((x) => x < 0.5).length;
  assert.ok(below > 4800 && below < 5200, `${below} of 10000`);
});

Deno.test("readConfig() uses the documented defaults and rejects bad values", () => {
  const config = readConfig({});
  assert.equal(config.attempts, 4);
  assert.equal(config.backoffBaseMs, 1000);
  assert.equal(config.backoffJitter, 0);
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
});
