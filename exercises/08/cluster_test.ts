/**
 * Exercise 08 on three brokers (infra/kafka_cluster.ts): a broker is killed
 * with SIGKILL at a random moment while processor.ts counts, and restarted.
 * Every user's counts still equal the counts worked out from the events.
 */
import assert from "node:assert/strict";
import { leaderOf, startKafkaCluster } from "../../infra/kafka_cluster.ts";
import { quietKafkajsWarnings } from "../../infra/kafka.ts";
import { seededRandom } from "../../infra/random.ts";
import { readTopic, requireService, testKafka } from "../../infra/testing.ts";
import { startScript } from "../../infra/script.ts";
import { envOf, produce, testConfig, until, withRedis } from "./_testing.ts";
import { lag } from "./processor.ts";
import { readCounts } from "./store.ts";
import { offsetKey } from "./tally.ts";

quietKafkajsWarnings();

const EVENTS = 20_000;
const BAD_EVERY = 500;
const USERS = 40;
const MINUTE = 60_000;

Deno.test({
  name: "killing a broker mid-stream leaves every user's counts exact",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await requireService("redis");
    const cluster = await startKafkaCluster();
    const kafka = testKafka(cluster.brokers);
    const admin = kafka.admin();
    const config = testConfig({ KAFKA_BROKERS: cluster.brokers.join(",") });
    const env = {
      ...envOf(config),
      KAFKA_BROKERS: cluster.brokers.join(","),
      CLICKS_BATCH_SIZE: "100",
      CLICKS_SESSION_TIMEOUT: "6s",
    };
    const now = Date.now();
    const events: { key: string; value: string }[] = [];
    const truth = new Map<string, number[]>();
    let bad = 0;
    const random = seededRandom(8);
    for (let i = 0; i < EVENTS; i++) {
      const user = `u-${Math.floor(random() * USERS)}`;
      if (i % BAD_EVERY === BAD_EVERY - 1) {
        bad++;
        events.push({ key: user, value: `{"user_id": "${user}"` });
        continue;
      }
      const ts = now - Math.floor(random() * 10 * MINUTE);
      events.push({ key: user, value: JSON.stringify({ user_id: user, url: "/", ts }) });
      truth.set(user, [...(truth.get(user) ?? []), ts]);
    }
    try {
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: config.topic, numPartitions: 3 }],
        waitForLeaders: true,
      });
      await produce(config.topic, events, cluster.brokers);
      await withRedis(config.prefix, async (redis) => {
        const keys = [0, 1, 2].map((p) => offsetKey(config.prefix, config.topic, p));
        const stored = async () => (await redis.mget(keys)).reduce((n, v) => n + Number(v ?? 0), 0);
        const processor = startScript("exercises/08/processor.ts", [], env);
        try {
          const target = 1000 + Math.floor(Math.random() * 8000);
          await until(async () => (await stored()) >= target, 60_000, `offsets at ${target}`, 5);
          const victim = await leaderOf(admin, config.topic, Math.floor(Math.random() * 3));
          const atKill = await stored();
          await cluster.kill(victim);
          await new Promise((r) => setTimeout(r, 3000));
          await cluster.restart(victim);
          const caughtUp = async () => {
            try {
              return await lag(redis, admin, config) === 0;
            } catch {
              return false; // A partition without a leader for a moment.
            }
          };
          await until(caughtUp, 120_000, "lag 0", 100);
          console.log(`broker ${victim} killed at ${atKill} of ${EVENTS} events; counts checked`);
        } finally {
          const status = await processor.stop("SIGTERM");
          assert.equal(status.code, 0, processor.stderr.tail());
        }
        for (const [user, times] of truth) {
          const counts = await readCounts(redis, config.prefix, user, {
            windowMs: 5 * MINUTE,
            bucketMs: config.bucketMs,
            now,
          });
          const inWindow = times.filter((ts) =>
            ts >= Math.floor(now / MINUTE) * MINUTE - 4 * MINUTE
          ).length;
          assert.deepEqual([counts.total, counts.rolling], [times.length, inWindow], user);
        }
      });
      const dead = await readTopic(config.dlqTopic, 30_000, kafka);
      assert.equal(new Set(dead.map((m) => m.key)).size, bad, "every broken event dead-lettered");
    } finally {
      await admin.disconnect();
      await cluster.stop();
    }
  },
});
