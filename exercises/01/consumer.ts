/**
 * Exercise 01, part 2: a consumer in a consumer group that prints, as one JSON
 * line each, the orders whose amount is strictly above the threshold
 * (₹10,000 by default). Start it twice with the same `ORDERS_GROUP` and the
 * two split the topic's partitions: each order is printed by one of them.
 *
 * @example
 * ```sh
 * deno run -A exercises/01/consumer.ts
 * ```
 * @module
 */
import { type Consumer, type Producer } from "kafkajs";
import { type Config, readConfig, topicsOf } from "./config.ts";
import {
  describeKafkaError,
  ensureTopics,
  fatalCrash,
  kafkaClient,
  maxMessageBytes,
  newProducer,
  quietKafkajsWarnings,
} from "../../infra/kafka.ts";
import { deadLetterMessage } from "../../infra/dead_letter.ts";
import { runUntilSignal } from "../../infra/run_until_signal.ts";
import { isAbove, type Order, parseOrder } from "./order.ts";

/** One printed order and where it came from. */
export interface Printed {
  partition: number;
  offset: string;
  order: Order;
}

const encoder = new TextEncoder();

/** Writes all of `text` to stdout (one write may take only part of it). */
async function writeAll(text: string): Promise<void> {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(await Deno.stdout.write(bytes));
}

/** Options for {@linkcode startConsumer}. */
export interface ConsumerOptions {
  /** Called for each order above the threshold. Default: print it as a JSON line on stdout. */
  onOrder?: (printed: Printed) => void;
  /** Called with this member's partitions after each rebalance. */
  onAssigned?: (partitions: number[]) => void;
}

/** A running consumer. */
export interface RunningConsumer {
  /** Leaves the group (so its partitions move to the other members) and disconnects. */
  stop(): Promise<void>;
  /** Resolves with the error if kafkajs stopped the consumer for good (never, otherwise). */
  failed: Promise<Error>;
}

/**
 * Joins `config.groupId`, reads `config.topic` from the beginning (for a new
 * group) and reports the orders above `config.threshold`. A message that is
 * not a valid order goes to `config.dlqTopic` with the reason.
 *
 * @example
 * ```ts
 * const running = await startConsumer(readConfig(), { onOrder: (p) => console.log(p.order) });
 * await running.stop();
 * ```
 */
export async function startConsumer(
  config: Config,
  options: ConsumerOptions = {},
): Promise<RunningConsumer> {
  const { onOrder, onAssigned } = options;
  const kafka = kafkaClient(config.brokers, "orders-consumer");
  const admin = kafka.admin();
  await admin.connect();
  let dlqMax: number;
  try {
    await ensureTopics(admin, topicsOf(config));
    dlqMax = await maxMessageBytes(admin, config.dlqTopic);
  } finally {
    await admin.disconnect();
  }
  const dlq: Producer = newProducer(kafka);
  // A 10 s session (kafkajs defaults to 30 s) moves a dead member's partitions sooner.
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = (payload.memberAssignment[config.topic] ?? []).toSorted((a, b) => a - b);
    console.error(`consumer: ${payload.memberId} has partitions [${partitions}]`);
    onAssigned?.(partitions);
  });
  const failed = fatalCrash(consumer);
  await dlq.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: config.topic, fromBeginning: true });
  await consumer.run({
    // A batch at a time, one stdout write per slice of it: a console.log per order
    // (a synchronous write each) held the consumer to half its speed. An offset is
    // resolved (so may be committed) only once its order is written out: a stop
    // or an error mid-batch then leaves the rest uncommitted, for the next owner.
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const { partition } = batch;
      const lines: string[] = [];
      let pending: string | undefined; // the last offset handled but not yet resolved
      const flush = async () => {
        if (lines.length > 0) await writeAll(lines.join("\n") + "\n");
        lines.length = 0;
        if (pending !== undefined) resolveOffset(pending);
        pending = undefined;
        await heartbeat();
      };
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const checked = parseOrder(message.value);
        if (!checked.ok) {
          await flush();
          const where = `${config.topic}/${partition}@${message.offset}`;
          console.error(`consumer: dead-lettered ${where}: ${checked.reason}`);
          // Sized to fit the dead-letter topic: one too big would crash the consumer.
          const dead = deadLetterMessage(
            where,
            { reason: checked.reason, source: where, rejected_at: new Date().toISOString() },
            message.value,
            dlqMax,
          );
          await dlq.send({ topic: config.dlqTopic, acks: -1, messages: [dead] });
        } else if (isAbove(checked.order, config.threshold)) {
          const printed = { partition, offset: message.offset, order: checked.order };
          if (onOrder) onOrder(printed);
          else lines.push(JSON.stringify(printed));
        }
        pending = message.offset;
        if (lines.length >= 1000) await flush();
      }
      await flush();
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await dlq.disconnect();
    },
    failed,
  };
}

if (import.meta.main) {
  quietKafkajsWarnings();
  let config: Config;
  try {
    config = readConfig();
  } catch (err) {
    console.error(`consumer: ${(err as Error).message}`);
    Deno.exit(1);
  }
  runUntilSignal("consumer", () => {
    console.error(
      `consumer: group ${config.groupId} printing orders above ${config.threshold} INR from ${config.topic}`,
    );
    return startConsumer(config);
  }, {
    describeError: (err) => describeKafkaError(err, config.brokers),
  });
}
