/**
 * Exercise 01, part 1: publish every order in a JSON (array or NDJSON) file to
 * Kafka, keyed by customer so one customer's orders stay in order. Records
 * that are not valid orders go to the dead-letter topic with the reason and
 * the line they came from.
 *
 * @example
 * ```sh
 * deno run -A exercises/01/producer.ts exercises/01/orders.json
 * ```
 * @module
 */
import type { Message } from "kafkajs";
import { type Config, readConfig, topicsOf } from "./config.ts";
import {
  describeKafkaError,
  ensureTopics,
  kafkaClient,
  maxMessageBytes,
  messageBytes,
  newProducer,
  partitionCount,
  quietKafkajsWarnings,
  sendByPartition,
  sendPatiently,
} from "../../infra/kafka.ts";
import { deadLetterMessage } from "../../infra/dead_letter.ts";
import { parseOrder } from "./order.ts";
import { type RawRecord, readRecords } from "./records.ts";

/** What one run of the producer did. */
export interface Summary {
  source: string;
  published: number;
  rejected: number;
  /** Blank lines of an NDJSON file: no record, skipped, counted here. */
  blankLines: number;
  seconds: number;
  /** Records (published + rejected) per second. */
  rate: number;
  /** True when the run was stopped (SIGINT/SIGTERM) before the end of the file. */
  interrupted: boolean;
}

/** Options for {@linkcode publishOrders}. */
export interface PublishOptions {
  /** Names the input in dead-letter records and logs. Default `"stdin"`. */
  source?: string;
  /** Stops reading; what was read is still sent before returning. */
  signal?: AbortSignal;
  /** Milliseconds between progress lines on stderr; 0 for none. Default 1000. */
  progressEvery?: number;
  /** Blank lines seen by {@linkcode readRecords} (its `onBlankLine`), for the summary. */
  blankLines?: () => number;
}

/**
 * Publishes the records to `config.topic`, rejected ones to `config.dlqTopic`,
 * one batch in flight at a time so each customer's orders keep their file
 * order. A batch is sent when it holds `config.batchSize` records, or before
 * it would outgrow the smaller of the two topics' `max.message.bytes` (the
 * broker refuses a whole batch over it). One order over its topic's limit is
 * rejected with its size, never sent. Each batch goes as one request per
 * partition (`sendByPartition()`), retried while Kafka refuses it for now for
 * up to `config.sendTimeoutMs`; the idempotent producer never writes a retried
 * batch twice.
 *
 * @example
 * ```ts
 * const text = '{"order_id":"o1","customer_id":"c1","amount":5}';
 * const records = readRecords(ReadableStream.from([new TextEncoder().encode(text)]));
 * const summary = await publishOrders(records, readConfig());
 * // { published: 1, rejected: 0, … }
 * ```
 */
export async function publishOrders(
  records: AsyncIterable<RawRecord>,
  config: Config,
  options: PublishOptions = {},
): Promise<Summary> {
  const { source = "stdin", signal, progressEvery = 1000, blankLines = () => 0 } = options;
  const kafka = kafkaClient(config.brokers, "orders-producer");
  const admin = kafka.admin();
  const producer = newProducer(kafka);
  const started = performance.now();
  let published = 0;
  let rejected = 0;
  let orders: Message[] = [];
  let dead: Message[] = [];
  let pendingBytes = 0;
  let lastLine = 0;
  let partitions = 0;
  let lastProgress = started;

  const flush = async () => {
    if (orders.length === 0 && dead.length === 0) return;
    const patience = {
      what: `producer: batch ending at line ${lastLine}`,
      timeoutMs: config.sendTimeoutMs,
      setting: "KAFKA_SEND_TIMEOUT_MS",
    };
    await Promise.all([
      orders.length > 0 && sendByPartition(producer, config.topic, orders, partitions, patience),
      dead.length > 0 &&
      sendPatiently(() => producer.send({ topic: config.dlqTopic, acks: -1, messages: dead }), {
        ...patience,
        what: `${patience.what} (dead letters)`,
      }),
    ]);
    published += orders.length;
    rejected += dead.length;
    orders = [];
    dead = [];
    pendingBytes = 0;
    const now = performance.now();
    if (progressEvery > 0 && now - lastProgress >= progressEvery) {
      lastProgress = now;
      const rate = Math.round((published + rejected) / ((now - started) / 1000));
      console.error(`producer: ${published} published, ${rejected} rejected, ${rate} records/s`);
    }
  };

  try {
    await admin.connect();
    await ensureTopics(admin, topicsOf(config));
    const [ordersMax, dlqMax] = await Promise.all([
      maxMessageBytes(admin, config.topic),
      maxMessageBytes(admin, config.dlqTopic),
    ]);
    const batchMax = Math.min(ordersMax, dlqMax);
    partitions = await partitionCount(admin, config.topic);
    const add = async (message: Message, to: "orders" | "dlq") => {
      const size = messageBytes(message);
      if (pendingBytes > 0 && pendingBytes + size > batchMax) await flush();
      (to === "orders" ? orders : dead).push(message);
      pendingBytes += size;
    };
    const reject = async (record: RawRecord, reason: string) => {
      console.error(`producer: rejected ${source} line ${record.line}: ${reason}`);
      const dead = deadLetterMessage(
        `${source}:${record.line}`,
        { reason, source, line: record.line, rejected_at: new Date().toISOString() },
        record.bytes,
        dlqMax,
      );
      await add(dead, "dlq");
    };
    await producer.connect();
    for await (const record of records) {
      lastLine = record.line;
      const checked = parseOrder(record.bytes);
      if (!checked.ok) {
        await reject(record, checked.reason);
      } else {
        const message = { key: checked.order.customer_id, value: JSON.stringify(checked.order) };
        const size = messageBytes(message);
        if (size > ordersMax) {
          await reject(
            record,
            `the order is ${size} bytes as a Kafka record, over the max.message.bytes of ` +
              `topic '${config.topic}' (${ordersMax})`,
          );
        } else {
          await add(message, "orders");
        }
      }
      if (orders.length + dead.length >= config.batchSize) await flush();
      if (signal?.aborted) break;
    }
    await flush();
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    source,
    published,
    rejected,
    blankLines: blankLines(),
    seconds: Number(seconds.toFixed(3)),
    rate: Math.round((published + rejected) / seconds),
    interrupted: signal?.aborted ?? false,
  };
}

/** Opens the orders file (or stdin for `-`) as a byte stream. */
export async function openBytes(path: string): Promise<ReadableStream<Uint8Array>> {
  if (path === "-") return Deno.stdin.readable;
  try {
    const file = await Deno.open(path);
    return file.readable;
  } catch (err) {
    throw new Error(`Cannot read orders file '${path}': ${(err as Error).message}`);
  }
}

if (import.meta.main) {
  quietKafkajsWarnings();
  const path = Deno.args[0];
  if (!path || Deno.args.length > 1) {
    console.error("usage: deno run -A exercises/01/producer.ts <orders.json | orders.ndjson | ->");
    Deno.exit(2);
  }
  let config;
  try {
    config = readConfig();
    const stop = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => stop.abort());
    }
    let blank = 0;
    const records = readRecords(await openBytes(path), { onBlankLine: () => blank++ });
    const summary = await publishOrders(records, config, {
      source: path,
      signal: stop.signal,
      blankLines: () => blank,
    });
    console.log(JSON.stringify(summary));
    Deno.exit(summary.interrupted ? 130 : 0);
  } catch (err) {
    console.error(
      `producer: ${config ? describeKafkaError(err, config.brokers) : (err as Error).message}`,
    );
    Deno.exit(1);
  }
}
