/**
 * Exercise 02's settings, read from env vars in one place, each with a default
 * that works with `make services`. A bad value stops the program with a
 * message naming the variable.
 *
 * @module
 */
import type { ITopicConfig } from "kafkajs";
import { parseBrokers } from "../../infra/kafka.ts";

/** When the consumer commits: after every message, or once per fetched batch. */
export type CommitMode = "message" | "batch";

/** Settings of the ledger consumer and the payments producer. */
export interface Config {
  /** `KAFKA_BROKERS`: comma-separated host:port list. Default `127.0.0.1:9092`. */
  brokers: string[];
  /** `PAYMENTS_TOPIC`. Default `payments`. */
  topic: string;
  /** `PAYMENTS_DLQ_TOPIC`: messages that failed every attempt, with the error. Default `payments.dlq`. */
  dlqTopic: string;
  /** `PAYMENTS_PARTITIONS`: partitions when the topic is created. Default 3. */
  partitions: number;
  /** `PAYMENTS_GROUP`: the consumer group. Default `payments-ledger`. */
  groupId: string;
  /** `LEDGER_FILE`: where each processed message is appended, one JSON line. Default `ledger.ndjson`. */
  ledgerFile: string;
  /** `COMMIT_MODE`: `message` (after each one) or `batch` (after each fetched batch). Default `message`. */
  commitMode: CommitMode;
  /** `MAX_ATTEMPTS`: processing attempts before a message is dead-lettered. Default 3. */
  maxAttempts: number;
  /** `RETRY_DELAY_MS`: wait before the 2nd attempt; doubles after each failure. Default 200. */
  retryDelayMs: number;
  /** `CRASH_AFTER`: die hard (SIGKILL, no commit) right after processing this many messages; 0 never. Default 0. */
  crashAfter: number;
  /** `SESSION_TIMEOUT_MS`: how soon the group notices a dead member. Default 6000 (the broker's minimum). */
  sessionTimeoutMs: number;
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ COMMIT_MODE: "batch" }).commitMode; // "batch"
 * readConfig({ CRASH_AFTER: "-1" }); // throws RangeError
 * ```
 */
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const text = (name: string, fallback: string): string => {
    const value = (vars[name] ?? fallback).trim();
    if (value === "") {
      throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
    }
    return value;
  };
  const integer = (name: string, fallback: number, min: number): number => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(
        `Cannot use '${name}' as it is not an integer >= ${min}: current value is "${raw}"`,
      );
    }
    return value;
  };
  const commitMode = text("COMMIT_MODE", "message");
  if (commitMode !== "message" && commitMode !== "batch") {
    throw new TypeError(
      `Cannot use 'COMMIT_MODE' as it is not "message" or "batch": current value is "${commitMode}"`,
    );
  }
  return {
    brokers: parseBrokers(text("KAFKA_BROKERS", "127.0.0.1:9092")),
    topic: text("PAYMENTS_TOPIC", "payments"),
    dlqTopic: text("PAYMENTS_DLQ_TOPIC", "payments.dlq"),
    partitions: integer("PAYMENTS_PARTITIONS", 3, 1),
    groupId: text("PAYMENTS_GROUP", "payments-ledger"),
    ledgerFile: text("LEDGER_FILE", "ledger.ndjson"),
    commitMode,
    maxAttempts: integer("MAX_ATTEMPTS", 3, 1),
    retryDelayMs: integer("RETRY_DELAY_MS", 200, 0),
    crashAfter: integer("CRASH_AFTER", 0, 0),
    sessionTimeoutMs: integer("SESSION_TIMEOUT_MS", 6000, 6000),
  };
}

/** The payments topic and its dead-letter topic. */
export function topicsOf(config: Config): ITopicConfig[] {
  return [
    { topic: config.topic, numPartitions: config.partitions },
    { topic: config.dlqTopic, numPartitions: 1 },
  ];
}
