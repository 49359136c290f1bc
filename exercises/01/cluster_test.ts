/**
 * Exercise 01 on three brokers (infra/kafka_cluster.ts: replication factor 3,
 * min.insync.replicas 2): a broker is killed with SIGKILL at a random moment
 * while the producer runs, and restarted. Each test starts its own cluster.
 */
import assert from "node:assert/strict";
import type { Admin, Kafka } from "kafkajs";
import {
  type KafkaCluster,
  leaderOf,
  startKafkaCluster,
  waitForIsr,
} from "../../infra/kafka_cluster.ts";
import { readTopic, testKafka, uniqueName, until } from "../../infra/testing.ts";
import { startScript } from "../../infra/script.ts";
import { seededRandom } from "../../infra/random.ts";
import { quietKafkajsWarnings } from "../../infra/kafka.ts";

quietKafkajsWarnings();

const ORDERS = 30_000;
const CUSTOMERS = 60;

/** NDJSON orders whose order_id is the position in the file: `o-<n>`. */
async function writeOrders(dir: string): Promise<{ path: string; highValue: string[] }> {
  const random = seededRandom(14);
  const lines: string[] = [];
  const highValue: string[] = [];
  for (let n = 0; n < ORDERS; n++) {
    const amount = Math.round(random() * 2_000_000) / 100;
    if (amount > 10000) highValue.push(`o-${n}`);
    lines.push(JSON.stringify({
      order_id: `o-${n}`,
      customer_id: `c-${Math.floor(random() * CUSTOMERS)}`,
      amount,
      currency: "INR",
    }));
  }
  const path = `${dir}/orders.ndjson`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return { path, highValue };
}

/** The seconds from `from` to the first stderr progress line after it. */
function secondsToProgress(lines: { at: number; line: string }[], from: number): number {
  const next = lines.find((l) => l.at > from && /published, \d+ rejected/.test(l.line));
  return next ? Math.round((next.at - from) / 100) / 10 : NaN;
}

/** What each test here gets: its own cluster, a folder, an admin client, a topic. */
interface OnCluster {
  cluster: KafkaCluster;
  kafka: Kafka;
  admin: Admin;
  dir: string;
  topic: string;
  /** The producer's and consumer's env vars for `topic` on `cluster`. */
  env: Record<string, string>;
}

/** A test on a cluster of its own, stopped and cleaned up afterwards. */
function clusterTest(name: string, fn: (t: OnCluster) => Promise<void>) {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const cluster = await startKafkaCluster();
      const dir = await Deno.makeTempDir();
      const kafka = testKafka(cluster.brokers);
      const admin = kafka.admin();
      const topic = uniqueName("cluster-orders");
      const env = {
        KAFKA_BROKERS: cluster.brokers.join(","),
        ORDERS_TOPIC: topic,
        ORDERS_DLQ_TOPIC: `${topic}.dlq`,
      };
      try {
        await fn({ cluster, kafka, admin, dir, topic, env });
      } finally {
        await admin.disconnect();
        await cluster.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

clusterTest(
  "killing the partition leader mid-run loses no order, writes none twice, keeps each " +
    "customer's order, and the group prints every order over 10000",
  async ({ cluster, kafka, admin, dir, topic, env: base }) => {
    const { path, highValue } = await writeOrders(dir);
    const env = {
      ...base,
      ORDERS_GROUP: uniqueName("cluster-group"),
      // Small batches: the run lasts long enough to be hit in the middle.
      ORDERS_BATCH_SIZE: "50",
    };
    const started = performance.now();
    const producer = startScript("exercises/01/producer.ts", [path], env);
    const stderr: { at: number; line: string }[] = [];
    producer.stderr.onLine = (line) => stderr.push({ at: performance.now(), line });
    await admin.connect();
    await until(
      async () => {
        try {
          const offsets = await admin.fetchTopicOffsets(topic);
          return offsets.reduce((sum, p) => sum + Number(p.high), 0) > 1000;
        } catch {
          return false; // Not created yet, or its leaders not elected yet.
        }
      },
      60_000,
      "the first orders on the topic",
    );
    // A random moment of the run: some orders in, most still to come.
    await new Promise((r) => setTimeout(r, Math.random() * 1000));
    const leader = await leaderOf(admin, topic, 0);
    const killedAt = performance.now();
    await cluster.kill(leader);
    await new Promise((r) => setTimeout(r, 3000));
    await cluster.restart(leader);

    const status = await producer.status;
    assert.equal(status.code, 0, producer.stderr.lines.slice(-5).join("\n"));
    const summary = JSON.parse(producer.stdout.lines[0]);
    assert.equal(summary.published, ORDERS);
    console.log(
      `leader ${leader} killed ${Math.round((killedAt - started) / 100) / 10} s into the run; ` +
        `orders moving again ${secondsToProgress(stderr, killedAt)} s later`,
    );

    await waitForIsr(admin, topic, 3);
    const messages = await readTopic(topic, 60_000, kafka);
    const ids = messages.map((m) => JSON.parse(m.value!).order_id as string);
    const twice = ids.length - new Set(ids).size;
    assert.equal(twice, 0, `${twice} orders written twice`);
    assert.equal(ids.length, ORDERS, `${ORDERS - ids.length} orders lost`);
    // Per customer, offsets in a partition follow the file.
    const last = new Map<string, number>();
    const inLog = messages.toSorted((a, b) =>
      a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset))
    );
    for (const m of inLog) {
      const order = JSON.parse(m.value!);
      const n = Number(order.order_id.slice(2));
      const before = last.get(order.customer_id) ?? -1;
      assert.ok(n > before, `${order.customer_id}: o-${n} after o-${before}`);
      last.set(order.customer_id, n);
    }

    const consumer = startScript("exercises/01/consumer.ts", [], env);
    try {
      await consumer.stdout.waitFor(
        (lines) => lines.length >= highValue.length,
        60_000,
        `${highValue.length} printed orders`,
      );
    } finally {
      assert.equal((await consumer.stop("SIGTERM")).code, 0);
    }
    const printed = consumer.stdout.lines.map((line) => JSON.parse(line).order.order_id);
    assert.deepEqual(printed.toSorted(), highValue.toSorted());
  },
);

clusterTest(
  "a producer started just after a broker died waits for the cluster; with two of three " +
    "brokers down, acks=all is refused with NOT_ENOUGH_REPLICAS, named; " +
    "the producer gives up at KAFKA_SEND_TIMEOUT_MS or, given time, writes every order once " +
    "they return",
  async ({ cluster, kafka, admin, dir, topic, env }) => {
    const { path } = await writeOrders(dir);
    // Creates the topics, with every broker up.
    await Deno.writeTextFile(
      `${dir}/first.ndjson`,
      '{"order_id":"first","customer_id":"c-0","amount":1,"currency":"INR"}\n',
    );
    const first = startScript("exercises/01/producer.ts", [`${dir}/first.ndjson`], env);
    assert.equal((await first.status).code, 0, first.stderr.lines.slice(-5).join("\n"));
    // Started a moment after a broker dies, while the metadata still names it:
    // the one the metadata calls the controller, where kafkajs sends describeConfigs.
    await admin.connect();
    const firstDown = (await admin.describeCluster()).controller!;
    const secondDown = cluster.ids.find((id) => id !== firstDown)!;
    await cluster.kill(firstDown);
    await Deno.writeTextFile(
      `${dir}/second.ndjson`,
      '{"order_id":"second","customer_id":"c-1","amount":1,"currency":"INR"}\n',
    );
    const second = startScript("exercises/01/producer.ts", [`${dir}/second.ndjson`], env);
    assert.equal((await second.status).code, 0, second.stderr.lines.slice(-5).join("\n"));
    await cluster.kill(secondDown);
    // The controllers fence them after broker.session.timeout.ms (9 s).
    await until(
      async () => {
        try {
          await admin.connect();
          return (await admin.describeCluster()).brokers.length === 1;
        } catch {
          return false; // Asked a dead broker first: ask again.
        }
      },
      30_000,
      "two brokers fenced",
    );

    const impatient = startScript("exercises/01/producer.ts", [path], {
      ...env,
      KAFKA_SEND_TIMEOUT_MS: "2000",
    });
    assert.equal((await impatient.status).code, 1);
    const last = impatient.stderr.lines.at(-1) ?? "";
    assert.match(last, /gave up after \d+ s \(KAFKA_SEND_TIMEOUT_MS=2000\): NOT_ENOUGH_REPLICAS/);
    assert.match(last, /fewer in-sync replicas than required/);

    const started = performance.now();
    const patient = startScript("exercises/01/producer.ts", [path], env);
    await patient.stderr.waitFor(
      (lines) => lines.some((l) => /failed for now \(NOT_ENOUGH_REPLICAS/.test(l)),
      60_000,
      "a NOT_ENOUGH_REPLICAS line",
    );
    await Promise.all([cluster.restart(firstDown), cluster.restart(secondDown)]);
    const restarted = performance.now();
    assert.equal((await patient.status).code, 0, patient.stderr.lines.slice(-5).join("\n"));
    console.log(
      `refused for ${Math.round((restarted - started) / 100) / 10} s; done ` +
        `${Math.round((performance.now() - restarted) / 100) / 10} s after the restarts`,
    );
    await waitForIsr(admin, topic, 3);
    const ids = (await readTopic(topic, 60_000, kafka)).map((m) => JSON.parse(m.value!).order_id);
    assert.equal(new Set(ids).size, ids.length, "none twice");
    assert.equal(ids.length, 2 + ORDERS, "none lost, and none from the run that gave up");
  },
);
