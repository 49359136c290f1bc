/**
 * The fail-fast client against a redis-server of its own (killed, frozen),
 * never the shared one.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { closeRedis, failFastOptions } from "./redis_client.ts";
import { startRedisServer } from "./redis_server.ts";
import { until } from "./testing.ts";

/** Settles `promise` or fails the test after 10 s: a command that waits for ever is the bug. */
async function settles<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000);
  });
  try {
    const [settled] = await Promise.race([Promise.allSettled([promise]), hung]);
    return settled;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("failFastOptions() fails a command while Redis is down, and recovers when it is back", async () => {
  const own = await startRedisServer();
  // A long timeout: the command must fail because nothing queues it, not by timing out.
  const redis = new Redis(own.url, failFastOptions({ timeoutMs: 5_000 }));
  redis.on("error", () => {});
  try {
    await redis.connect();
    assert.equal(await redis.set("k", "v"), "OK");
    await own.kill();
    await until(() => redis.status !== "ready", 10_000, "the client to see the server gone");
    const down = await settles(redis.get("k"));
    assert.equal(down.status, "rejected");
    assert.match(String((down as PromiseRejectedResult).reason), /enableOfflineQueue/);
    await own.restart();
    await until(() => redis.status === "ready", 10_000, "the client to reconnect by itself");
    assert.equal(await redis.get("k"), null, "the restarted server is empty");
  } finally {
    await closeRedis(redis);
    await own.kill();
  }
});

Deno.test("failFastOptions() fails a command to a hung Redis after the timeout", async () => {
  const own = await startRedisServer();
  const redis = new Redis(own.url, failFastOptions({ timeoutMs: 300 }));
  redis.on("error", () => {});
  try {
    await redis.connect();
    own.pause(); // SIGSTOP: the socket stays open, no reply ever comes.
    const hung = await settles(redis.get("k"));
    assert.equal(hung.status, "rejected");
    assert.match(String((hung as PromiseRejectedResult).reason), /Command timed out/);
  } finally {
    own.resume();
    await closeRedis(redis);
    await own.kill();
  }
});

Deno.test("failFastOptions() rejects a timeout that is not a positive integer", () => {
  for (const timeoutMs of [0, -1, 1.5, NaN, "500" as unknown as number]) {
    assert.throws(() => failFastOptions({ timeoutMs }), {
      name: "RangeError",
      message: /^Cannot make a fail-fast Redis client as timeoutMs is not a positive integer: got /,
    }, String(timeoutMs));
  }
  assert.equal(failFastOptions().commandTimeout, 1000);
});

Deno.test("closeRedis() closes a client never connected, connected, reconnecting, or connecting to a hung Redis", async () => {
  const own = await startRedisServer();
  try {
    const fresh = new Redis(own.url, failFastOptions());
    await closeRedis(fresh);
    assert.equal(fresh.status, "wait");

    const ready = new Redis(own.url, failFastOptions());
    await ready.connect();
    await closeRedis(ready);
    assert.equal(ready.status, "end");

    const lost = new Redis(own.url, failFastOptions({ timeoutMs: 300 }));
    lost.on("error", () => {});
    await lost.connect();
    await own.kill();
    await until(() => lost.status !== "ready", 10_000, "the client to see the server gone");
    await closeRedis(lost);

    await own.restart();
    own.pause();
    const connecting = new Redis(own.url, failFastOptions({ timeoutMs: 300 }));
    connecting.on("error", () => {});
    connecting.connect().catch(() => {});
    await closeRedis(connecting);
    own.resume();
  } finally {
    own.resume();
    await own.kill();
  }
  // Deno's sanitizers fail this test if any socket or timer is left open.
});
