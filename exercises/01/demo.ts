/**
 * Exercise 01 end to end, as `make demo` and `make ex01` run it: two consumers
 * join one group and split the partitions, the producer publishes the sample
 * file, and the demo checks that every order above ₹10,000 was printed exactly
 * once and every bad record was dead-lettered. Progress goes to stderr; the
 * last line on stdout is the one-line summary.
 *
 * @module
 */
import { startScript } from "../../infra/script.ts";
import { readConfig } from "./config.ts";
import { isAbove, parseOrder } from "./order.ts";
import { openBytes } from "./producer.ts";
import { readRecords } from "./records.ts";

const SAMPLE = "exercises/01/orders.json";
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const env = {
  ORDERS_TOPIC: `demo-orders-${stamp}`,
  ORDERS_DLQ_TOPIC: `demo-orders-${stamp}.dlq`,
  ORDERS_GROUP: `demo-printer-${stamp}`,
};
const { threshold, partitions } = readConfig(env);

// What the consumers must print, worked out from the file without Kafka.
const expected = new Set<string>();
let invalid = 0;
for await (const record of readRecords(await openBytes(SAMPLE))) {
  const checked = parseOrder(record.bytes);
  if (!checked.ok) invalid++;
  else if (isAbove(checked.order, threshold)) expected.add(checked.order.order_id);
}

console.error(
  `01: topic ${env.ORDERS_TOPIC} (${partitions} partitions), group ${env.ORDERS_GROUP}`,
);
const names = ["A", "B"];
const consumers = names.map((name) => {
  const consumer = startScript("exercises/01/consumer.ts", [], env);
  consumer.stdout.onLine = (line) => console.error(`  consumer ${name} printed ${line}`);
  consumer.stderr.onLine = (line) => console.error(`  consumer ${name}: ${line}`);
  return consumer;
});
const latest = (lines: string[]): number[] => {
  const assigned = lines.filter((l) => l.includes("has partitions")).at(-1);
  return assigned ? JSON.parse(assigned.slice(assigned.lastIndexOf("["))) : [];
};
const failures: string[] = [];
let printed: { id: string; by: string }[] = [];
let split = "";
let summary = { published: 0, rejected: 0 };
try {
  // Wait until the group has settled with both members holding partitions.
  const deadline = Date.now() + 60_000;
  while (
    consumers.some((c) => latest(c.stderr.lines).length === 0) ||
    consumers.reduce((n, c) => n + latest(c.stderr.lines).length, 0) !== partitions
  ) {
    if (Date.now() > deadline) {
      throw new Error("the two consumers did not split the partitions in 60 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  split = consumers.map((c, i) => `${names[i]} [${latest(c.stderr.lines)}]`).join(", ");
  console.error(`01: the group split the partitions: ${split}`);

  const producer = startScript("exercises/01/producer.ts", [SAMPLE], env);
  producer.stderr.onLine = (line) => console.error(`  ${line}`);
  const status = await producer.status;
  if (status.code !== 0) throw new Error(`producer exited with ${status.code}`);
  summary = JSON.parse(producer.stdout.lines.at(-1)!);

  const total = () => consumers.reduce((n, c) => n + c.stdout.lines.length, 0);
  const until = Date.now() + 30_000;
  while (total() < expected.size && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
  }
  // A moment more, so a wrongly printed extra order would show.
  await new Promise((r) => setTimeout(r, 1000));
} catch (err) {
  failures.push((err as Error).message);
} finally {
  for (const consumer of consumers) await consumer.stop();
}

printed = consumers.flatMap((c, i) =>
  c.stdout.lines.map((line) => ({ id: JSON.parse(line).order.order_id as string, by: names[i] }))
);
const ids = printed.map((p) => p.id);
if (summary.rejected !== invalid) {
  failures.push(`${summary.rejected} dead-lettered, expected ${invalid}`);
}
if (ids.length !== new Set(ids).size) failures.push("an order was printed twice");
const missing = [...expected].filter((id) => !ids.includes(id));
const extra = ids.filter((id) => !expected.has(id));
if (missing.length) failures.push(`not printed: ${missing}`);
if (extra.length) failures.push(`printed but not above ${threshold}: ${extra}`);

const perConsumer = names.map((n) => `${n}: ${printed.filter((p) => p.by === n).length}`).join(
  ", ",
);
if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
console.log(
  `${summary.published} orders published, ${summary.rejected} bad records dead-lettered to ` +
    `${env.ORDERS_DLQ_TOPIC}; 2 consumers split ${partitions} partitions (${split}) and printed the ` +
    `${ids.length} orders above ₹${threshold.toLocaleString("en-IN")} once each (${perConsumer})`,
);
