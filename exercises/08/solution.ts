// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 08: clicks (user_id, url) from Kafka → a total and a rolling count
 * per user in Redis → an HTTP endpoint.
 *
 *   deno run -A solution.ts produce 1000   # 1,000 random clicks of 10 users
 *   deno run -A solution.ts process        # topic → Redis
 *   deno run -A solution.ts serve          # curl 127.0.0.1:8080/users/u-1/clicks?window=5m
 *
 * What decides it:
 * - Counts are Redis INCRs, atomic on the server: two processors (a consumer
 *   group) never lose an update to a read-modify-write race.
 * - The rolling window is per-minute buckets (one key each, expiring after
 *   the retention): a 5-minute count is the sum of 5 keys, nothing to prune.
 * - A click's event time (`ts`) picks its bucket, not the time it is read.
 * - Kafka commits after the Redis write: a crash between the two counts a
 *   message twice (at-least-once). The hardened processor.ts stores the offset
 *   in the same Redis transaction and counts each click exactly once.
 */
import { Kafka, logLevel, Partitioners } from "npm:kafkajs@2.2.4";
import { Redis } from "npm:ioredis@6.0.0";
import { Hono } from "npm:hono@4.13.19";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const ms = (text: string) => Number(text.slice(0, -1)) * { s: 1e3, m: 6e4, h: 36e5 }[text.at(-1)!]!;
const brokers = env("KAFKA_BROKERS", "127.0.0.1:9092").split(",");
const topic = env("CLICKS_TOPIC", "clicks");
const dlqTopic = env("CLICKS_DLQ_TOPIC", "clicks.dlq");
const groupId = env("CLICKS_GROUP", "clicks-counter");
const prefix = env("CLICKS_PREFIX", "clicks");
const bucketMs = ms(env("CLICKS_BUCKET", "1m"));
const retentionMs = ms(env("CLICKS_RETENTION", "1h"));
const defaultWindow = env("CLICKS_WINDOW", "5m");

const kafka = new Kafka({ clientId: "clicks", brokers, logLevel: logLevel.WARN });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
const redis = new Redis(env("REDIS_URL", "redis://127.0.0.1:6379"));
const bucketOf = (ts: number) => Math.floor(ts / bucketMs) * bucketMs;

async function createTopics() {
  const admin = kafka.admin();
  await admin.connect();
  const existing = await admin.listTopics();
  const topics = [{ topic, numPartitions: 3 }, { topic: dlqTopic, numPartitions: 1 }];
  await admin.createTopics({ topics: topics.filter((t) => !existing.includes(t.topic)) });
  await admin.disconnect();
}

async function produce(count: number) {
  await createTopics();
  await producer.connect();
  const messages = Array.from({ length: count }, () => {
    const user_id = `u-${1 + Math.floor(Math.random() * 10)}`;
    // Keyed by user: one user's clicks stay in order, in one partition.
    return { key: user_id, value: JSON.stringify({ user_id, url: "/", ts: Date.now() }) };
  });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  redis.disconnect();
}

async function count() {
  await createTopics();
  await producer.connect();
  const consumer = kafka.consumer({ groupId });
  // kafkajs does not restart after an error it deems fatal (one thrown by the handler
  // too): it disconnects, and the process would end with 0. Say so and exit 1.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      console.error(`consumer stopped: ${payload.error.message}`);
      Deno.exit(1);
    }
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const stop = async () => {
    await consumer.disconnect();
    await producer.disconnect();
    await redis.quit();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      let click;
      try {
        click = JSON.parse(message.value?.toString() ?? "");
        if (typeof click.user_id !== "string" || !Number.isSafeInteger(click.ts)) {
          throw "bad fields";
        }
      } catch (err) {
        const value = JSON.stringify({ reason: String(err), offset: message.offset, partition });
        await producer.send({ topic: dlqTopic, messages: [{ value }] }); // kept, not dropped
        return;
      }
      const start = bucketOf(click.ts);
      const bucket = `${prefix}:user:${click.user_id}:${start}`;
      // One MULTI: the total and the bucket move together.
      await redis.multi()
        .incr(`${prefix}:user:${click.user_id}:total`)
        .incr(bucket)
        .pexpireat(bucket, start + retentionMs + bucketMs)
        .exec();
    },
  });
}

function serve() {
  const app = new Hono();
  app.get("/users/:id/clicks", async (c) => {
    const window = c.req.query("window") ?? defaultWindow;
    if (!/^\d+[smh]$/.test(window) || ms(window) % bucketMs !== 0 || ms(window) > retentionMs) {
      return c.json({
        error: `window must be whole buckets of ${bucketMs} ms, up to the retention`,
      }, 400);
    }
    const user = c.req.param("id");
    const newest = bucketOf(Date.now());
    const keys = Array.from({ length: ms(window) / bucketMs }, (_, i) => newest - i * bucketMs)
      .map((start) => `${prefix}:user:${user}:${start}`);
    const [total, ...buckets] = await redis.mget(`${prefix}:user:${user}:total`, ...keys);
    const rolling = buckets.reduce((sum, n) => sum + Number(n ?? 0), 0);
    return c.json({ user_id: user, total: Number(total ?? 0), rolling, window });
  });
  Deno.serve(
    { hostname: env("HTTP_HOST", "127.0.0.1"), port: Number(env("HTTP_PORT", "8080")) },
    app.fetch,
  );
}

const [command, n] = Deno.args;
if (command === "produce" && Number(n) > 0) await produce(Number(n));
else if (command === "process") await count();
else if (command === "serve") serve();
else {
  console.error("usage: deno run -A solution.ts produce <count> | process | serve");
  Deno.exit(2);
}
