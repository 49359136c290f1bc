/**
 * `make bench` for exercise 08: how fast the processor turns a topic of
 * clicks into Redis counts (one transaction per `CLICKS_BATCH_SIZE` events,
 * offsets included), next to the raw consume rate of the same topic (Kafka's
 * ConsumerPerformance, and a bare kafkajs consumer that does nothing) and to
 * `redis-benchmark` pipelined INCR on the same Redis.
 *
 * BENCH_CLICKS sets the number of clicks (default 200000).
 *
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { check, measure, report } from "../../infra/bench/measure.ts";
import { consumerPerformance } from "../../infra/bench/kafka_tools.ts";
import { startScript } from "../../infra/script.ts";
import { readConfig } from "./config.ts";
import { connectRedis } from "./store.ts";
import { offsetKey } from "./tally.ts";

const N = Number(Deno.env.get("BENCH_CLICKS") ?? 200_000);
const stamp = Date.now();
const env = {
  CLICKS_TOPIC: `bench-clicks-${stamp}`,
  CLICKS_DLQ_TOPIC: `bench-clicks-${stamp}.dlq`,
  CLICKS_GROUP: `bench-counter-${stamp}`,
  CLICKS_PREFIX: `bench-clicks-${stamp}`,
};
const config = readConfig({ ...Deno.env.toObject(), ...env });
const redis = await connectRedis(config.redisUrl);
const kafka = new Kafka({ brokers: config.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  // The topic: N clicks from 10,000 users, all valid, as fast as the generator goes.
  const generated = check(
    await measure(Deno.execPath(), [
      "run",
      "-A",
      "exercises/08/generator.ts",
      "--count",
      `${N}`,
      "--users",
      "10000",
    ], { env }),
    "generator.ts",
  );
  console.error(`generator.ts: ${generated.stdout.at(-1)}`);

  // Ours: processor.ts from its first transaction to the last (the group join is not
  // counted, as ConsumerPerformance's fetch rate leaves it out), polling Redis's offsets.
  const keys = [...Array(config.partitions).keys()].map((p) =>
    offsetKey(config.prefix, config.topic, p)
  );
  const counted = async () => (await redis.mget(keys)).reduce((n, v) => n + Number(v ?? 0), 0);
  const processor = startScript("exercises/08/processor.ts", [], env);
  let first = 0;
  let firstCount = 0;
  let peakKb = 0;
  const deadline = Date.now() + 600_000;
  while (true) {
    const done = await counted();
    if (first === 0 && done > 0) [first, firstCount] = [performance.now(), done];
    const status = await Deno.readTextFile(`/proc/${processor.child.pid}/status`).catch(() => "");
    peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    if (done >= N) break;
    if (Date.now() > deadline) throw new Error(`processor.ts counted ${done} of ${N} in 600 s`);
    await sleep(10);
  }
  const ourRate = Math.round((N - firstCount) / ((performance.now() - first) / 1000));
  const stopped = await processor.stop();
  if (stopped.code !== 0) throw new Error(`processor.ts exited with ${stopped.code}`);
  const stats = JSON.parse(processor.stdout.lines.at(-1)!);
  if (stats.counted !== N) throw new Error(`processor.ts counted ${stats.counted} of ${N}`);
  console.error(
    `processor.ts: ${ourRate} events/s into Redis (${stats.transactions} transactions)`,
  );

  // A bare kafkajs consumer on the same topic: fetch and drop.
  const bare = kafka.consumer({ groupId: `${env.CLICKS_GROUP}-bare`, maxWaitTimeInMs: 500 });
  await bare.connect();
  let seen = 0;
  let bareFirstCount = 0;
  let bareFirst = 0;
  let bareLast = 0;
  try {
    await bare.subscribe({ topic: config.topic, fromBeginning: true });
    await bare.run({
      eachBatch: ({ batch }) => {
        seen += batch.messages.length;
        if (bareFirst === 0) [bareFirst, bareFirstCount] = [performance.now(), seen];
        bareLast = performance.now();
        return Promise.resolve();
      },
    });
    while (seen < N) await sleep(10);
  } finally {
    await bare.disconnect();
  }
  const bareRate = Math.round((N - bareFirstCount) / ((bareLast - bareFirst) / 1000));
  console.error(`bare kafkajs consumer: ${bareRate} msgs/s`);

  const perf = await consumerPerformance(config.topic, N);
  console.error(`ConsumerPerformance: ${perf.rate} msgs/s`);

  // redis-benchmark: N pipelined INCRs (16 per round trip), one key, in a db of its own.
  const url = new URL(config.redisUrl);
  const incr = check(
    await measure("redis-benchmark", [
      "-h",
      url.hostname,
      "-p",
      url.port || "6379",
      "--dbnum",
      "15",
      "-t",
      "incr",
      "-n",
      `${N}`,
      "-P",
      "16",
      "-q",
    ]),
    "redis-benchmark",
  );
  const incrRate = Number(
    [...incr.stdout.join("\n").matchAll(/INCR: ([\d.]+) requests per second/g)].at(-1)?.[1],
  );
  const db15 = await connectRedis(config.redisUrl, { db: 15 });
  await db15.del("counter:__rand_int__");
  await db15.quit();
  console.error(`redis-benchmark: ${incrRate} INCR/s`);

  const row = { exercise: "08", metric: "topic → Redis counts", unit: "events/s" };
  report({
    ...row,
    ours: ourRate,
    reference: perf.rate,
    referenceTool: "Kafka ConsumerPerformance (raw consume)",
    higherIsBetter: true,
  });
  report({
    ...row,
    ours: ourRate,
    reference: bareRate,
    referenceTool: "bare kafkajs consumer (no processing)",
    higherIsBetter: true,
  });
  report({
    ...row,
    ours: ourRate,
    reference: incrRate,
    referenceTool: "redis-benchmark INCR -P 16",
    higherIsBetter: true,
  });
  report({
    exercise: "08",
    metric: "processor peak memory",
    unit: "MB",
    ours: Math.round(peakKb / 1024),
    reference: perf.run.peakMb,
    referenceTool: "Kafka ConsumerPerformance",
    higherIsBetter: false,
  });
} finally {
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${config.prefix}:*`, "COUNT", 1000);
    if (found.length > 0) await redis.unlink(...found);
    cursor = next;
  } while (cursor !== "0");
  await redis.quit();
  await admin.deleteTopics({ topics: [config.topic, config.dlqTopic] });
  await admin.deleteGroups([config.groupId, `${config.groupId}-bare`]).catch(() => {});
  await admin.disconnect();
}
