/**
 * Row 01 of `make bench-python`: exercise 01's consumer (parse each order,
 * keep the ones above ₹10,000, print them as JSON lines) against the same
 * work by a kafka-python and a confluent-kafka consumer (kafka_consumers.py),
 * on one bench-only topic filled once by our producer, each in a new group.
 * Rate: messages of the topic per second, from the first order printed to
 * the last. Every run must print the same set of orders, each once.
 *
 * BENCH_ORDERS sets the number of orders (default 100000).
 *
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { check, measure, type Measured, type Row } from "../measure.ts";
import { env } from "../../env.ts";
import { inTurn, median, python } from "./peers.ts";

const N = Number(Deno.env.get("BENCH_ORDERS") ?? 100_000);
const THRESHOLD = 10_000;
const RUNS = 3;
const say = (line: string) => console.error(line);

/** The orders, as 01's bench makes them: amounts 1 to 50000, so 4 in 5 are above the threshold. */
function orders(): { ndjson: string; above: Set<string> } {
  const lines: string[] = [];
  const above = new Set<string>();
  for (let i = 0; i < N; i++) {
    const order = {
      order_id: `o-${i}`,
      customer_id: `c-${i % 5000}`,
      amount: 1 + ((i * 7919) % 50_000),
      currency: "INR",
      created_at: "2026-11-01T09:15:00+05:30",
    };
    if (order.amount > THRESHOLD) above.add(order.order_id);
    lines.push(JSON.stringify(order));
  }
  return { ndjson: lines.join("\n") + "\n", above };
}

/** One consumer run: messages/s from its first printed order to its last. */
async function consume(
  what: string,
  cmd: string,
  args: string[],
  vars: Record<string, string>,
  above: Set<string>,
): Promise<{ rate: number; run: Measured }> {
  let first = 0;
  let last = 0;
  const run = check(
    await measure(cmd, args, {
      env: vars,
      onLine: (_, at) => {
        if (first === 0) first = at;
        last = at;
      },
      stopWhen: (lines) => lines.length >= above.size,
      timeoutMs: 600_000,
    }),
    what,
  );
  // The same orders, each once: nothing missing, nothing extra, no duplicate.
  const printed = run.stdout.map((line) => String(JSON.parse(line).order.order_id));
  const unique = new Set(printed);
  const missing = [...above].filter((id) => !unique.has(id)).length;
  if (printed.length !== above.size || unique.size !== above.size || missing > 0) {
    throw new Error(
      `${what} printed ${printed.length} orders (${unique.size} distinct, ${missing} missing) ` +
        `where ${above.size} are above ${THRESHOLD}`,
    );
  }
  return { rate: Math.round(N / (last - first)), run };
}

/** 01: ours against kafka-python and confluent-kafka. */
export async function benchConsumers(): Promise<Row[]> {
  const stamp = Date.now();
  const topic = `bench-py-01-${stamp}`;
  const dlq = `${topic}.dlq`;
  const { ndjson, above } = orders();
  await Deno.mkdir(".bench", { recursive: true });
  const file = `.bench/py-orders-${stamp}.ndjson`;
  await Deno.writeTextFile(file, ndjson);
  const admin = new Kafka({ brokers: env("KAFKA_BROKERS").split(","), logLevel: logLevel.NOTHING })
    .admin();
  await admin.connect();
  const py = await python();
  const groups: string[] = [];
  const groupOf = () => {
    groups.push(`${topic}-g${groups.length}`);
    return groups.at(-1)!;
  };
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3 }, { topic: dlq, numPartitions: 1 }],
      waitForLeaders: true,
    });
    const produced = check(
      await measure(Deno.execPath(), ["run", "-A", "exercises/01/producer.ts", file], {
        env: { ORDERS_TOPIC: topic, ORDERS_DLQ_TOPIC: dlq },
      }),
      "producer.ts",
    );
    const summary = JSON.parse(produced.stdout.at(-1)!);
    if (summary.published !== N) {
      throw new Error(`producer.ts published ${summary.published} of ${N}`);
    }
    say(`01: ${N} orders on ${topic}, ${above.size} above ${THRESHOLD}`);

    const ours = () =>
      consume("consumer.ts", Deno.execPath(), ["run", "-A", "exercises/01/consumer.ts"], {
        ORDERS_TOPIC: topic,
        ORDERS_DLQ_TOPIC: dlq,
        ORDERS_GROUP: groupOf(),
        ORDERS_THRESHOLD: `${THRESHOLD}`,
      }, above);
    const peer = (client: string) => () =>
      consume(
        client,
        py,
        [
          "infra/bench/python/kafka_consumers.py",
          client,
          topic,
          groupOf(),
          `${THRESHOLD}`,
        ],
        {},
        above,
      );
    const rows: Row[] = [];
    for (const client of ["kafka-python", "confluent-kafka"]) {
      const runs = await inTurn(RUNS, ours, peer(client));
      const rates = (r: { rate: number }[]) => r.map((x) => x.rate);
      say(
        `01 consumer: ours ${rates(runs.ours).join(", ")} msgs/s, ` +
          `${client} ${rates(runs.theirs).join(", ")} msgs/s (same ${above.size} orders printed)`,
      );
      rows.push({
        exercise: "01",
        metric: `consumer: parse, filter > ${THRESHOLD}, print (${N} orders)`,
        unit: "msgs/s",
        ours: median(rates(runs.ours)),
        reference: median(rates(runs.theirs)),
        referenceTool: `${client} consumer`,
        higherIsBetter: true,
      });
      rows.push({
        exercise: "01",
        metric: "consumer peak memory",
        unit: "MB",
        ours: median(runs.ours.map((x) => x.run.peakMb)),
        reference: median(runs.theirs.map((x) => x.run.peakMb)),
        referenceTool: `${client} consumer`,
        higherIsBetter: false,
      });
    }
    return rows;
  } finally {
    await admin.deleteGroups(groups).catch(() => {});
    await admin.deleteTopics({ topics: [topic, dlq] }).catch((err) =>
      say(`01: could not delete ${topic}: ${err.message}`)
    );
    await admin.disconnect();
    await Deno.remove(file);
  }
}
