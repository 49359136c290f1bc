/**
 * The exercise's promise, tested the hard way: processor.ts runs as a process
 * and is killed with SIGKILL several times in the middle of the stream, then
 * restarted; at the end every user's total and rolling counts equal the
 * counts worked out directly from the events that were produced.
 */
import assert from "node:assert/strict";
import { seededRandom } from "../../infra/random.ts";
import { readTopic, requireService, testKafka } from "../../infra/testing.ts";
import { startScript } from "../../infra/script.ts";
import { envOf, produce, testConfig, until, withRedis, withTopicsOf } from "./_testing.ts";
import { lag } from "./processor.ts";
import { readCounts } from "./store.ts";
import { offsetKey } from "./tally.ts";

const KILLS = 4;
const EVENTS = 10_000;
const BAD_EVERY = 250;
const USERS = 40;
const MINUTE = 60_000;

Deno.test("processor.ts keeps exact counts across repeated kill -9 mid-stream and restarts", async () => {
  await requireService("kafka");
  await requireService("redis");
  const config = testConfig();
  const env = {
    ...envOf(config),
    // Small transactions: several per fetched batch, and one Kafka commit after them,
    // so most kills land after a Redis transaction and before the Kafka commit.
    CLICKS_BATCH_SIZE: "100",
    CLICKS_SESSION_TIMEOUT: "6s",
  };

  // The events, and the counts they must produce, worked out here without Redis.
  const now = Date.now();
  const events: { key: string; value: string }[] = [];
  const truth = new Map<string, number[]>(); // user → click times
  const bad = new Set<number>(); // indexes of the broken events
  const random = seededRandom(7);
  for (let i = 0; i < EVENTS; i++) {
    const user = `u-${Math.floor(random() * USERS)}`;
    if (i % BAD_EVERY === BAD_EVERY - 1) {
      bad.add(i);
      events.push({ key: user, value: `{"user_id": "${user}", "url": "/cart"` });
      continue;
    }
    const ts = now - Math.floor(random() * 20 * MINUTE);
    events.push({ key: user, value: JSON.stringify({ user_id: user, url: "/", ts }) });
    truth.set(user, [...(truth.get(user) ?? []), ts]);
  }
  const inWindow = (ts: number, minutes: number) =>
    ts >= Math.floor(now / MINUTE) * MINUTE - (minutes - 1) * MINUTE;

  await withTopicsOf(config, async (admin) => {
    await admin.createTopics({
      topics: [{ topic: config.topic, numPartitions: 3 }],
      waitForLeaders: true,
    });
    await produce(config.topic, events);
    await withRedis(config.prefix, async (redis) => {
      const keys = [0, 1, 2].map((p) => offsetKey(config.prefix, config.topic, p));
      const stored = async () => (await redis.mget(keys)).map((v) => Number(v ?? 0));
      const committed = async () =>
        (await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }))[0]
          .partitions.toSorted((a, b) => a.partition - b.partition)
          .map((p) => Math.max(0, Number(p.offset)));

      let kills = 0;
      let between = 0; // kills that landed after a Redis transaction, before its Kafka commit
      let ahead = 0; // sum over the kills of how far Redis's offsets were ahead of Kafka's
      for (let round = 0; round < KILLS; round++) {
        const processor = startScript("exercises/08/processor.ts", [], env);
        try {
          const from = (await stored()).reduce((a, b) => a + b, 0);
          const target = from + EVENTS / (KILLS + 2);
          await until(
            async () => (await stored()).reduce((a, b) => a + b, 0) >= target,
            60_000,
            `processor run ${round + 1} to count up to offset sum ${target}`,
            5,
          );
        } finally {
          await processor.stop("SIGKILL");
        }
        kills++;
        const [inRedis, inKafka] = [await stored(), await committed()];
        const gap = inRedis.reduce((n, offset, p) => n + Math.max(0, offset - inKafka[p]), 0);
        if (gap > 0) between++;
        ahead += gap;
      }

      // The last run finishes the topic and stops cleanly.
      const last = startScript("exercises/08/processor.ts", [], env);
      const kafkaAdmin = testKafka().admin();
      await kafkaAdmin.connect();
      try {
        await until(async () => await lag(redis, kafkaAdmin, config) === 0, 60_000, "lag 0", 100);
      } finally {
        await kafkaAdmin.disconnect();
        const status = await last.stop("SIGTERM");
        assert.equal(status.code, 0, last.stderr.tail());
      }
      assert.match(last.stderr.lines.join("\n"), /resumes at offset \d+ \(stored in Redis/);

      console.error(
        `crash test: survived ${kills} SIGKILLs; ${between} landed between the Redis transaction ` +
          `and the Kafka commit (Redis ahead of Kafka by ${ahead} messages in all: what resuming from ` +
          "Kafka's offsets would have counted again)",
      );
      assert.equal(kills, KILLS);
      assert.ok(between > 0, "at least one kill landed in the gap at-least-once cannot survive");

      // Every user's total and rolling counts equal the truth.
      for (const [user, times] of truth) {
        for (const minutes of [1, 5, 15]) {
          const counts = await readCounts(redis, config.prefix, user, {
            windowMs: minutes * MINUTE,
            bucketMs: config.bucketMs,
            now,
          });
          const expected = times.filter((ts) => inWindow(ts, minutes)).length;
          assert.deepEqual(
            [counts.total, counts.rolling],
            [times.length, expected],
            `${user}, window ${minutes}m`,
          );
        }
      }
      const users = await redis.keys(`${config.prefix}:user:*:total`);
      assert.equal(users.length, truth.size, "no user counted who did not click");
    });
    // Every broken event is dead-lettered (a kill between the dead-letter send and the
    // transaction may send one twice: the key tells them apart).
    const dead = await readTopic(config.dlqTopic);
    const keys = new Set(dead.map((m) => m.key));
    assert.equal(keys.size, bad.size);
  });
});
