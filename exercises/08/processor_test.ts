/**
 * The processor in process, against the real broker and Redis (`make
 * services`): what it counts, what it dead-letters, where it resumes, and how
 * the rolling window empties.
 */
import assert from "node:assert/strict";
import { readTopic, requireService, testKafka } from "../../infra/testing.ts";
import { produce, testConfig, until, withRedis, withTopicsOf } from "./_testing.ts";
import type { Config } from "./config.ts";
import { lag, startProcessor } from "./processor.ts";
import { createApp } from "./server.ts";
import { connectRedis } from "./store.ts";
import { totalKey } from "./tally.ts";

async function services() {
  await requireService("kafka");
  await requireService("redis");
}

/** Runs the processor until it has counted the whole topic, then stops it. */
async function processAll(config: Config) {
  const admin = testKafka().admin();
  await admin.connect();
  const redis = await connectRedis(config.redisUrl);
  const processor = await startProcessor(config, { progressEvery: 0 });
  try {
    await until(async () => await lag(redis, admin, config) === 0, 30_000, "lag 0", 100);
  } finally {
    await processor.stop();
    await redis.quit();
    await admin.disconnect();
  }
  return processor.stats;
}

/**
 * Sets the group's committed offset of partition 0 as a member of the group
 * would (kafkajs's admin.setOffsets does the same but waits 5 s for a fetch).
 */
async function setCommitted(config: Config, offset: string) {
  const consumer = testKafka().consumer({ groupId: config.groupId, maxWaitTimeInMs: 100 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: config.topic });
    await consumer.run({ autoCommit: false, eachBatch: () => Promise.resolve() });
    consumer.pause([{ topic: config.topic }]);
    await until(() => joined, 30_000, "the group join");
    await consumer.commitOffsets([{ topic: config.topic, partition: 0, offset }]);
  } finally {
    await consumer.disconnect();
  }
}

const click = (user: string, ts: number | string = Date.now()) =>
  JSON.stringify({
    user_id: user,
    url: "/",
    ts: typeof ts === "number" ? new Date(ts).toISOString() : ts,
  });

Deno.test("startProcessor() counts every valid click once and dead-letters the rest with reason and offset", async () => {
  await services();
  const config = testConfig({ CLICKS_PARTITIONS: "1" });
  await withTopicsOf(config, async (admin) => {
    await admin.createTopics({
      topics: [{ topic: config.topic, numPartitions: 1 }],
      waitForLeaders: true,
    });
    const messages = [
      { value: click("a") }, // 0
      { value: '{"user_id": "a", "url": "/", "ts": "2026' }, // 1 not JSON
      { value: click("b") }, // 2
      { value: JSON.stringify({ url: "/", ts: Date.now() }) }, // 3 no user_id
      { value: click("a", "yesterday") }, // 4 bad ts
      { value: JSON.stringify(["a", "/", Date.now()]) }, // 5 not an object
      { value: null }, // 6 tombstone
      { value: click("a", Date.now() + 3_600_000) }, // 7 an hour in the future
      { value: click("a") }, // 8
      { value: JSON.stringify({ user_id: 42, url: "/x", ts: Date.now() }) }, // 9 integer id
    ];
    await produce(config.topic, messages);
    await withRedis(config.prefix, async (redis) => {
      const stats = await processAll(config);
      assert.deepEqual(stats, { counted: 4, deadLettered: 6, skipped: 0, transactions: 1 });
      const totals = await redis.mget(["a", "b", "42"].map((u) => totalKey(config.prefix, u)));
      assert.deepEqual(totals, ["2", "1", "1"]);
    });
    const dead = (await readTopic(config.dlqTopic)).map((m) => ({
      key: m.key,
      ...JSON.parse(m.value!),
    }));
    const expected: [string, RegExp][] = [
      ["1", /^not valid JSON: /],
      ["3", /^user_id is missing$/],
      [
        "4",
        /^ts must be epoch milliseconds or an ISO 8601 date-time with a zone: got string "yesterday"$/,
      ],
      ["5", /^a click must be a JSON object: got an array$/],
      ["6", /^the message has no value$/],
      ["7", /^ts is more than 300000 ms after the record's Kafka timestamp /],
    ];
    assert.deepEqual(dead.map((d) => d.offset), expected.map(([offset]) => offset));
    expected.forEach(([, reason], i) => assert.match(dead[i].reason, reason));
    for (const d of dead) {
      assert.equal(d.key, `${config.topic}/0@${d.offset}`);
      assert.equal(d.topic, config.topic);
      assert.equal(d.partition, 0);
      assert.equal(d.record, messages[Number(d.offset)].value, "the original text is kept");
    }
  });
});

Deno.test("startProcessor() resumes from the offsets in Redis whatever Kafka's committed offset says", async () => {
  await services();
  const config = testConfig({ CLICKS_PARTITIONS: "1" });
  await withTopicsOf(config, async (admin) => {
    await admin.createTopics({
      topics: [{ topic: config.topic, numPartitions: 1 }],
      waitForLeaders: true,
    });
    await produce(config.topic, Array.from({ length: 100 }, () => ({ value: click("a") })));
    await withRedis(config.prefix, async (redis) => {
      assert.equal((await processAll(config)).counted, 100);
      const committed = async () =>
        (await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }))[0]
          .partitions[0].offset;
      assert.equal(await committed(), "100", "the Kafka commit follows the Redis transaction");

      // Kafka's offset behind Redis (as after a kill between the two writes): nothing is counted again.
      await setCommitted(config, "0");
      await produce(config.topic, Array.from({ length: 10 }, () => ({ value: click("a") })));
      const behind = await processAll(config);
      assert.equal(behind.counted, 10);
      assert.equal(await redis.get(totalKey(config.prefix, "a")), "110");

      // Kafka's offset ahead of Redis: nothing is skipped either.
      await produce(config.topic, Array.from({ length: 10 }, () => ({ value: click("a") })));
      await setCommitted(config, "120");
      const ahead = await processAll(config);
      assert.equal(ahead.counted, 10);
      assert.equal(await redis.get(totalKey(config.prefix, "a")), "120");
    });
  });
});

Deno.test("startProcessor() rolling counts drop clicks once they leave the window, and their keys expire", async () => {
  await services();
  // 500 ms buckets kept for 2 s: the window empties in about 2 s, no minute-long sleeps.
  const config = testConfig({
    CLICKS_BUCKET: "500ms",
    CLICKS_RETENTION: "2s",
    CLICKS_WINDOW: "2s",
  });
  await withTopicsOf(config, async () => {
    await withRedis(config.prefix, async (redis) => {
      const admin = testKafka().admin();
      await admin.connect();
      const app = createApp(redis, config);
      const ask = async () => await (await app.request("/users/u/clicks")).json();
      let assigned = false;
      const processor = await startProcessor(config, {
        progressEvery: 0,
        onAssigned: (partitions) => (assigned = partitions.length === 3),
      });
      try {
        await until(() => assigned, 30_000, "the processor to get the partitions");
        const now = Date.now();
        await produce(config.topic, [
          { key: "u", value: click("u", now) },
          { key: "u", value: click("u", now) },
          { key: "u", value: click("u", now) },
          { key: "u", value: click("u", now - 600_000) }, // ten minutes ago: total only
          { key: "u", value: click("u", now - 600_000) },
        ]);
        await until(async () => await lag(redis, admin, config) === 0, 30_000, "lag 0", 50);
        // The clicks stay in a 2 s window of 500 ms buckets for at least 1.5 s.
        const first = await ask();
        assert.deepEqual([first.total, first.rolling, first.window], [5, 3, "2s"]);
      } finally {
        await processor.stop();
        await admin.disconnect();
      }
      const buckets = async () =>
        (await redis.keys(`${config.prefix}:user:u:*`)).filter((k) => !k.endsWith(":total"));
      const [bucket] = await buckets();
      assert.equal((await buckets()).length, 1, "no bucket written for the old clicks");
      const ttl = await redis.pttl(bucket);
      assert.ok(
        ttl > 0 && ttl <= 2_500,
        `bucket key expires within retention + 1 bucket: ${ttl} ms`,
      );

      const start = Number(bucket.split(":").at(-1));
      await new Promise((r) => setTimeout(r, start + 2_000 - Date.now() + 20));
      const later = await ask();
      assert.deepEqual(
        [later.total, later.rolling],
        [5, 0],
        "the window has moved past the clicks",
      );
      await until(async () => (await buckets()).length === 0, 2_000, "the bucket key to expire");
      assert.equal(await redis.get(totalKey(config.prefix, "u")), "5", "totals never expire");
    });
  });
});
