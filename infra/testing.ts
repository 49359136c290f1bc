/**
 * Helpers for tests that talk to the real services: fail clearly when a
 * service is down, unique names per test, and reading a topic back.
 *
 * @module
 */
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { env } from "./env.ts";
import { ENDPOINT_VAR, probe, type Service } from "./probe.ts";
import type { Context } from "./lambda/runtime.ts";

const LABEL: Record<Service, string> = {
  kafka: "Kafka",
  redis: "Redis",
  s3: "the S3 storage",
  dynamodb: "DynamoDB Local",
};

/**
 * Throws unless the service answers, with a message naming the env var and
 * how to start it. Tests call this first: a missing service fails the test,
 * it never skips it (in CI or anywhere else).
 *
 * @example
 * ```ts
 * await requireService("kafka");
 * ```
 */
export async function requireService(service: Service): Promise<void> {
  const name = ENDPOINT_VAR[service];
  try {
    await probe(service, 5_000);
  } catch (err) {
    throw new Error(
      `Cannot reach ${LABEL[service]} at ${name}=${env(name)}: ${(err as Error).message} ` +
        `(start the services with \`make services\`, or point ${name} at a running one)`,
    );
  }
}

/**
 * A name no other test run uses, for topics, groups, queues, buckets, tables.
 *
 * @example
 * ```ts
 * uniqueName("orders"); // "orders-3f9c2a1b"
 * ```
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Waits until `check()` is true, polling every `every` ms; throws after `ms`
 * naming what it waited for.
 *
 * @example
 * ```ts
 * await until(async () => (await queue.count()) === 0, 10_000, "an empty queue");
 * ```
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  every = 50,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/**
 * A Lambda context for calling a handler in process (60 s left).
 *
 * @example
 * ```ts
 * await handler(event, lambdaContext("count-csv-rows"));
 * ```
 */
export function lambdaContext(functionName: string, memoryLimitInMB = "128"): Context {
  const deadlineMs = Date.now() + 60_000;
  return {
    awsRequestId: crypto.randomUUID(),
    functionName,
    functionVersion: "$LATEST",
    memoryLimitInMB,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "test",
    deadlineMs,
    getRemainingTimeInMillis: () => deadlineMs - Date.now(),
  };
}

/** A kafkajs client for tests: quiet, fast to give up. Default brokers: `KAFKA_BROKERS`. */
export function testKafka(brokers: string[] = env("KAFKA_BROKERS").split(",")): Kafka {
  return new Kafka({
    clientId: "test",
    brokers,
    connectionTimeout: 2000,
    logLevel: logLevel.NOTHING,
  });
}

/** Runs `fn` with a connected admin client, then deletes `topics` (if they exist). */
export async function withTopics<T>(
  topics: string[],
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    const existing = new Set(await admin.listTopics());
    const mine = topics.filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
  }
}

/** One message read back from a topic. */
export interface TopicMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/**
 * Reads every message in the topic right now: up to each partition's high
 * watermark at the time of the call, by assigning partitions directly (no
 * consumer group involved).
 */
export async function readTopic(
  topic: string,
  timeoutMs = 20_000,
  kafka: Kafka = testKafka(),
): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
  );
  const messages: TopicMessage[] = [];
  if (remaining.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: uniqueName("read-topic") });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`readTopic(${topic}): not at the end after ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer.run({
        eachMessage: ({ partition, message }) => {
          const high = remaining.get(partition);
          if (high === undefined || BigInt(message.offset) >= high) return Promise.resolve();
          messages.push({
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
          });
          if (BigInt(message.offset) + 1n >= high) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/**
 * Makes the next dead letter of a running consumer fail with
 * MESSAGE_TOO_LARGE, an error kafkajs does not restart after: shrinks
 * `dlqTopic`'s max.message.bytes to 200 (under a consumer that read the old
 * limit at start), then sends `topic` a 2,000-byte message that is not JSON.
 *
 * @example
 * ```ts
 * await refuseNextDeadLetter(admin, "orders", "orders.dlq");
 * assert.equal((await exitWithin(consumer, 30_000))?.code, 1);
 * ```
 */
export async function refuseNextDeadLetter(
  admin: Admin,
  topic: string,
  dlqTopic: string,
): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{
      type: ConfigResourceTypes.TOPIC,
      name: dlqTopic,
      configEntries: [{ name: "max.message.bytes", value: "200" }],
    }],
  });
  const producer = testKafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value: "x".repeat(2000) }] });
  } finally {
    await producer.disconnect();
  }
}
