/**
 * The kafkajs pieces every Kafka exercise needs: a client that logs to stderr,
 * topics created on demand, a producer with explicit settings, and a clear
 * message when the broker cannot be reached.
 *
 * @example
 * ```ts
 * import { ensureTopics, kafkaClient } from "../../infra/kafka.ts";
 * const kafka = kafkaClient(["127.0.0.1:9092"], "my-app");
 * const admin = kafka.admin();
 * await admin.connect();
 * await ensureTopics(admin, [{ topic: "orders", numPartitions: 3 }]);
 * await admin.disconnect();
 * ```
 * @module
 */
import {
  type Admin,
  ConfigResourceTypes,
  type Consumer,
  type ITopicConfig,
  Kafka,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from "kafkajs";
import { Buffer } from "node:buffer";
import process from "node:process";
import { RECORD_OVERHEAD } from "./dead_letter.ts";

/**
 * Stops the runtime printing kafkajs's TimeoutNegativeWarning: kafkajs 2.2.4
 * schedules a timer with a negative delay on every connection and the
 * runtime warns for each (kafkajs#1751; harmless, never fixed upstream).
 * Every other warning is printed as before. It changes process-wide state,
 * so programs call it in their main; importing this module changes nothing.
 *
 * @example
 * ```ts
 * if (import.meta.main) quietKafkajsWarnings();
 * ```
 */
export function quietKafkajsWarnings(): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name !== "TimeoutNegativeWarning") {
      console.error(`${warning.name}: ${warning.message}`);
    }
  });
}

/**
 * Splits and checks a `KAFKA_BROKERS` value: `host:port` entries, comma-separated.
 *
 * @example
 * ```ts
 * parseBrokers("127.0.0.1:9092, 127.0.0.1:9093"); // ["127.0.0.1:9092", "127.0.0.1:9093"]
 * parseBrokers("localhost"); // throws TypeError
 * ```
 */
export function parseBrokers(value: string): string[] {
  const brokers = value.split(",").map((b) => b.trim());
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d+$/.test(broker)) {
      throw new TypeError(
        `Cannot use 'KAFKA_BROKERS' as "${broker}" is not host:port (kafkajs cannot parse IPv6 literals)`,
      );
    }
  }
  return brokers;
}

/**
 * A kafkajs client. kafkajs logs JSON to stdout by default; these logs go to
 * stderr, so stdout stays one result per line.
 */
export function kafkaClient(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, log }) => {
      const error = log.error ? `: ${log.error}` : "";
      console.error(`kafkajs ${namespace}: ${log.message}${error}`);
    },
  });
}

/**
 * Creates the topics that do not exist yet. Producers and consumers both call
 * it, so either can start first; losing the race to create one is fine.
 */
export async function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (err) {
    if ((err as { type?: string }).type !== "TOPIC_ALREADY_EXISTS") throw err;
  }
}

/**
 * The partitioner every producer here uses, named (kafkajs warns otherwise):
 * kafkajs 2's default, murmur2 as in the Java client, so a key maps to the
 * same partition as when a Java producer (or Kafka Streams) writes it;
 * infra/kafka_test.ts checks it against the Java client's own code.
 * librdkafka-based clients (confluent-kafka for Python and Go, kcat,
 * node-rdkafka) default to `consistent_random` (CRC32) and put the same key
 * elsewhere: give them `partitioner=murmur2_random` (kcat: `-X
 * partitioner=murmur2_random`) to share a topic with these producers and keep
 * one key's messages in order.
 */
export const PARTITIONER = Partitioners.DefaultPartitioner;

/** A producer that never creates topics by accident, with {@linkcode PARTITIONER}. */
export function newProducer(kafka: Kafka): Producer {
  return kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: PARTITIONER,
  });
}

/**
 * The message a CLI prints for a fatal error: a connection failure says which
 * brokers were tried and how to start one.
 */
export function describeKafkaError(err: unknown, brokers: string[]): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name.startsWith("KafkaJS") && /connect/i.test(message)) {
    return `Cannot reach Kafka at KAFKA_BROKERS=${brokers.join(",")}: ${message} ` +
      "(start it with `make services`, or point KAFKA_BROKERS at a running broker)";
  }
  return message;
}

/**
 * The largest message `topic` takes, in bytes: its `max.message.bytes` (the
 * broker's `message.max.bytes` unless the topic overrides it). A record
 * batch over it is refused with MESSAGE_TOO_LARGE, for every message in it.
 *
 * @example
 * ```ts
 * await maxMessageBytes(admin, "orders"); // 1048588 on a default broker
 * ```
 */
export async function maxMessageBytes(admin: Admin, topic: string): Promise<number> {
  const { resources } = await admin.describeConfigs({
    resources: [{
      type: ConfigResourceTypes.TOPIC,
      name: topic,
      configNames: ["max.message.bytes"],
    }],
    includeSynonyms: false,
  });
  const value = resources[0]?.configEntries.find((e) => e.configName === "max.message.bytes")
    ?.configValue;
  const bytes = Number(value);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`Cannot read max.message.bytes of topic '${topic}': got ${value}`);
  }
  return bytes;
}

/**
 * What a message costs in a record batch: key, value and per-record overhead.
 *
 * @example
 * ```ts
 * messageBytes({ key: "c1", value: "{}" }); // 132
 * ```
 */
export function messageBytes(message: Message): number {
  const size = (v: Message["key"] | Message["value"]) =>
    v == null ? 0 : typeof v === "string" ? Buffer.byteLength(v) : v.length;
  return size(message.key) + size(message.value) + RECORD_OVERHEAD;
}

/**
 * Sends `messages` to `topic` in as few requests as fit the topic's limit
 * (`maxBytes`, from {@linkcode maxMessageBytes}): one partition's record
 * batch never exceeds the sum of a request's messages.
 */
export async function sendWithin(
  producer: Producer,
  topic: string,
  messages: Message[],
  maxBytes: number,
): Promise<void> {
  let batch: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (batch.length > 0 && bytes + size > maxBytes) {
      await producer.send({ topic, acks: -1, messages: batch });
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) await producer.send({ topic, acks: -1, messages: batch });
}

/**
 * Resolves with the error when kafkajs gives up on `consumer` for good: a
 * crash it does not restart (a non-retriable error such as MESSAGE_TOO_LARGE)
 * leaves it disconnected while the process lives on doing nothing. Programs
 * exit non-zero on it, so a supervisor sees the failure and restarts them.
 *
 * @example
 * ```ts
 * fatalCrash(consumer).then((err) => { console.error(err.message); Deno.exit(1); });
 * ```
 */
export function fatalCrash(consumer: Consumer): Promise<Error> {
  return new Promise((resolve) => {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) resolve(payload.error);
    });
  });
}
