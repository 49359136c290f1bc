/**
 * Exercise 08's processor with what breaks naive stream code: invalid UTF-8
 * user ids, dead letters bigger than the broker takes (alone or together), a
 * signal during start-up, and a crash kafkajs does not restart.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { newProducer } from "../../infra/kafka.ts";
import { readTopic, refuseNextDeadLetter, requireService, testKafka } from "../../infra/testing.ts";
import { exitWithin, startScript } from "../../infra/script.ts";
import { envOf, testConfig, until, withRedis, withTopicsOf } from "./_testing.ts";
import { lag, startProcessor } from "./processor.ts";
import { connectRedis } from "./store.ts";
import { totalKey } from "./tally.ts";

async function services() {
  await requireService("kafka");
  await requireService("redis");
}

const click = (user: string | Buffer) =>
  Buffer.concat([
    Buffer.from('{"user_id":"'),
    Buffer.from(user),
    Buffer.from(`","url":"/","ts":${Date.now()}}`),
  ]);

Deno.test("startProcessor() dead-letters invalid UTF-8 and oversized events within the topic's limit", async () => {
  await services();
  const config = testConfig({ CLICKS_PARTITIONS: "1" });
  await withTopicsOf(config, async (admin) => {
    // The processor reads the dead-letter topic's own limit: a small one keeps the test small.
    await admin.createTopics({
      topics: [{ topic: config.topic, numPartitions: 1 }, {
        topic: config.dlqTopic,
        numPartitions: 1,
        configEntries: [{ name: "max.message.bytes", value: "100000" }],
      }],
      waitForLeaders: true,
    });
    // Two users whose ids differ only in invalid bytes: they must not merge into "u-\uFFFD".
    const u1 = click(Buffer.concat([Buffer.from("u-"), Buffer.from([0xff])]));
    const u2 = click(Buffer.concat([Buffer.from("u-"), Buffer.from([0xfe])]));
    // Five events of 40 KB that are not JSON: each dead letter fits, the five together do not.
    const big = Array.from({ length: 5 }, (_, i) => ({ value: `${i}${"x".repeat(40_000)}` }));
    // 20 KB of control characters: 120 KB once escaped in a JSON dead letter.
    const escapes = click(String.fromCharCode(3).repeat(20_000));
    const producer = newProducer(testKafka());
    await producer.connect();
    await producer.send({
      topic: config.topic,
      acks: -1,
      messages: [{ value: u1 }, { value: u2 }, ...big, { value: escapes }, {
        value: click("u-ok"),
      }],
    });
    await producer.disconnect();

    await withRedis(config.prefix, async (redis) => {
      const admin2 = testKafka().admin();
      await admin2.connect();
      const processor = await startProcessor(config, { progressEvery: 0 });
      try {
        await until(async () => await lag(redis, admin2, config) === 0, 30_000, "lag 0", 100);
      } finally {
        await processor.stop();
        await admin2.disconnect();
      }
      assert.deepEqual(processor.stats.counted, 1);
      assert.deepEqual(processor.stats.deadLettered, 8);
      assert.equal(await redis.get(totalKey(config.prefix, "u-ok")), "1");
      assert.equal(await redis.get(totalKey(config.prefix, "u-\uFFFD")), null);
    });
    const dead = (await readTopic(config.dlqTopic)).map((m) => JSON.parse(m.value!));
    assert.equal(dead.length, 8);
    assert.deepEqual(dead.slice(0, 2).map((d) => d.reason), [
      "not valid UTF-8: byte 0xff at offset 14",
      "not valid UTF-8: byte 0xfe at offset 14",
    ]);
    assert.deepEqual(Buffer.from(dead[0].record_base64, "base64"), u1);
    for (const d of dead.slice(2, 7)) assert.equal(d.record.length, 40_001, "kept whole");
    assert.equal(dead[7].record_truncated, true);
    assert.equal(dead[7].record_bytes, escapes.length);
  });
});

Deno.test("processor.ts exits 0 on a SIGTERM that comes while it is still connecting", async () => {
  await services();
  const config = testConfig();
  await withTopicsOf(config, async () => {
    const processor = startScript("exercises/08/processor.ts", [], envOf(config));
    await processor.stderr.waitFor((lines) => lines.length >= 1, 20_000, "the start line");
    const stopped = await processor.stop("SIGTERM");
    assert.equal(stopped.code, 0, processor.stderr.tail());
    assert.equal(stopped.signal, null);
    await withRedis(config.prefix, () => Promise.resolve());
  });
});

Deno.test("processor.ts exits 1 with the reason when kafkajs stops the consumer for good", async () => {
  await services();
  const config = testConfig({ CLICKS_PARTITIONS: "1" });
  await withTopicsOf(config, async (admin) => {
    const processor = startScript("exercises/08/processor.ts", [], envOf(config));
    const redis = await connectRedis(config.redisUrl);
    try {
      await processor.stderr.waitFor(
        (l) => l.some((x) => x.includes("resumes at offset")),
        30_000,
        "the processor to resume its partition",
      );
      // The dead-letter topic's limit shrinks under the running processor: MESSAGE_TOO_LARGE.
      await refuseNextDeadLetter(admin, config.topic, config.dlqTopic);
      const status = await exitWithin(processor, 30_000);
      assert.ok(status, `still running after the crash:\n${processor.stderr.tail()}`);
      assert.equal(status.code, 1);
      assert.match(processor.stderr.tail(3), /stopped for good \(kafkajs will not restart it\)/);
      assert.equal(
        await lag(redis, admin, config),
        1,
        "the event it could not park is not counted",
      );
    } finally {
      await processor.stop("SIGKILL");
      await redis.quit();
      await withRedis(config.prefix, () => Promise.resolve());
    }
  });
});
