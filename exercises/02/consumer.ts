/**
 * Exercise 02: a consumer that commits a message's offset only after the
 * message was processed, so a crash can cause reprocessing but never loss.
 *
 * Processing = parse the payment and append it to the ledger file. A message
 * that fails is retried (`MAX_ATTEMPTS`, with doubling delays), then parked in
 * the dead-letter topic with its error, and only then committed: a poison
 * message neither blocks its partition nor disappears.
 *
 * `CRASH_AFTER=N` makes the process kill itself (SIGKILL: no shutdown, no
 * commit) right after processing its N-th message, to show the reprocessing.
 *
 * @example
 * ```sh
 * LEDGER_FILE=ledger.ndjson deno run -A exercises/02/consumer.ts
 * ```
 * @module
 */
import type { KafkaMessage, Producer } from "kafkajs";
import {
  describeKafkaError,
  ensureTopics,
  fatalCrash,
  kafkaClient,
  maxMessageBytes,
  newProducer,
  quietKafkajsWarnings,
} from "../../infra/kafka.ts";
import { deadLetterMessage, decodeUtf8 } from "../../infra/dead_letter.ts";
import { runUntilSignal } from "../../infra/run_until_signal.ts";
import { type Config, readConfig, topicsOf } from "./config.ts";
import { Ledger } from "./ledger.ts";
import { parsePayment, ProcessingError, retryDelay } from "./payment.ts";

/** A running consumer. */
export interface RunningConsumer {
  /** Commits what was processed, leaves the group and disconnects. */
  stop(): Promise<void>;
  /** Resolves with the error if kafkajs stopped the consumer for good (never, otherwise). */
  failed: Promise<Error>;
}

/** The offset to commit after processing `offset`: the NEXT one to read (int64 as a string). */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/**
 * Joins `config.groupId` and processes `config.topic` from the committed
 * offsets (from the beginning for a new group), committing per message or per
 * batch as `config.commitMode` says.
 */
export async function startConsumer(config: Config): Promise<RunningConsumer> {
  const kafka = kafkaClient(config.brokers, "payments-ledger");
  const admin = kafka.admin();
  await admin.connect();
  let dlqMax: number;
  try {
    await ensureTopics(admin, topicsOf(config));
    dlqMax = await maxMessageBytes(admin, config.dlqTopic);
  } finally {
    await admin.disconnect();
  }
  const ledger = new Ledger(config.ledgerFile);
  const dlq: Producer = newProducer(kafka);
  const consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.floor(config.sessionTimeoutMs / 3),
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = (payload.memberAssignment[config.topic] ?? []).toSorted((a, b) => a - b);
    console.error(`consumer ${Deno.pid}: holds partitions [${partitions}]`);
  });
  let processed = 0;

  /** Processes one message, retrying; after the last attempt, dead-letters it. */
  const handle = async (
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ) => {
    // Strict UTF-8: a payment id with invalid bytes must not become U+FFFD.
    const decoded = message.value === null ? null : decodeUtf8(message.value);
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
      if (attempt > 1) {
        await new Promise((r) => setTimeout(r, retryDelay(attempt, config.retryDelayMs)));
        await heartbeat();
      }
      try {
        if (decoded && !decoded.ok) throw new ProcessingError(decoded.reason);
        const payment = parsePayment(decoded && decoded.text);
        if (attempt <= (payment.fail_attempts ?? 0)) {
          throw new Error(
            `downstream failed on attempt ${attempt} (fail_attempts=${payment.fail_attempts})`,
          );
        }
        ledger.append({
          topic: config.topic,
          partition,
          offset: message.offset,
          payment_id: payment.payment_id,
          amount: payment.amount,
          attempt,
          pid: Deno.pid,
          processed_at: new Date().toISOString(),
        });
        console.log(
          JSON.stringify({
            partition,
            offset: message.offset,
            payment_id: payment.payment_id,
            attempt,
          }),
        );
        return;
      } catch (err) {
        lastError = err as Error;
        const where = `${config.topic}/${partition}@${message.offset}`;
        console.error(
          `consumer ${Deno.pid}: ${where} attempt ${attempt}/${config.maxAttempts} failed: ${lastError.message}`,
        );
        // An unparseable message will fail the same way every time: no point waiting.
        if (lastError instanceof ProcessingError) break;
      }
    }
    const where = `${config.topic}/${partition}@${message.offset}`;
    // Sized to fit the dead-letter topic: one too big would crash the consumer.
    const dead = deadLetterMessage(
      where,
      { error: lastError?.message, source: where, dead_lettered_at: new Date().toISOString() },
      message.value,
      dlqMax,
    );
    await dlq.send({ topic: config.dlqTopic, acks: -1, messages: [dead] });
    console.error(`consumer ${Deno.pid}: dead-lettered ${where}: ${lastError?.message}`);
  };

  const failed = fatalCrash(consumer);
  await dlq.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: config.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const commit = (offset: string) =>
        consumer.commitOffsets([{
          topic: batch.topic,
          partition: batch.partition,
          offset: nextOffset(offset),
        }]);
      let pending: string | undefined;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        await handle(batch.partition, message, heartbeat);
        processed++;
        if (processed === config.crashAfter) {
          console.error(
            `consumer ${Deno.pid}: CRASH_AFTER=${config.crashAfter}: killing myself before committing offset ${message.offset}`,
          );
          Deno.kill(Deno.pid, "SIGKILL");
        }
        resolveOffset(message.offset);
        if (config.commitMode === "message") await commit(message.offset);
        else pending = message.offset;
        await heartbeat();
      }
      // A stale batch's partition may belong to another member now: its commit would be refused.
      if (pending !== undefined && !isStale()) await commit(pending);
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await dlq.disconnect();
      ledger.close();
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
  runUntilSignal(`consumer ${Deno.pid}`, () => {
    console.error(
      `consumer ${Deno.pid}: group ${config.groupId} on ${config.topic}, commit per ${config.commitMode}, ` +
        `ledger ${config.ledgerFile}${
          config.crashAfter ? `, crash after ${config.crashAfter}` : ""
        }`,
    );
    return startConsumer(config);
  }, { describeError: (err) => describeKafkaError(err, config.brokers) });
}
