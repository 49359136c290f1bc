// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 01: publish the orders in a JSON file to Kafka; a consumer group
 * prints the orders over ₹10,000.
 *
 *   deno run -A solution.ts produce orders.json   # a JSON array or NDJSON
 *   deno run -A solution.ts consume               # start it twice: the group splits the partitions
 *
 * What decides it:
 * - The key is customer_id: one customer's orders land in one partition, so
 *   they are read in the order they were written.
 * - "Over ₹10,000" is strict (`>`), and amount must be a number: "25000" (a
 *   string) compared as text would pass or fail by accident.
 * - A bad record neither stops the producer nor kills the consumer: it goes
 *   to a dead-letter topic with the reason, so nothing disappears.
 */
import { Kafka, logLevel, Partitioners } from "npm:kafkajs@2.2.4";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const brokers = env("KAFKA_BROKERS", "127.0.0.1:9092").split(",");
const topic = env("ORDERS_TOPIC", "orders");
const dlqTopic = env("ORDERS_DLQ_TOPIC", "orders.dlq");
const groupId = env("ORDERS_GROUP", "orders-printer");
const threshold = Number(env("ORDERS_THRESHOLD", "10000"));
const partitions = Number(env("ORDERS_PARTITIONS", "3"));

type Order = { order_id: string; customer_id: string; amount: number };

/** The order in a record, or why it is not one. */
function parseOrder(text: string): { order: Order } | { reason: string } {
  let o;
  try {
    o = JSON.parse(text);
  } catch (err) {
    return { reason: `not valid JSON: ${(err as Error).message}` };
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return { reason: "not an object" };
  for (const id of ["order_id", "customer_id"]) {
    if (typeof o[id] !== "string" && !Number.isSafeInteger(o[id])) return { reason: `bad ${id}` };
  }
  if (typeof o.amount !== "number" || !Number.isFinite(o.amount) || o.amount < 0) {
    return { reason: `amount must be a number >= 0: got ${JSON.stringify(o.amount)}` };
  }
  if ((o.currency ?? "INR") !== "INR") return { reason: `currency must be INR: got ${o.currency}` };
  if (o.created_at !== undefined && isNaN(Date.parse(o.created_at))) {
    return { reason: "bad created_at" };
  }
  return { order: { ...o, order_id: String(o.order_id), customer_id: String(o.customer_id) } };
}

const kafka = new Kafka({ clientId: "orders", brokers, logLevel: logLevel.WARN });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });

async function createTopics() {
  const admin = kafka.admin();
  await admin.connect();
  const existing = await admin.listTopics();
  const topics = [{ topic, numPartitions: partitions }, { topic: dlqTopic, numPartitions: 1 }];
  await admin.createTopics({ topics: topics.filter((t) => !existing.includes(t.topic)) });
  await admin.disconnect();
}

async function produce(path: string) {
  const text = await Deno.readTextFile(path);
  // NDJSON (one order per line: a broken line is one bad record), or a JSON array.
  let records = text.split("\n").filter((line) => line.trim() !== "");
  if (text.trimStart().startsWith("[")) {
    try {
      records = (JSON.parse(text) as unknown[]).map((r) => JSON.stringify(r));
    } catch (err) {
      throw new Error(`${path} is not a JSON array (one broken record spoils it all): ${err}`);
    }
  }
  const orders = [], dead = [];
  for (const [i, record] of records.entries()) {
    const checked = parseOrder(record);
    if ("order" in checked) {
      orders.push({ key: checked.order.customer_id, value: JSON.stringify(checked.order) });
    } else {
      console.error(`rejected record ${i + 1}: ${checked.reason}`);
      dead.push({ value: JSON.stringify({ reason: checked.reason, record: i + 1, text: record }) });
    }
  }
  await createTopics();
  await producer.connect();
  // One request per 500 messages: kafkajs has no linger, a send per message is ~10x slower.
  for (let i = 0; i < orders.length; i += 500) {
    await producer.send({ topic, acks: -1, messages: orders.slice(i, i + 500) });
  }
  if (dead.length > 0) await producer.send({ topic: dlqTopic, acks: -1, messages: dead });
  await producer.disconnect();
  console.log(JSON.stringify({ published: orders.length, rejected: dead.length }));
}

async function consume() {
  await createTopics();
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000 });
  const stop = async () => {
    await consumer.disconnect(); // leaves the group: its partitions move at once
    await producer.disconnect();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    console.error(`in group ${groupId} with partitions [${payload.memberAssignment[topic] ?? []}]`);
  });
  await producer.connect();
  // kafkajs does not restart after an error it deems fatal (one thrown by the handler
  // too): it disconnects, and the process would end with 0. Say so and exit 1.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      console.error(`consumer stopped: ${payload.error.message}`);
      Deno.exit(1);
    }
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const checked = parseOrder(message.value?.toString() ?? "");
      if ("reason" in checked) {
        const source = `${topic}/${partition}@${message.offset}`;
        console.error(`dead-lettered ${source}: ${checked.reason}`);
        const value = JSON.stringify({
          reason: checked.reason,
          source,
          text: String(message.value),
        });
        await producer.send({ topic: dlqTopic, acks: -1, messages: [{ value }] });
      } else if (checked.order.amount > threshold) {
        console.log(JSON.stringify({ partition, offset: message.offset, order: checked.order }));
      }
    },
  });
}

const [command, path] = Deno.args;
if (command !== "consume" && !(command === "produce" && path)) {
  console.error("usage: deno run -A solution.ts produce <orders.json> | consume");
  Deno.exit(2);
}
try {
  await (command === "produce" ? produce(path) : consume());
} catch (err) {
  console.error(`${command}: ${(err as Error).message}`);
  Deno.exit(1);
}
