/**
 * Helpers for exercise 02's tests: a unique topic, group and ledger per test,
 * the consumer as a real process, and what the ledger and the group hold.
 *
 * @module
 */
import type { Message } from "kafkajs";
import { testKafka, uniqueName } from "../../infra/testing.ts";
import { type Script, startScript } from "../../infra/script.ts";
import { readConfig } from "./config.ts";
import { readLedger } from "./ledger.ts";
import { publish } from "./produce.ts";

export interface Setup {
  env: Record<string, string>;
  ledger: string;
}

export async function setup(
  partitions: number,
  extra: Record<string, string> = {},
): Promise<Setup> {
  const topic = uniqueName("test-payments");
  const ledger = await Deno.makeTempFile({ prefix: "ledger-", suffix: ".ndjson" });
  return {
    ledger,
    env: {
      PAYMENTS_TOPIC: topic,
      PAYMENTS_DLQ_TOPIC: `${topic}.dlq`,
      PAYMENTS_GROUP: uniqueName("test-group"),
      PAYMENTS_PARTITIONS: String(partitions),
      LEDGER_FILE: ledger,
      RETRY_DELAY_MS: "20",
      ...extra,
    },
  };
}

export const consumer = (s: Setup, extra: Record<string, string> = {}): Script =>
  startScript("exercises/02/consumer.ts", [], { ...s.env, ...extra });

/** Waits until the ledger holds every offset in `expected` ("partition@offset"). */
export async function untilProcessed(s: Setup, expected: Set<string>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const done = new Set(readLedger(s.ledger).map((e) => `${e.partition}@${e.offset}`));
    if ([...expected].every((k) => done.has(k))) return;
    if (Date.now() > deadline) {
      throw new Error(`only ${done.size} of ${expected.size} messages processed after ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function committed(s: Setup): Promise<Map<number, string>> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({
      groupId: s.env.PAYMENTS_GROUP,
      topics: [s.env.PAYMENTS_TOPIC],
    });
    return new Map(topic.partitions.map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

export const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => String(from + i));

export async function publishTo(s: Setup, messages: Message[]): Promise<void> {
  await publish(readConfig(s.env), messages);
}
