/**
 * `make bench` for exercise 02: what committing after every message costs
 * against committing once per fetched batch, each as a ratio to Kafka's own
 * ConsumerPerformance reading the same topic (which commits nothing), and
 * the duplicate window each mode leaves after one crash.
 *
 * BENCH_PAYMENTS sets the number of messages (default 30000).
 *
 * @module
 */
import { consumerPerformance } from "../../infra/bench/kafka_tools.ts";
import { check, measure, report } from "../../infra/bench/measure.ts";
import { testKafka } from "../../infra/testing.ts";
import { readConfig } from "./config.ts";
import { duplicates, readLedger } from "./ledger.ts";
import { payments, publish } from "./produce.ts";

const N = Number(Deno.env.get("BENCH_PAYMENTS") ?? 30_000);
const topic = `bench-payments-${Date.now()}`;
const base = {
  PAYMENTS_TOPIC: topic,
  PAYMENTS_DLQ_TOPIC: `${topic}.dlq`,
  PAYMENTS_PARTITIONS: "3",
};
const dir = await Deno.makeTempDir({ prefix: "ex02-bench-" });
await publish(readConfig(base), payments(N, 0));
console.error(`${N} payments on ${topic}`);

/** Our consumer's rate from its first processed message to its `count`-th. */
async function ours(mode: string, count: number): Promise<number> {
  let first = 0;
  let last = 0;
  const run = check(
    await measure(Deno.execPath(), ["run", "-A", "exercises/02/consumer.ts"], {
      env: {
        ...base,
        PAYMENTS_GROUP: `${topic}-${mode}`,
        COMMIT_MODE: mode,
        LEDGER_FILE: `${dir}/${mode}.ndjson`,
      },
      onLine: (_, at) => {
        if (first === 0) first = at;
        last = at;
      },
      stopWhen: (lines) => lines.length >= count,
      timeoutMs: 600_000,
    }),
    `consumer.ts COMMIT_MODE=${mode}`,
  );
  if (run.stdout.length < count) {
    throw new Error(`COMMIT_MODE=${mode} processed ${run.stdout.length} of ${count}`);
  }
  return Math.round((count - 1) / (last - first));
}

/** Messages processed twice after one crash at the 1000th of 3000, once the restart has caught up. */
async function duplicateWindow(mode: string): Promise<number> {
  const small = {
    ...base,
    PAYMENTS_TOPIC: `${topic}-crash-${mode}`,
    PAYMENTS_DLQ_TOPIC: `${topic}.dlq`,
  };
  cleanup.push(small.PAYMENTS_TOPIC);
  await publish(readConfig(small), payments(3000, 0));
  const env = {
    ...small,
    PAYMENTS_GROUP: `${topic}-crash-${mode}`,
    COMMIT_MODE: mode,
    LEDGER_FILE: `${dir}/crash-${mode}.ndjson`,
  };
  await measure(Deno.execPath(), ["run", "-A", "exercises/02/consumer.ts"], {
    env: { ...env, CRASH_AFTER: "1000" },
  });
  const admin = testKafka().admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({
    groupId: env.PAYMENTS_GROUP,
    topics: [env.PAYMENTS_TOPIC],
  });
  await admin.disconnect();
  const committed = offsets.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  // The restart reads everything from the committed offsets to the end.
  await measure(Deno.execPath(), ["run", "-A", "exercises/02/consumer.ts"], {
    env,
    stopWhen: (lines) => lines.length >= 3000 - committed,
    timeoutMs: 300_000,
  });
  const entries = readLedger(env.LEDGER_FILE);
  const unique = new Set(entries.map((e) => `${e.partition}@${e.offset}`)).size;
  if (unique !== 3000) {
    throw new Error(`COMMIT_MODE=${mode}: ${unique} of 3000 processed after the crash`);
  }
  return duplicates(entries).length;
}

const cleanup = [topic, `${topic}.dlq`];
try {
  const { rate: reference } = await consumerPerformance(topic, N);
  // Committing every message costs a round trip each: 3000 messages are plenty to measure it.
  for (const [mode, count] of [["message", 3000], ["batch", N]] as const) {
    const rate = await ours(mode, count);
    const window = await duplicateWindow(mode);
    console.error(
      `COMMIT_MODE=${mode}: ${rate} msgs/s; ${window} messages reprocessed after one crash`,
    );
    report({
      exercise: "02",
      metric: `consume, commit per ${mode} (${window} reprocessed after a crash)`,
      unit: "msgs/s",
      ours: rate,
      reference,
      referenceTool: "Kafka ConsumerPerformance",
      higherIsBetter: true,
    });
  }
} finally {
  const admin = testKafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: cleanup });
  await admin.disconnect();
  await Deno.remove(dir, { recursive: true });
}
