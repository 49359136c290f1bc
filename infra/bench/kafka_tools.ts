/**
 * Kafka's own perf tools (ProducerPerformance, ConsumerPerformance) as the
 * reference the Kafka exercises' benches compare against, run from the same
 * jars as the native broker.
 *
 * @module
 */
import { check, measure, type Measured } from "./measure.ts";
import { env } from "../env.ts";
import { kafkaClasspath } from "../kafka_cluster.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function java(main: string, args: string[]): Promise<Measured> {
  return check(
    await measure("java", [
      "-Xmx512m",
      "-cp",
      await kafkaClasspath(),
      `-Dlog4j2.configurationFile=${ROOT}infra/kafka/log4j2.properties`,
      `org.apache.kafka.tools.${main}`,
      ...args,
    ]),
    main,
  );
}

/** ProducerPerformance: `count` records of `recordSize` bytes, acks=all, as fast as it can. */
export async function producerPerformance(
  topic: string,
  count: number,
  recordSize: number,
  brokers = env("KAFKA_BROKERS"),
): Promise<{ rate: number; run: Measured }> {
  const run = await java("ProducerPerformance", [
    "--topic",
    topic,
    "--num-records",
    `${count}`,
    "--record-size",
    `${recordSize}`,
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${brokers}`,
    "acks=all",
  ]); // deno-fmt-ignore
  const rate = Number(/([\d.]+) records\/sec/.exec(run.stdout.at(-1) ?? "")?.[1]);
  if (!Number.isFinite(rate)) throw new Error(`ProducerPerformance printed: ${run.stdout.at(-1)}`);
  return { rate, run };
}

/**
 * ConsumerPerformance: reads `count` messages of `topic` in a new group. The
 * rate is its fetch.nMsg.sec: from the first fetch on, without the group join.
 */
export async function consumerPerformance(
  topic: string,
  count: number,
  brokers = env("KAFKA_BROKERS"),
): Promise<{ rate: number; run: Measured }> {
  const run = await java("ConsumerPerformance", [
    "--bootstrap-server",
    brokers,
    "--topic",
    topic,
    "--messages",
    `${count}`,
    "--group",
    `${topic}-perf-${Date.now()}`,
    "--timeout",
    "60000",
  ]); // deno-fmt-ignore
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const fields = (run.stdout.at(-1) ?? "").split(",").map((f) => f.trim());
  if (Number(fields[4]) < count) {
    throw new Error(`ConsumerPerformance read ${fields[4]} of ${count}`);
  }
  return { rate: Number(fields[9]), run };
}
