/**
 * Exercise 08, the stream processor: consumes the clicks topic and keeps, per
 * user, a total and per-bucket counts in Redis, exactly once across crashes.
 *
 * How: each run of up to `CLICKS_BATCH_SIZE` messages is ONE atomic Redis
 * step (a Lua script) holding the count increments AND the partition's next offset
 * (store.ts `applyOnce`). On partition assignment the processor seeks to the
 * offset stored in Redis, and skips anything before it. So the counts and
 * "how far we got" can never disagree: a kill -9 at any moment loses either
 * the whole transaction (and its messages are read again) or nothing. The
 * offset committed to Kafka afterwards is only a hint for lag monitoring.
 *
 * @example
 * ```sh
 * deno run -A exercises/08/processor.ts
 * ```
 * @module
 */
import type { Admin, Consumer, KafkaMessage, Message, Producer } from "kafkajs";
import type { Redis } from "ioredis";
import { type Config, readConfig, topicsOf } from "./config.ts";
import {
  describeKafkaError,
  ensureTopics,
  fatalCrash,
  kafkaClient,
  maxMessageBytes,
  newProducer,
  quietKafkajsWarnings,
  sendWithin,
} from "../../infra/kafka.ts";
import { deadLetterMessage, decodeUtf8 } from "../../infra/dead_letter.ts";
import { runUntilSignal } from "../../infra/run_until_signal.ts";
import { type Click, parseClick } from "./click.ts";
import { applyOnce, connectRedis, readOffset } from "./store.ts";
import { offsetKey, tally } from "./tally.ts";

/** Running totals of one processor. */
export interface Stats {
  /** Clicks counted (each exactly once). */
  counted: number;
  /** Bad events sent to the dead-letter topic. */
  deadLettered: number;
  /** Messages delivered again that were already counted, and left alone. */
  skipped: number;
  /** Redis transactions committed. */
  transactions: number;
}

/** Options for {@linkcode startProcessor}. */
export interface ProcessorOptions {
  /** Called with this member's partitions once it has resumed them from Redis. */
  onAssigned?: (partitions: number[]) => void;
  /** Milliseconds between progress lines on stderr; 0 for none. Default 1000. */
  progressEvery?: number;
}

/** A running processor. */
export interface RunningProcessor {
  stats: Stats;
  /** Finishes the current transaction, leaves the group, closes every client. */
  stop(): Promise<void>;
  /** Resolves with the error if kafkajs stopped the consumer for good (never, otherwise). */
  failed: Promise<Error>;
}

/**
 * Joins `config.groupId` and counts `config.topic` into Redis under
 * `config.prefix`. Bad events go to `config.dlqTopic` with the reason.
 *
 * @example
 * ```ts
 * const processor = await startProcessor(readConfig());
 * // … later
 * await processor.stop();
 * console.log(processor.stats); // { counted: 10000, deadLettered: 12, skipped: 0, transactions: 21 }
 * ```
 */
export async function startProcessor(
  config: Config,
  options: ProcessorOptions = {},
): Promise<RunningProcessor> {
  const { onAssigned, progressEvery = 1000 } = options;
  const stats: Stats = { counted: 0, deadLettered: 0, skipped: 0, transactions: 0 };
  const redis = await connectRedis(config.redisUrl);
  const kafka = kafkaClient(config.brokers, "clicks-processor");
  const admin: Admin = kafka.admin();
  const dlq: Producer = newProducer(kafka);
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(config.sessionTimeoutMs / 3)),
    // An idle fetch waits this long for data; stopping waits for it (kafkajs default 5 s).
    maxWaitTimeInMs: 500,
  });
  const failed = fatalCrash(consumer);
  let progress: ReturnType<typeof setInterval> | undefined;
  const close = async () => {
    clearInterval(progress);
    await consumer.disconnect();
    await dlq.disconnect();
    await admin.disconnect();
    await redis.quit();
  };

  try {
    await admin.connect();
    await ensureTopics(admin, topicsOf(config));
    const dlqMax = await maxMessageBytes(admin, config.dlqTopic);
    await dlq.connect();
    await consumer.connect();

    // On every assignment: seek each partition to the offset stored in Redis.
    // Batches are held back until that is done (`ready`), and a batch fetched
    // from Kafka's committed offset before the seek is dropped (`isStale`).
    let ready: Promise<void> = Promise.resolve();
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = (payload.memberAssignment[config.topic] ?? []).toSorted((a, b) => a - b);
      ready = resume(config, redis, admin, consumer, partitions).then(() =>
        onAssigned?.(partitions)
      );
      ready.catch(() => {}); // Rethrown by the next batch, which restarts the consumer.
    });

    await consumer.subscribe({ topic: config.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (
        { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary },
      ) => {
        await ready;
        const { partition } = batch;
        const key = offsetKey(config.prefix, config.topic, partition);
        let stored: string | undefined; // the next offset, once a transaction has stored one
        for (let i = 0; i < batch.messages.length; i += config.batchSize) {
          if (!isRunning() || isStale()) return;
          const run = batch.messages.slice(i, i + config.batchSize);
          let dead = 0;
          const applied = await applyOnce(redis, key, run, async (fresh) => {
            const { clicks, deadLetters } = classify(config, partition, fresh, dlqMax);
            // In requests that fit the topic: one too big would crash the consumer.
            await sendWithin(dlq, config.dlqTopic, deadLetters, dlqMax);
            dead = deadLetters.length;
            return tally(clicks, { ...config, now: Date.now() });
          });
          const first = applied.fresh[0]?.offset;
          if (applied.from !== null && first !== undefined && BigInt(first) > applied.from) {
            console.error(
              `processor: partition ${partition} has no offsets ${applied.from} to ${
                BigInt(first) - 1n
              } (deleted by retention, or transaction markers); counting from ${first}`,
            );
          }
          stats.skipped += applied.skipped;
          const last = run.at(-1)!.offset;
          resolveOffset(last);
          if (applied.fresh.length > 0) {
            stats.counted += applied.fresh.length - dead;
            stats.deadLettered += dead;
            stats.transactions++;
            stored = String(BigInt(last) + 1n);
          }
          await heartbeat();
        }
        if (stored === undefined) return;
        // Only now tell Kafka, once per fetched batch: its committed offset is a hint
        // for lag monitoring (a commit costs a broker round trip), never read back.
        if (config.commitDelayMs > 0) await new Promise((r) => setTimeout(r, config.commitDelayMs));
        await commitOffsetsIfNecessary({
          topics: [{ topic: config.topic, partitions: [{ partition, offset: stored }] }],
        });
      },
    });
  } catch (err) {
    await close();
    throw err;
  }

  if (progressEvery > 0) {
    const started = performance.now();
    let shown = "";
    progress = setInterval(() => {
      const line = `${stats.counted} counted, ${stats.deadLettered} dead-lettered, ` +
        `${stats.skipped} skipped as already counted`;
      if (line === shown) return;
      shown = line;
      const rate = Math.round(stats.counted / ((performance.now() - started) / 1000));
      console.error(`processor: ${line}; ${rate} events/s`);
    }, progressEvery);
  }
  return { stats, stop: close, failed };
}

/** Seeks each assigned partition to the offset stored in Redis (its start if none). */
async function resume(
  config: Config,
  redis: Redis,
  admin: Admin,
  consumer: Consumer,
  partitions: number[],
): Promise<void> {
  if (partitions.length === 0) return;
  const [ends, [hints]] = await Promise.all([
    admin.fetchTopicOffsets(config.topic),
    admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }),
  ]);
  for (const partition of partitions) {
    const key = offsetKey(config.prefix, config.topic, partition);
    const low = ends.find((p) => p.partition === partition)?.low ?? "0";
    // A partition never counted starts at its first message still on the topic.
    await redis.set(key, low, "NX");
    const stored = (await readOffset(redis, key))!;
    const hint = hints.partitions.find((p) => p.partition === partition)?.offset ?? "-1";
    consumer.seek({ topic: config.topic, partition, offset: String(stored) });
    console.error(
      `processor: partition ${partition} resumes at offset ${stored} (stored in Redis with the counts; ` +
        `the group's committed offset in Kafka is ${hint === "-1" ? "none" : hint}, a hint only)`,
    );
  }
}

/**
 * Splits fresh messages into valid clicks and dead letters, each dead letter
 * cut to fit `dlqMax`, the dead-letter topic's max.message.bytes.
 */
function classify(
  config: Config,
  partition: number,
  messages: KafkaMessage[],
  dlqMax: number,
): { clicks: Click[]; deadLetters: Message[] } {
  const clicks: Click[] = [];
  const deadLetters: Message[] = [];
  for (const message of messages) {
    // Strict UTF-8: two user ids with different invalid bytes must not both become U+FFFD.
    const decoded = message.value === null ? null : decodeUtf8(message.value);
    const checked = decoded && !decoded.ok ? decoded : parseClick(decoded && decoded.text, {
      recordTimestamp: Number(message.timestamp),
      maxSkewMs: config.maxSkewMs,
    });
    if (checked.ok) {
      clicks.push(checked.click);
      continue;
    }
    const where = `${config.topic}/${partition}@${message.offset}`;
    console.error(`processor: dead-lettered ${where}: ${checked.reason}`);
    const fields = {
      reason: checked.reason,
      topic: config.topic,
      partition,
      offset: message.offset,
      timestamp: new Date(Number(message.timestamp)).toISOString(),
      rejected_at: new Date().toISOString(),
    };
    deadLetters.push(deadLetterMessage(where, fields, message.value, dlqMax));
  }
  return { clicks, deadLetters };
}

/**
 * How many messages of the topic are not counted yet: per partition, the end
 * of the partition minus the offset stored in Redis.
 *
 * @example
 * ```ts
 * await lag(redis, admin, readConfig()); // 0 when the processor has caught up
 * ```
 */
export async function lag(redis: Redis, admin: Admin, config: Config): Promise<number> {
  let behind = 0n;
  for (const { partition, high, low } of await admin.fetchTopicOffsets(config.topic)) {
    const stored = await readOffset(redis, offsetKey(config.prefix, config.topic, partition));
    behind += BigInt(high) - (stored ?? BigInt(low));
  }
  return Number(behind);
}

if (import.meta.main) {
  quietKafkajsWarnings();
  let config: Config;
  try {
    config = readConfig();
  } catch (err) {
    console.error(`processor: ${(err as Error).message}`);
    Deno.exit(1);
  }
  let running: RunningProcessor | undefined;
  runUntilSignal("processor", async () => {
    console.error(
      `processor: group ${config.groupId} counting ${config.topic} into Redis keys ${config.prefix}:*`,
    );
    return running = await startProcessor(config);
  }, {
    describeError: (err) => describeKafkaError(err, config.brokers),
    onStopped: () => console.log(JSON.stringify(running?.stats)),
  });
}
