/**
 * Redis unavailable → 503, fast, and back to normal by itself. Never done to
 * the shared Redis: a closed port, or a redis-server of our own that the
 * tests kill and freeze.
 */
import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { closeRedis } from "../../infra/redis_client.ts";
import { connectOrKeepTrying, isUnavailable } from "./store.ts";
import { startRedisServer } from "../../infra/redis_server.ts";
import { closedPort, postJson } from "./_testing.ts";

const record = { customer_id: "c-42", amount: 1 };
const unavailable = { error: "Redis is unavailable" };

/** Status and body of a request, and how long it took; fails (never hangs) after 5 s. */
async function timed(app: ReturnType<typeof createApp>, path: string, init?: RequestInit) {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const res = await Promise.race([
    app.request(path, init),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${path}: no answer within 5 s`)), 5000);
    }),
  ]).finally(() => clearTimeout(timer));
  return { status: res.status, body: await res.json(), ms: performance.now() - started };
}

Deno.test("every endpoint answers 503 at once when nothing listens at REDIS_URL", async () => {
  const logged: string[] = [];
  const redis = await connectOrKeepTrying(`redis://127.0.0.1:${closedPort()}`, {
    timeoutMs: 500,
    log: (l) => logged.push(l),
  });
  try {
    assert.notEqual(redis.status, "ready");
    assert.match(logged[0], /^records-api: Redis is unavailable: .*ECONNREFUSED/);
    const app = createApp(redis, { prefix: "unused", bodyLimit: 1024, log: (l) => logged.push(l) });
    for (
      const [path, init] of [
        ["/records", postJson(record)],
        [`/records/${crypto.randomUUID()}`, undefined],
        ["/healthz", undefined],
      ] as const
    ) {
      const { status, body, ms } = await timed(app, path, init);
      assert.equal(status, 503, path);
      assert.deepEqual(body, unavailable);
      // No offline queue: the request does not wait for reconnection attempts.
      assert.ok(ms < 250, `${path} took ${ms.toFixed(0)} ms`);
    }
    // Input is still checked first: a bad request is a 400, Redis or not.
    assert.equal((await timed(app, "/records", postJson({ amount: 1 }))).status, 400);
    assert.equal((await timed(app, "/records/abc")).status, 400);
    assert.match(logged.at(-1)!, /GET \/healthz: Redis is unavailable: /);
  } finally {
    await closeRedis(redis);
  }
});

Deno.test("the API answers 503 while its Redis is dead and recovers when it is back", async () => {
  const own = await startRedisServer();
  const logged: string[] = [];
  const redis = await connectOrKeepTrying(own.url, { timeoutMs: 500, log: (l) => logged.push(l) });
  try {
    const app = createApp(redis, { prefix: "records", bodyLimit: 1024, log: () => {} });
    const created = await app.request("/records", postJson(record));
    assert.equal(created.status, 201);
    const location = created.headers.get("Location")!;

    await own.kill();
    for (
      const [path, init] of [["/records", postJson(record)], [location], ["/healthz"]] as const
    ) {
      const { status, body } = await timed(app, path, init);
      assert.equal(status, 503, path);
      assert.deepEqual(body, unavailable);
    }

    // Same port, empty Redis (no persistence): the client reconnects by itself.
    await own.restart();
    const deadline = Date.now() + 5000;
    while ((await timed(app, "/healthz")).status !== 200) {
      assert.ok(Date.now() < deadline, "the API did not recover within 5 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await timed(app, location)).status, 404, "the new Redis is empty");
    assert.equal((await timed(app, "/records", postJson(record))).status, 201);
    // One line when it went away (not one per reconnection attempt), one when it came back.
    assert.equal(logged.length, 2, logged.join("\n"));
    assert.match(logged[0], /^records-api: Redis is unavailable: /);
    assert.equal(logged[1], "records-api: Redis is back");
  } finally {
    await closeRedis(redis);
    await own.kill();
  }
});

Deno.test("a Redis that stops answering is a 503 after REDIS_TIMEOUT_MS, not a hang", async () => {
  const own = await startRedisServer();
  const redis = await connectOrKeepTrying(own.url, { timeoutMs: 300, log: () => {} });
  try {
    const app = createApp(redis, { prefix: "records", bodyLimit: 1024, log: () => {} });
    assert.equal((await timed(app, "/healthz")).status, 200);
    own.pause(); // SIGSTOP: the socket stays open, no reply ever comes.
    const { status, body, ms } = await timed(app, "/records", postJson(record));
    assert.equal(status, 503);
    assert.deepEqual(body, unavailable);
    assert.ok(ms >= 250 && ms < 2000, `answered after ${ms.toFixed(0)} ms`);
    own.resume();
    assert.equal((await timed(app, "/healthz")).status, 200);
  } finally {
    own.resume();
    await closeRedis(redis);
    await own.kill();
  }
});

Deno.test("connectOrKeepTrying() refuses a database the server does not have", async () => {
  const own = await startRedisServer({ args: ["--databases", "4"] });
  try {
    await assert.rejects(connectOrKeepTrying(`${own.url}/4`, { log: () => {} }), {
      name: "RangeError",
      message: `Cannot use 'REDIS_URL' as Redis has no database 4 ` +
        `(ERR DB index is out of range): current value is "${own.url}/4"`,
    });
    const redis = await connectOrKeepTrying(`${own.url}/3`, { log: () => {} });
    await closeRedis(redis);
  } finally {
    await own.kill();
  }
});

Deno.test("the API answers 503 when its Redis comes back without its database", async () => {
  const own = await startRedisServer({ args: ["--databases", "2"] });
  const logged: string[] = [];
  await own.kill();
  const redis = await connectOrKeepTrying(`${own.url}/3`, {
    timeoutMs: 500,
    log: (l) => logged.push(l),
  });
  try {
    const app = createApp(redis, { prefix: "records", bodyLimit: 1024, log: () => {} });
    await own.restart();
    const deadline = Date.now() + 5000;
    while (!logged.some((l) => l.includes("has no database 3"))) {
      assert.ok(Date.now() < deadline, `no line about database 3 within 5 s: ${logged.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(
      logged.at(-1),
      `records-api: Redis at REDIS_URL=${own.url}/3 has no database 3 ` +
        "(ERR DB index is out of range): answering 503 until restarted with a database it has",
    );
    for (const [path, init] of [["/records", postJson(record)], ["/healthz"]] as const) {
      const { status, body } = await timed(app, path, init);
      assert.equal(status, 503, path);
      assert.deepEqual(body, unavailable);
    }
    // Nothing was written to database 0 instead.
    const plain = await connectOrKeepTrying(own.url, { log: () => {} });
    try {
      assert.equal(await plain.dbsize(), 0);
    } finally {
      await closeRedis(plain);
    }
  } finally {
    await closeRedis(redis);
    await own.kill();
  }
});

Deno.test("isUnavailable() tells a missing answer from an answer that is an error", async () => {
  assert.equal(isUnavailable(new Error("Command timed out")), true);
  assert.equal(isUnavailable(new Error("Connection is closed.")), true);
  assert.equal(isUnavailable("not an error"), false);
  // Real reply errors, from our own Redis.
  const own = await startRedisServer();
  const redis = await connectOrKeepTrying(own.url, { log: () => {} });
  try {
    await redis.hset("h", "f", "v");
    const wrongType = await redis.get("h").catch((err) => err);
    assert.equal(isUnavailable(wrongType), false, String(wrongType));
    await redis.config("SET", "maxmemory", "1");
    const oom = await redis.set("k", "v").catch((err) => err);
    assert.match(String(oom), /OOM/);
    assert.equal(isUnavailable(oom), true);
  } finally {
    await closeRedis(redis);
    await own.kill();
  }
});
