/**
 * Exercise 01's settings, read from env vars in one place. Each has a default
 * that works with `make services`; a bad value stops the program with a
 * message naming the variable.
 *
 * @module
 */
import type { ITopicConfig } from "kafkajs";
import { parseBrokers } from "../../infra/kafka.ts";

/** Settings shared by the producer and the consumer. */
export interface Config {
  /** `KAFKA_BROKERS`, comma-separated host:port list. Default `127.0.0.1:9092`. */
  brokers: string[];
  /** `ORDERS_TOPIC`. Default `orders`. */
  topic: string;
  /** `ORDERS_DLQ_TOPIC`: rejected records with their reason. Default `orders.dlq`. */
  dlqTopic: string;
  /** `ORDERS_PARTITIONS`: partitions of the topic when the producer creates it. Default 3. */
  partitions: number;
  /** `ORDERS_BATCH_SIZE`: orders per produce request. Default 500. */
  batchSize: number;
  /**
   * `KAFKA_SEND_TIMEOUT_MS`: how long the producer keeps trying a batch Kafka
   * refuses for now (a broker down, too few in-sync replicas). Default 120000.
   */
  sendTimeoutMs: number;
  /** `ORDERS_GROUP`: the consumer group id. Default `orders-printer`. */
  groupId: string;
  /** `ORDERS_THRESHOLD`: print orders with an amount strictly above this, in INR. Default 10000. */
  threshold: number;
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ ORDERS_THRESHOLD: "5000" }).threshold; // 5000
 * readConfig({ ORDERS_THRESHOLD: "lots" }); // throws RangeError
 * ```
 */
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const text = (name: string, fallback: string): string => {
    const value = vars[name] ?? fallback;
    if (value.trim() === "") {
      throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
    }
    return value.trim();
  };
  const number = (name: string, fallback: number, integer: boolean): number => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (
      !Number.isFinite(value) || value < (integer ? 1 : 0) || (integer && !Number.isInteger(value))
    ) {
      throw new RangeError(
        `Cannot use '${name}' as it is not a ${
          integer ? "positive integer" : "non-negative number"
        }: current value is "${raw}"`,
      );
    }
    return value;
  };
  const brokers = parseBrokers(text("KAFKA_BROKERS", "127.0.0.1:9092"));
  return {
    brokers,
    topic: text("ORDERS_TOPIC", "orders"),
    dlqTopic: text("ORDERS_DLQ_TOPIC", "orders.dlq"),
    partitions: number("ORDERS_PARTITIONS", 3, true),
    batchSize: number("ORDERS_BATCH_SIZE", 500, true),
    sendTimeoutMs: number("KAFKA_SEND_TIMEOUT_MS", 120_000, true),
    groupId: text("ORDERS_GROUP", "orders-printer"),
    threshold: number("ORDERS_THRESHOLD", 10000, false),
  };
}

/** The orders topic and its dead-letter topic, as the producer or consumer creates them. */
export function topicsOf(config: Config): ITopicConfig[] {
  return [
    { topic: config.topic, numPartitions: config.partitions },
    { topic: config.dlqTopic, numPartitions: 1 },
  ];
}
