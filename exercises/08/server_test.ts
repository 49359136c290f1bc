/**
 * The HTTP endpoint in process (`app.request`, no port), on counts written to
 * the real Redis (`make services`) the way the processor writes them.
 */
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { closeRedis, failFastOptions } from "../../infra/redis_client.ts";
import { startRedisServer } from "../../infra/redis_server.ts";
import { requireService, until } from "../../infra/testing.ts";
import { testConfig, withRedis } from "./_testing.ts";
import type { Config } from "./config.ts";
import { createApp } from "./server.ts";
import { applyOnce, connectRedis } from "./store.ts";
import { offsetKey, tally } from "./tally.ts";

const MINUTE = 60_000;
// 42 s into a minute near the real time: bucket keys expire by Redis's clock.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE + 42_000;

/** Writes clicks of `user`, `minutesAgo` each, as the processor would. */
async function seed(redis: Redis, config: Config, user: string, minutesAgo: number[]) {
  const messages = minutesAgo.map((m, i) => ({
    offset: String(i),
    user_id: user,
    url: "/",
    ts: NOW - m * MINUTE,
  }));
  await applyOnce(
    redis,
    offsetKey(config.prefix, `seed-${user}`, 0),
    messages,
    (fresh) => Promise.resolve(tally(fresh, config)),
  );
}

/** Runs `fn` with an app on a fresh prefix holding clicks of "u-1" (and "a:b c"). */
async function withApp(fn: (request: (path: string) => Promise<Response>) => Promise<void>) {
  await requireService("redis");
  const config = testConfig();
  await withRedis(config.prefix, async (redis) => {
    await seed(redis, config, "u-1", [0, 0, 2, 4, 10, 45]);
    await seed(redis, config, "a:b c", [0]);
    const app = createApp(redis, config, { now: () => NOW });
    await fn(async (path) => await app.request(path));
  });
}

Deno.test("GET /users/:id/clicks returns the total and the rolling count of the window", async () => {
  await withApp(async (request) => {
    const res = await request("/users/u-1/clicks?window=5m");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await res.json(), {
      user_id: "u-1",
      total: 6,
      rolling: 4,
      window: "5m",
      since: new Date(NOW - 42_000 - 4 * MINUTE).toISOString(),
      as_of: new Date(NOW).toISOString(),
    });
    const rolling = async (query: string) =>
      (await (await request(`/users/u-1/clicks${query}`)).json()).rolling;
    assert.equal(await rolling("?window=1m"), 2);
    assert.equal(await rolling("?window=3m"), 3);
    assert.equal(await rolling("?window=15m"), 5);
    assert.equal(await rolling("?window=1h"), 6);
    assert.equal(await rolling("?window=120s"), 2);
  });
});

Deno.test("GET /users/:id/clicks uses the 5m default window when none is given", async () => {
  await withApp(async (request) => {
    const body = await (await request("/users/u-1/clicks")).json();
    assert.deepEqual([body.window, body.rolling, body.total], ["5m", 4, 6]);
  });
});

Deno.test("GET /users/:id/clicks answers zeros, not an error, for a user never seen", async () => {
  await withApp(async (request) => {
    const res = await request("/users/nobody/clicks?window=1h");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual([body.user_id, body.total, body.rolling], ["nobody", 0, 0]);
  });
});

Deno.test("GET /users/:id/clicks decodes the user id from the path", async () => {
  await withApp(async (request) => {
    const body = await (await request("/users/a%3Ab%20c/clicks")).json();
    assert.deepEqual([body.user_id, body.total, body.rolling], ["a:b c", 1, 1]);
  });
});

Deno.test("GET /users/:id/clicks answers 400 for a malformed percent-escape in the user id", async () => {
  await withApp(async (request) => {
    // Not an escape, a cut UTF-8 sequence, a lone continuation byte, an overlong form, a surrogate.
    for (const id of ["%ZZ", "u%", "u%E2%82", "%80", "%C0%AF", "%ED%A0%80"]) {
      const res = await request(`/users/${id}/clicks`);
      assert.equal(res.status, 400, id);
      assert.match(
        (await res.json()).error,
        /^Cannot use the user id as it is not valid percent-encoded UTF-8: got "/,
        id,
      );
    }
    const ok = await request("/users/%E2%82%B9/clicks");
    assert.equal((await ok.json()).user_id, "₹");
  });
});

Deno.test("GET /users/:id/clicks answers 400 with the reason for a bad window", async () => {
  await withApp(async (request) => {
    const cases: [string, RegExp][] = [
      ["abc", /not a duration such as 30s, 5m or 1h: current value is "abc"/],
      ["", /not a duration .*current value is ""/],
      ["5", /not a duration/],
      ["-5m", /not a duration/],
      ["1.5m", /not a duration/],
      ["0m", /not a whole number of 1m buckets: current value is "0m"/],
      ["90s", /not a whole number of 1m buckets: current value is "90s"/],
      ["2h", /longer than the 1h the counts are kept for: current value is "2h"/],
    ];
    for (const [window, message] of cases) {
      const res = await request(`/users/u-1/clicks?window=${encodeURIComponent(window)}`);
      assert.equal(res.status, 400, window);
      const body = await res.json();
      assert.match(body.error, /^Cannot use 'window' as it is /, window);
      assert.match(body.error, message, window);
    }
    const long = await request(`/users/${"x".repeat(129)}/clicks`);
    assert.equal(long.status, 400);
    assert.match((await long.json()).error, /longer than 128 characters/);
  });
});

Deno.test("createApp() answers 404 as JSON for other paths, and /health", async () => {
  await withApp(async (request) => {
    const missing = await request("/users/u-1");
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: "No route for GET /users/u-1" });
    const health = await request("/health");
    assert.deepEqual([health.status, await health.json()], [200, { status: "ok" }]);
  });
});

Deno.test("createApp() answers 503 when Redis does not answer", async () => {
  await requireService("redis");
  const config = testConfig();
  const redis = await connectRedis(config.redisUrl, failFastOptions());
  redis.disconnect();
  const app = createApp(redis, config);
  const res = await app.request("/users/u-1/clicks");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { error: "Cannot read the counts: Redis is unavailable" });
  assert.equal((await app.request("/health")).status, 503);
});

Deno.test("createApp() answers 503 within the timeout when Redis hangs, and 200 once it answers", async () => {
  const own = await startRedisServer();
  const redis = await connectRedis(own.url, failFastOptions({ timeoutMs: 300 }));
  let deadline: ReturnType<typeof setTimeout> | undefined;
  try {
    const app = createApp(redis, testConfig());
    assert.equal((await app.request("/health")).status, 200);
    own.pause(); // SIGSTOP: the socket stays open, no reply ever comes.
    // Without a command timeout the request waits for ever: fail the test instead.
    const hung = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000);
    });
    const res = await Promise.race([app.request("/users/u-1/clicks"), hung]);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { error: "Cannot read the counts: Redis is unavailable" });
    own.resume();
    await until(async () => (await app.request("/health")).status === 200, 10_000, "Redis back");
  } finally {
    clearTimeout(deadline);
    own.resume();
    await closeRedis(redis);
    await own.kill();
  }
});
