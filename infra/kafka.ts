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
export function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  return whileBrokerRecovers(() => createMissing(admin, topics), "creating the topics");
}

async function createMissing(admin: Admin, topics: ITopicConfig[]): Promise<void> {
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

/**
 * A producer that never creates topics by accident, with {@linkcode PARTITIONER}.
 * It is idempotent: the broker keeps each producer's sequence numbers, so a
 * batch sent again after a lost answer (a leader killed between writing it and
 * replying) is not written twice, and one request in flight keeps per-key order
 * across retries. Measured on three brokers with the partition leader killed
 * mid-run (exercises/01/cluster_test.ts): without it, 42 of 100,000 orders
 * were lost; with it, none lost and none twice.
 */
export function newProducer(kafka: Kafka): Producer {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: PARTITIONER,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  // Connecting asks a broker for a producer id; the metadata may still name a
  // broker that died a moment ago, and kafkajs asks it again and again.
  const connect = producer.connect.bind(producer);
  producer.connect = () => whileBrokerRecovers(connect, "starting the idempotent producer");
  return producer;
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
  const { resources } = await whileBrokerRecovers(() =>
    admin.describeConfigs({
      resources: [{
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configNames: ["max.message.bytes"],
      }],
      includeSynonyms: false,
    }), `reading max.message.bytes of topic '${topic}'`);
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
 * True for a failure Kafka says is temporary: no leader yet, fewer in-sync
 * replicas than `min.insync.replicas`, a broker gone or restarting. kafkajs
 * wraps the last one in KafkaJSNumberOfRetriesExceeded after its own retries.
 */
export function isTemporary(err: unknown): boolean {
  const e = err as { name?: string; retriable?: boolean; cause?: unknown } | undefined;
  if (e?.name === "KafkaJSNumberOfRetriesExceeded") return isTemporary(e.cause);
  return e?.retriable === true;
}

/** Options for {@linkcode sendPatiently}. */
export interface PatientOptions {
  /** Names what is sent in the log lines and the final error. */
  what: string;
  /** Give up after this long; `setting` names where it comes from. */
  timeoutMs: number;
  /** The env var a user sets to change `timeoutMs` ("" for none). */
  setting: string;
  log?: (line: string) => void;
}

/**
 * Runs `send` until it succeeds, waiting out temporary failures for up to
 * `timeoutMs` with one log line each. kafkajs retries a request for about
 * 10 s, less than a broker outage lasts: the cluster needs about 9 s
 * (`broker.session.timeout.ms`) to move leaders off a dead broker, and with
 * two of three brokers down acks=all is refused until they return. With the
 * idempotent producer ({@linkcode newProducer}) sending the same batch again
 * never writes it twice.
 */
export async function sendPatiently<T>(
  send: () => Promise<T>,
  options: PatientOptions,
): Promise<T> {
  const { what, timeoutMs, setting, log = console.error } = options;
  const started = Date.now();
  for (let attempt = 1;; attempt++) {
    try {
      return await send();
    } catch (err) {
      const waited = Date.now() - started;
      if (!isTemporary(err)) throw err;
      if (waited >= timeoutMs) {
        throw new Error(
          `${what}: gave up after ${Math.round(waited / 1000)} s` +
            (setting ? ` (${setting}=${timeoutMs}): ` : ": ") +
            kafkaReason(err),
        );
      }
      log(
        `${what}: failed for now (${kafkaReason(err)}); trying again for up to ` +
          `${Math.round((timeoutMs - waited) / 1000)} s more`,
      );
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 5000, timeoutMs - waited)));
    }
  }
}

/**
 * Sends keyed `messages` to `topic` (of `partitions` partitions) with one
 * request per partition, each waited out by {@linkcode sendPatiently}; the
 * partition is the one {@linkcode PARTITIONER} picks, so keys land where any
 * other producer of ours would put them.
 *
 * Why not one `sendBatch`: kafkajs 2.2.4 sends a batch as one request per
 * leader and, when retrying, skips the brokers that already answered. When a
 * killed leader's partitions move to one of those, their messages are never
 * sent again and the call succeeds: measured, 42 of 100,000 orders lost. And
 * when its retries run out, sending the whole batch again writes twice the
 * partitions that had succeeded (27 of 30,000). A request for one partition
 * has one leader at a time, so a retry resends exactly what was not written,
 * with the same sequence numbers (the broker drops a copy it already has).
 */
export async function sendByPartition(
  producer: Producer,
  topic: string,
  messages: Message[],
  partitions: number,
  options: PatientOptions,
): Promise<void> {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  const partitioner = PARTITIONER();
  const byPartition = new Map<number, Message[]>();
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = byPartition.get(partition) ?? [];
    list.push(message);
    byPartition.set(partition, list);
  }
  await Promise.all(
    [...byPartition].map(([partition, list]) =>
      sendPatiently(
        () => producer.send({ topic, acks: -1, messages: list.map((m) => ({ ...m, partition })) }),
        { ...options, what: `${options.what} (partition ${partition})` },
      )
    ),
  );
}

/** The number of partitions `topic` has now. */
export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const { topics } = await whileBrokerRecovers(
    () => admin.fetchTopicMetadata({ topics: [topic] }),
    `reading the partitions of topic '${topic}'`,
  );
  return topics[0].partitions.length;
}

/**
 * Start-up admin calls, once connected (so some broker answers): a broker
 * killed a moment ago is still in the metadata until the controllers fence it
 * (`broker.session.timeout.ms`, 9 s), and a call sent to it fails. Such
 * failures are waited out for up to 30 s, one log line each, instead of
 * ending the program with "Cannot reach Kafka" while two brokers are up.
 */
function whileBrokerRecovers<T>(call: () => Promise<T>, what: string): Promise<T> {
  return sendPatiently(call, { what: `kafka: ${what}`, timeoutMs: 30_000, setting: "" });
}

/** `TYPE: message` of a kafkajs error (the cause's, when kafkajs ran out of retries). */
export function kafkaReason(err: unknown): string {
  const e = err as { name?: string; type?: string; message?: string; cause?: unknown };
  if (e?.name === "KafkaJSNumberOfRetriesExceeded" && e.cause) return kafkaReason(e.cause);
  return e?.type ? `${e.type}: ${e.message}` : String(e?.message ?? err);
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
