/**
 * `make bench` for exercise 01: our producer and consumer against Kafka's own
 * ProducerPerformance and ConsumerPerformance, on the same broker, with the
 * same number of messages of the same size, 3 partitions, acks=all; first on
 * the broker of `make services`, then on a throwaway three-broker cluster
 * (infra/kafka_cluster.ts: replication factor 3, min.insync.replicas 2).
 *
 * BENCH_ORDERS sets the number of orders (default 200000).
 *
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { check, measure, report } from "../../infra/bench/measure.ts";
import { consumerPerformance, producerPerformance } from "../../infra/bench/kafka_tools.ts";
import { env } from "../../infra/env.ts";
import { startKafkaCluster } from "../../infra/kafka_cluster.ts";

const N = Number(Deno.env.get("BENCH_ORDERS") ?? 200_000);
const PARTITIONS = 3;

// N orders as NDJSON; every amount is above 0, so a threshold of 0 prints them all.
await Deno.mkdir(".bench", { recursive: true });
const file = `.bench/orders-${N}.ndjson`;
let bytes = 0;
{
  const out = await Deno.open(file, { write: true, create: true, truncate: true });
  const writer = out.writable.getWriter();
  const encoder = new TextEncoder();
  let chunk = "";
  for (let i = 0; i < N; i++) {
    const order = {
      order_id: `o-${i}`,
      customer_id: `c-${i % 5000}`,
      amount: 1 + ((i * 7919) % 50_000),
      currency: "INR",
      created_at: "2026-11-01T09:15:00+05:30",
    };
    const line = JSON.stringify(order);
    bytes += line.length;
    chunk += line + "\n";
    if (chunk.length > 1 << 20) {
      await writer.write(encoder.encode(chunk));
      chunk = "";
    }
  }
  await writer.write(encoder.encode(chunk));
  await writer.close();
}
const recordSize = Math.round(bytes / N);
console.error(`${N} orders of ~${recordSize} bytes in ${file}`);

async function bench(brokers: string, on: string) {
  const stamp = Date.now();
  const ours = `bench-orders-${stamp}`;
  const perf = `bench-perf-${stamp}`;
  const admin = new Kafka({ brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [ours, `${ours}.dlq`, perf].map((topic) => ({ topic, numPartitions: PARTITIONS })),
    waitForLeaders: true,
  });

  const deno = (script: string, args: string[], options: Parameters<typeof measure>[2]) =>
    measure(Deno.execPath(), ["run", "-A", script, ...args], options);

  try {
    // Producer: ours reads, validates and publishes the file; ProducerPerformance sends random bytes.
    const ourProducer = check(
      await deno("exercises/01/producer.ts", [file], {
        env: {
          ORDERS_TOPIC: ours,
          ORDERS_DLQ_TOPIC: `${ours}.dlq`,
          ORDERS_PARTITIONS: `${PARTITIONS}`,
          KAFKA_BROKERS: brokers,
        },
      }),
      "producer.ts",
    );
    const summary = JSON.parse(ourProducer.stdout.at(-1)!);
    if (summary.published !== N) {
      throw new Error(`producer.ts published ${summary.published} of ${N}`);
    }
    const { rate: refRate, run: refProducer } = await producerPerformance(
      perf,
      N,
      recordSize,
      brokers,
    );
    console.error(`producer.ts: ${summary.rate} msgs/s; ProducerPerformance: ${refRate} msgs/s`);
    const tool = "Kafka ProducerPerformance";
    report({
      exercise: "01",
      metric: `producer throughput${on}`,
      unit: "msgs/s",
      ours: summary.rate,
      reference: refRate,
      referenceTool: tool,
      higherIsBetter: true,
    });
    report({
      exercise: "01",
      metric: `producer peak memory${on}`,
      unit: "MB",
      ours: ourProducer.peakMb,
      reference: refProducer.peakMb,
      referenceTool: tool,
      higherIsBetter: false,
    });

    // Consumer: both read the same N orders; ours parses, filters and prints each one.
    let first = 0;
    let last = 0;
    const ourConsumer = check(
      await deno("exercises/01/consumer.ts", [], {
        env: {
          ORDERS_TOPIC: ours,
          ORDERS_DLQ_TOPIC: `${ours}.dlq`,
          ORDERS_GROUP: `${ours}-g`,
          ORDERS_THRESHOLD: "0",
          KAFKA_BROKERS: brokers,
        },
        onLine: (_, at) => {
          if (first === 0) first = at;
          last = at;
        },
        stopWhen: (lines) => lines.length >= N,
        timeoutMs: 600_000,
      }),
      "consumer.ts",
    );
    if (ourConsumer.stdout.length < N) {
      throw new Error(`consumer.ts printed ${ourConsumer.stdout.length} of ${N}`);
    }
    // From the first message to the last: like fetch.nMsg.sec, without the group join.
    const ourRate = Math.round((N - 1) / (last - first));
    const { rate: refFetchRate, run: refConsumer } = await consumerPerformance(ours, N, brokers);
    console.error(`consumer.ts: ${ourRate} msgs/s; ConsumerPerformance: ${refFetchRate} msgs/s`);
    const ctool = "Kafka ConsumerPerformance";
    report({
      exercise: "01",
      metric: `consumer throughput${on}`,
      unit: "msgs/s",
      ours: ourRate,
      reference: refFetchRate,
      referenceTool: ctool,
      higherIsBetter: true,
    });
    report({
      exercise: "01",
      metric: `consumer peak memory${on}`,
      unit: "MB",
      ours: ourConsumer.peakMb,
      reference: refConsumer.peakMb,
      referenceTool: ctool,
      higherIsBetter: false,
    });
  } finally {
    await admin.deleteTopics({ topics: [ours, `${ours}.dlq`, perf] });
    await admin.disconnect();
  }
}

try {
  await bench(env("KAFKA_BROKERS"), "");
  const cluster = await startKafkaCluster();
  try {
    await bench(cluster.brokers.join(","), " (3 brokers)");
  } finally {
    await cluster.stop();
  }
} finally {
  await Deno.remove(file);
}
