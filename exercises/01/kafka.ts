/**
 * The Kafka client and topics both halves of exercise 01 use.
 *
 * @module
 */
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import type { Config } from "./config.ts";

/**
 * A kafkajs client for the configured brokers. kafkajs logs as JSON on stdout
 * by default; ours go to stderr so stdout stays one result per line.
 */
export function kafkaClient(config: Config, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: config.brokers,
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, log }) => {
      const error = log.error ? `: ${log.error}` : "";
      console.error(`kafkajs ${namespace}: ${log.message}${error}`);
    },
  });
}

/**
 * Creates the orders topic (with `config.partitions` partitions) and its
 * dead-letter topic when they do not exist yet; both the producer and the
 * consumer call it, so either can start first.
 */
export async function ensureTopics(admin: Admin, config: Config): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const topics = [
    { topic: config.topic, numPartitions: config.partitions },
    { topic: config.dlqTopic, numPartitions: 1 },
  ].filter((t) => !existing.has(t.topic));
  if (topics.length === 0) return;
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (err) {
    // Another producer or consumer created it first: that is fine.
    if ((err as { type?: string }).type !== "TOPIC_ALREADY_EXISTS") throw err;
  }
}

/**
 * A producer that never creates topics by accident. The partitioner is named
 * (kafkajs warns otherwise): the murmur2 one Java clients use, so a key maps to
 * the same partition whichever client wrote it.
 */
export function ordersProducer(kafka: Kafka): Producer {
  return kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/**
 * The message a CLI prints for a fatal error: connection failures say which
 * brokers were tried and how to start them.
 */
export function describeError(err: unknown, config: Pick<Config, "brokers">): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name.startsWith("KafkaJS") && /connect/i.test(message)) {
    return `Cannot reach Kafka at KAFKA_BROKERS=${config.brokers.join(",")}: ${message} ` +
      "(start it with `make services`, or point KAFKA_BROKERS at a running broker)";
  }
  return message;
}
