/**
 * Exercise 08's settings, read from env vars in one place and shared by the
 * generator, the processor and the HTTP server. Each has a default that works
 * with `make services`; a bad value stops the program with a message naming
 * the variable.
 *
 * @module
 */
import type { ITopicConfig } from "kafkajs";
import { parseBrokers } from "../../infra/kafka.ts";
import { formatDuration, parseDuration } from "./window.ts";

/** Settings of the three scripts. Durations are in milliseconds. */
export interface Config {
  /** `KAFKA_BROKERS`, comma-separated host:port list. Default `127.0.0.1:9092`. */
  brokers: string[];
  /** `REDIS_URL`. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `CLICKS_TOPIC`. Default `clicks`. */
  topic: string;
  /** `CLICKS_DLQ_TOPIC`: bad events with their reason and topic/partition/offset. Default `clicks.dlq`. */
  dlqTopic: string;
  /** `CLICKS_PARTITIONS`: partitions of the topic when a script creates it. Default 3. */
  partitions: number;
  /** `CLICKS_GROUP`: the processor's consumer group. Default `clicks-counter`. */
  groupId: string;
  /** `CLICKS_PREFIX`: prefix of every Redis key. Default `clicks`. */
  prefix: string;
  /** `CLICKS_BUCKET`: bucket length of the rolling counts. Default `1m`. */
  bucketMs: number;
  /** `CLICKS_RETENTION`: the longest window, how long buckets are kept. Default `1h`. */
  retentionMs: number;
  /** `CLICKS_WINDOW`: the window when a request names none. Default `5m`. */
  defaultWindowMs: number;
  /** `CLICKS_MAX_SKEW`: how far after its Kafka timestamp a click's `ts` may be. Default `5m`. */
  maxSkewMs: number;
  /** `CLICKS_BATCH_SIZE`: most events per Redis transaction. Default 500. */
  batchSize: number;
  /** `CLICKS_SESSION_TIMEOUT`: when the group gives up on a silent processor. Default `10s`. */
  sessionTimeoutMs: number;
  /**
   * `CLICKS_COMMIT_DELAY`: a pause between the Redis transaction and the Kafka
   * commit, for crash demos: it widens the moment where at-least-once
   * processing would double count. Default `0ms`.
   */
  commitDelayMs: number;
  /** `HTTP_HOST`: the address the HTTP server listens on. Default `127.0.0.1`. */
  httpHost: string;
  /** `HTTP_PORT`: its port (0 picks a free one). Default 8080. */
  httpPort: number;
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ CLICKS_BUCKET: "10s", CLICKS_RETENTION: "10m" }).bucketMs; // 10000
 * readConfig({ CLICKS_BUCKET: "fast" }); // throws RangeError naming CLICKS_BUCKET
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
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(
        `Cannot use '${name}' as it is not an integer from ${min} to ${max}: current value is "${raw}"`,
      );
    }
    return value;
  };
  const duration = (name: string, fallback: string, min: number): number => {
    const raw = text(name, fallback);
    const value = parseDuration(raw);
    if (value === null || value < min) {
      throw new RangeError(
        `Cannot use '${name}' as it is not a duration${
          min > 0 ? ` of at least ${formatDuration(min)}` : ""
        } such as 500ms, 30s, 5m or 1h: current value is "${raw}"`,
      );
    }
    return value;
  };
  const within = (name: string, value: number, what: string, ok: boolean) => {
    if (!ok) {
      throw new RangeError(
        `Cannot use '${name}' as it is not ${what}: current value is "${formatDuration(value)}"`,
      );
    }
  };

  const brokers = parseBrokers(text("KAFKA_BROKERS", "127.0.0.1:9092"));
  const redisUrl = text("REDIS_URL", "redis://127.0.0.1:6379");
  if (!/^rediss?:\/\/[^\s/]+/.test(redisUrl)) {
    throw new TypeError(
      `Cannot use 'REDIS_URL' as it is not a redis:// or rediss:// URL: current value is "${redisUrl}"`,
    );
  }
  const bucketMs = duration("CLICKS_BUCKET", "1m", 100);
  const bucket = formatDuration(bucketMs);
  const retentionMs = duration("CLICKS_RETENTION", "1h", bucketMs);
  within(
    "CLICKS_RETENTION",
    retentionMs,
    `a whole number of ${bucket} buckets`,
    retentionMs % bucketMs === 0,
  );
  const defaultWindowMs = duration("CLICKS_WINDOW", "5m", bucketMs);
  within(
    "CLICKS_WINDOW",
    defaultWindowMs,
    `a whole number of ${bucket} buckets up to CLICKS_RETENTION (${formatDuration(retentionMs)})`,
    defaultWindowMs % bucketMs === 0 && defaultWindowMs <= retentionMs,
  );
  return {
    brokers,
    redisUrl,
    topic: text("CLICKS_TOPIC", "clicks"),
    dlqTopic: text("CLICKS_DLQ_TOPIC", "clicks.dlq"),
    partitions: integer("CLICKS_PARTITIONS", 3, 1, 1000),
    groupId: text("CLICKS_GROUP", "clicks-counter"),
    prefix: text("CLICKS_PREFIX", "clicks"),
    bucketMs,
    retentionMs,
    defaultWindowMs,
    maxSkewMs: duration("CLICKS_MAX_SKEW", "5m", 0),
    batchSize: integer("CLICKS_BATCH_SIZE", 500, 1, 100_000),
    sessionTimeoutMs: duration("CLICKS_SESSION_TIMEOUT", "10s", 6_000),
    commitDelayMs: duration("CLICKS_COMMIT_DELAY", "0ms", 0),
    httpHost: text("HTTP_HOST", "127.0.0.1"),
    httpPort: integer("HTTP_PORT", 8080, 0, 65535),
  };
}

/** The clicks topic and its dead-letter topic, as the generator or processor creates them. */
export function topicsOf(config: Config): ITopicConfig[] {
  return [
    { topic: config.topic, numPartitions: config.partitions },
    { topic: config.dlqTopic, numPartitions: 1 },
  ];
}
