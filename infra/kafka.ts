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
  type ITopicConfig,
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
} from "kafkajs";
import process from "node:process";

// kafkajs 2.2.4 schedules a timer with a negative delay on every connection,
// and the runtime prints a TimeoutNegativeWarning for each (kafkajs#1751;
// harmless, never fixed upstream). Print every other warning as before.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "TimeoutNegativeWarning") {
    console.error(`${warning.name}: ${warning.message}`);
  }
});

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
 * A producer that never creates topics by accident. The partitioner is named
 * (kafkajs warns otherwise): the murmur2 one Java clients use, so a key maps to
 * the same partition whichever client wrote it.
 */
export function newProducer(kafka: Kafka): Producer {
  return kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
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
