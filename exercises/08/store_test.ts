/**
 * The Redis transaction at the heart of the exercise, against the real Redis
 * (`make services`): counts and offset move together, a replay counts
 * nothing, and two writers racing for one partition count once.
 */
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { withRedis } from "./_testing.ts";
import { type Click } from "./click.ts";
import { applyOnce, connectRedis, readCounts, readOffset } from "./store.ts";
import { bucketKey, offsetKey, tally, totalKey } from "./tally.ts";

const MINUTE = 60_000;
// 42 s into a minute near the real time: bucket keys expire by Redis's clock.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE + 42_000;

/** Messages at offsets from..to-1, each a click of `user` at NOW. */
function run(from: number, to: number, user = "u"): (Click & { offset: string })[] {
  return Array.from({ length: to - from }, (_, i) => ({
    offset: String(from + i),
    user_id: user,
    url: "/",
    ts: NOW,
  }));
}

function apply(redis: Redis, prefix: string, messages: (Click & { offset: string })[]) {
  return applyOnce(
    redis,
    offsetKey(prefix, "t", 0),
    messages,
    (fresh) =>
      Promise.resolve(tally(fresh, { prefix, bucketMs: MINUTE, retentionMs: 60 * MINUTE })),
  );
}

Deno.test("applyOnce() stores the counts and the next offset together", async () => {
  await requireService("redis");
  const prefix = uniqueName("test-store");
  await withRedis(prefix, async (redis) => {
    const applied = await apply(redis, prefix, run(0, 5));
    assert.equal(applied.fresh.length, 5);
    assert.equal(applied.from, null);
    assert.equal(await redis.get(totalKey(prefix, "u")), "5");
    assert.equal(await redis.get(bucketKey(prefix, "u", NOW - 42_000)), "5");
    assert.equal(await readOffset(redis, offsetKey(prefix, "t", 0)), 5n);
  });
});

Deno.test("applyOnce() counts a redelivered run once, and only the new part of an overlap", async () => {
  await requireService("redis");
  const prefix = uniqueName("test-store");
  await withRedis(prefix, async (redis) => {
    await apply(redis, prefix, run(0, 5));
    const again = await apply(redis, prefix, run(0, 5));
    assert.deepEqual([again.fresh.length, again.skipped, again.from], [0, 5, 5n]);
    const overlap = await apply(redis, prefix, run(3, 8));
    assert.deepEqual(overlap.fresh.map((m) => m.offset), ["5", "6", "7"]);
    assert.equal(overlap.skipped, 2);
    assert.equal(await redis.get(totalKey(prefix, "u")), "8");
    assert.equal(await readOffset(redis, offsetKey(prefix, "t", 0)), 8n);
  });
});

Deno.test("applyOnce() never lets a reader see the offset without its counts", async () => {
  await requireService("redis");
  const prefix = uniqueName("test-store");
  await withRedis(prefix, async (redis) => {
    // Another client reads offset and total over and over while 200 transactions run:
    // one click per message, so the two must always be equal (MULTI/EXEC: all or nothing).
    const reader = await connectRedis(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379");
    const torn: string[] = [];
    let reads = 0;
    let writing = true;
    const watching = (async () => {
      while (writing) {
        const [offset, total] = await reader.mget(offsetKey(prefix, "t", 0), totalKey(prefix, "u"));
        reads++;
        if (offset !== total) torn.push(`offset ${offset}, total ${total}`);
      }
    })();
    try {
      for (let i = 0; i < 200; i++) await apply(redis, prefix, run(i * 10, i * 10 + 10));
    } finally {
      writing = false;
      await watching;
      await reader.quit();
    }
    assert.ok(reads > 50, `the reader read while the writer wrote (${reads} reads)`);
    assert.deepEqual(torn.slice(0, 3), [], `${torn.length} torn reads`);
    assert.equal(await redis.get(totalKey(prefix, "u")), "2000");
  });
});

Deno.test("applyOnce() writes nothing when preparing the run fails", async () => {
  await requireService("redis");
  const prefix = uniqueName("test-store");
  await withRedis(prefix, async (redis) => {
    await assert.rejects(
      applyOnce(redis, offsetKey(prefix, "t", 0), run(0, 3), () => {
        throw new Error("dead-letter topic unreachable");
      }),
      /dead-letter topic unreachable/,
    );
    assert.equal(await redis.exists(offsetKey(prefix, "t", 0), totalKey(prefix, "u")), 0);
    // The WATCH was released: the next transaction on this connection goes through.
    await apply(redis, prefix, run(0, 3));
    assert.equal(await redis.get(totalKey(prefix, "u")), "3");
  });
});

Deno.test("applyOnce() counts once when two processes race with the same run", async () => {
  await requireService("redis");
  const prefix = uniqueName("test-store");
  await withRedis(prefix, async (redis) => {
    // A second connection is a second processor (say, one that lost the partition in a
    // rebalance but has not noticed yet) delivering the same messages at the same time.
    const other = await connectRedis(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379");
    let retries = 0;
    try {
      for (let round = 0; round < 20; round++) {
        const messages = run(round * 50, round * 50 + 50);
        const results = await Promise.all([
          apply(redis, prefix, messages),
          apply(other, prefix, messages),
        ]);
        retries += results[0].retries + results[1].retries;
        assert.equal(results[0].fresh.length + results[1].fresh.length, 50, `round ${round}`);
      }
    } finally {
      await other.quit();
    }
    assert.equal(await redis.get(totalKey(prefix, "u")), "1000");
    assert.ok(
      retries > 0,
      "the two writers did collide at least once (the offset check refused a run)",
    );
  });
});

Deno.test("readCounts() sums the window's buckets and gives zeros for an unknown user", async () => {
  await requireService("redis");
  const prefix = uniqueName("test-store");
  await withRedis(prefix, async (redis) => {
    const at = (minutesAgo: number) => NOW - minutesAgo * MINUTE;
    const clicks = [0, 0, 1, 4, 5, 30].map((m, i) => ({
      offset: String(i),
      user_id: "u",
      url: "/",
      ts: at(m),
    }));
    await apply(redis, prefix, clicks);
    const options = { bucketMs: MINUTE, now: NOW };
    const counts = (windowMs: number) => readCounts(redis, prefix, "u", { ...options, windowMs });
    assert.deepEqual(await counts(MINUTE), { total: 6, rolling: 2, since: NOW - 42_000 });
    assert.equal((await counts(2 * MINUTE)).rolling, 3);
    assert.equal((await counts(5 * MINUTE)).rolling, 4);
    assert.equal((await counts(6 * MINUTE)).rolling, 5);
    assert.equal((await counts(60 * MINUTE)).rolling, 6);
    // An hour later the window is empty, the total is not.
    const later = await readCounts(redis, prefix, "u", {
      ...options,
      windowMs: 60 * MINUTE,
      now: NOW + 61 * MINUTE,
    });
    assert.deepEqual([later.total, later.rolling], [6, 0]);
    assert.deepEqual(
      await readCounts(redis, prefix, "nobody", { ...options, windowMs: MINUTE }),
      { total: 0, rolling: 0, since: NOW - 42_000 },
    );
  });
});
