// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 02: a Kafka consumer that commits an offset only after its message
 * was processed, and a crash switch that proves a crash loses nothing.
 *
 *   deno run -A solution.ts produce 10                 # 10 payments on the topic
 *   CRASH_AFTER=5 deno run -A solution.ts consume      # dies after processing the 5th, before committing it
 *   deno run -A solution.ts consume                    # processes the 5th again, then the rest
 *
 * What decides it:
 * - autoCommit: false, and commitOffsets() after the work is done: a crash
 *   between the two means the message is processed again (at-least-once),
 *   never lost. The processing must be idempotent for that to be harmless.
 * - The committed offset is the NEXT one to read: offset + 1, as a BigInt
 *   (offsets are int64 strings).
 * - A message that fails is not committed: the handler throws, kafkajs stops
 *   the consumer, the process exits 1, and the next run starts at that message
 *   (the hardened consumer.ts retries, then parks it in a dead-letter topic).
 */
import { Kafka, logLevel, Partitioners } from "npm:kafkajs@2.2.4";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const brokers = env("KAFKA_BROKERS", "127.0.0.1:9092").split(",");
const topic = env("PAYMENTS_TOPIC", "payments");
const groupId = env("PAYMENTS_GROUP", "payments-ledger");
const ledgerFile = env("LEDGER_FILE", "ledger.ndjson");
const partitions = Number(env("PAYMENTS_PARTITIONS", "3"));
const crashAfter = Number(env("CRASH_AFTER", "0"));

const kafka = new Kafka({ clientId: "payments", brokers, logLevel: logLevel.WARN });

async function createTopic() {
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(topic)) {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  }
  await admin.disconnect();
}

async function produce(count: number) {
  await createTopic();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const messages = Array.from({ length: count }, (_, i) => ({
    key: `p-${i}`,
    value: JSON.stringify({ payment_id: `p-${i}`, amount: 100 * (i + 1) }),
  }));
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

/** The work: append the payment to the ledger file, with where it came from. */
function processPayment(partition: number, offset: string, value: string) {
  const payment = JSON.parse(value); // throws on bad JSON: not committed
  if (typeof payment.payment_id !== "string") throw new Error("payment_id is missing");
  const line = { partition, offset, payment_id: payment.payment_id, pid: Deno.pid };
  Deno.writeTextFileSync(ledgerFile, JSON.stringify(line) + "\n", { append: true });
  console.log(JSON.stringify(line));
}

async function consume() {
  await createTopic();
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 2_000 });
  const stop = async () => {
    await consumer.disconnect();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
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
  let processed = 0;
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      processPayment(partition, message.offset, message.value?.toString() ?? "");
      if (++processed === crashAfter) {
        console.error(
          `CRASH_AFTER=${crashAfter}: dying before committing offset ${message.offset}`,
        );
        Deno.kill(Deno.pid, "SIGKILL"); // no shutdown hooks, no commit: a real crash
      }
      const next = (BigInt(message.offset) + 1n).toString();
      await consumer.commitOffsets([{ topic, partition, offset: next }]);
    },
  });
}

const [command, count] = Deno.args;
if (command !== "consume" && !(command === "produce" && Number(count) > 0)) {
  console.error("usage: deno run -A solution.ts produce <count> | consume");
  Deno.exit(2);
}
try {
  await (command === "produce" ? produce(Number(count)) : consume());
} catch (err) {
  console.error(`${command}: ${(err as Error).message}`);
  Deno.exit(1);
}
