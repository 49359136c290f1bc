/**
 * Test helpers for exercise 08: a config with names no other test uses, Redis
 * keys cleaned up afterwards, and a producer for hand-made events.
 *
 * @module
 */
import type { Redis } from "ioredis";
import type { Admin } from "kafkajs";
import { newProducer } from "../../infra/kafka.ts";
import { testKafka, uniqueName, withTopics } from "../../infra/testing.ts";
import { type Config, readConfig } from "./config.ts";
import { connectRedis } from "./store.ts";

/** The default config with a unique topic, dead-letter topic, group and key prefix. */
export function testConfig(vars: Record<string, string> = {}): Config {
  const topic = uniqueName("test-clicks");
  return {
    ...readConfig({ CLICKS_SESSION_TIMEOUT: "6s", ...vars }),
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName("test-counter"),
    prefix: uniqueName("test-clicks"),
  };
}

/** The same names as env vars, for the scripts. */
export function envOf(config: Config): Record<string, string> {
  return {
    CLICKS_TOPIC: config.topic,
    CLICKS_DLQ_TOPIC: config.dlqTopic,
    CLICKS_GROUP: config.groupId,
    CLICKS_PREFIX: config.prefix,
  };
}

/** Runs `fn` with an admin client, then deletes the config's topics and consumer group. */
export async function withTopicsOf<T>(
  config: Config,
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  try {
    return await withTopics([config.topic, config.dlqTopic], fn);
  } finally {
    const admin = testKafka().admin();
    await admin.connect();
    // Fails when the group was never created, or a member is still in it: nothing to clean.
    await admin.deleteGroups([config.groupId]).catch(() => {});
    await admin.disconnect();
  }
}

/** Runs `fn` with a Redis client, then deletes every key under `prefix` and closes the client. */
export async function withRedis<T>(prefix: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await connectRedis(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379");
  try {
    return await fn(redis);
  } finally {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    await redis.quit();
  }
}

/** Sends messages (value, optional key) to a topic that already exists, in one request. */
export async function produce(
  topic: string,
  messages: { key?: string; value: string | null }[],
  brokers?: string[],
): Promise<void> {
  const producer = newProducer(testKafka(brokers));
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 5000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 5000) });
    }
  } finally {
    await producer.disconnect();
  }
}

export { until } from "../../infra/testing.ts";
