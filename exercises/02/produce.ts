/**
 * Publishes test payments for exercise 02: `count` payments with ids p-0 …,
 * amounts in paise, and optionally a poison message every `POISON_EVERY`
 * messages (not JSON), so the dead-letter path shows.
 *
 * @example
 * ```sh
 * deno run -A exercises/02/produce.ts 1000
 * ```
 * @module
 */
import type { Message } from "kafkajs";
import {
  describeKafkaError,
  ensureTopics,
  kafkaClient,
  newProducer,
  quietKafkajsWarnings,
} from "../../infra/kafka.ts";
import { type Config, readConfig, topicsOf } from "./config.ts";

/**
 * The messages `produce.ts` sends: payment `i` is keyed `c-{i % 50}` so each
 * partition gets some; every `poisonEvery`-th message (if > 0) is not JSON.
 *
 * @example
 * ```ts
 * payments(3, 0).map((m) => m.value); // ['{"payment_id":"p-0","amount":100}', …]
 * ```
 */
export function payments(count: number, poisonEvery: number): Message[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `c-${i % 50}`,
    value: poisonEvery > 0 && i % poisonEvery === poisonEvery - 1
      ? `this is not a payment #${i}`
      : JSON.stringify({ payment_id: `p-${i}`, amount: 100 + i }),
  }));
}

/** Sends the messages in batches of 1000. */
export async function publish(config: Config, messages: Message[]): Promise<void> {
  const kafka = kafkaClient(config.brokers, "payments-producer");
  const admin = kafka.admin();
  const producer = newProducer(kafka);
  try {
    await admin.connect();
    await ensureTopics(admin, topicsOf(config));
    await producer.connect();
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic: config.topic, acks: -1, messages: messages.slice(i, i + 1000) });
    }
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}

if (import.meta.main) {
  quietKafkajsWarnings();
  const count = Number(Deno.args[0] ?? 100);
  const poisonEvery = Number(Deno.env.get("POISON_EVERY") ?? 0);
  if (
    !Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(poisonEvery) ||
    poisonEvery < 0
  ) {
    console.error("usage: [POISON_EVERY=n] deno run -A exercises/02/produce.ts <count>");
    Deno.exit(2);
  }
  let config;
  try {
    config = readConfig();
    await publish(config, payments(count, poisonEvery));
    console.log(JSON.stringify({ topic: config.topic, published: count }));
  } catch (err) {
    console.error(
      `produce: ${config ? describeKafkaError(err, config.brokers) : (err as Error).message}`,
    );
    Deno.exit(1);
  }
}
