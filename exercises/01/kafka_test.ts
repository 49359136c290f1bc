/**
 * Exercise 01 against the real broker (`make services`): the producer
 * publishes every valid order once, rejects go to the dead-letter topic, and
 * consumers in one group print exactly the orders above the threshold.
 */
import assert from "node:assert/strict";
import {
  readTopic,
  requireService,
  testKafka,
  uniqueName,
  until,
  withTopics,
} from "../../infra/testing.ts";
import { newProducer } from "../../infra/kafka.ts";
import { type Config, readConfig } from "./config.ts";
import { type Printed, startConsumer } from "./consumer.ts";
import { openBytes, publishOrders } from "./producer.ts";
import { readRecords } from "./records.ts";

const SAMPLE = new URL("./orders.json", import.meta.url).pathname;

function testConfig(overrides: Partial<Config> = {}): Config {
  const topic = uniqueName("test-orders");
  return {
    ...readConfig(),
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName("test-group"),
    batchSize: 4,
    ...overrides,
  };
}

async function publishSample(config: Config) {
  return await publishOrders(readRecords(await openBytes(SAMPLE)), config, {
    source: "orders.json",
    progressEvery: 0,
  });
}

Deno.test("publishOrders() publishes every valid order exactly once, keyed by customer", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopics([config.topic, config.dlqTopic], async () => {
    const summary = await publishSample(config);
    assert.equal(summary.published, 10);
    assert.equal(summary.rejected, 9);

    const messages = await readTopic(config.topic);
    const published = messages.map((m) => JSON.parse(m.value!));
    const ids = published.map((o) => o.order_id).toSorted();
    assert.deepEqual(ids, [
      "1018",
      "o-1001",
      "o-1002",
      "o-1003",
      "o-1004",
      "o-1006",
      "o-1010",
      "o-1014",
      "o-1015",
      "o-1019",
    ]);
    for (const m of messages) assert.equal(m.key, JSON.parse(m.value!).customer_id);
    // One customer's orders sit in one partition, in file order.
    const c17 = messages.filter((m) => m.key === "c-17");
    assert.equal(new Set(c17.map((m) => m.partition)).size, 1);
    assert.deepEqual(
      c17.toSorted((a, b) => Number(a.offset) - Number(b.offset)).map((m) =>
        JSON.parse(m.value!).order_id
      ),
      ["o-1001", "o-1003", "o-1010", "o-1019"],
    );
  });
});

Deno.test("publishOrders() sends each rejected record to the dead-letter topic with reason and line", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopics([config.topic, config.dlqTopic], async () => {
    await publishSample(config);
    const dead = (await readTopic(config.dlqTopic)).map((m) => JSON.parse(m.value!));
    assert.deepEqual(dead.map((d) => [d.line, d.reason.replace(/:.*$/, "")]), [
      [6, "amount must be a number"],
      [8, "amount must not be negative"],
      [9, "order_id is missing"],
      [10, "amount is missing"],
      [12, "amount must be finite"],
      [13, "currency must be INR"],
      [14, "created_at must be an ISO 8601 date"],
      [17, "not valid JSON"],
      [18, "an order must be a JSON object"],
    ]);
    for (const d of dead) {
      assert.equal(d.source, "orders.json");
      assert.ok(d.record.length > 0, "the rejected record's text is kept");
    }
    assert.equal(
      dead[7].record,
      '{"order_id": "o-1016", "customer_id": "c-23", "amount": 12000, "currency": "INR",}',
    );
  });
});

Deno.test("startConsumer() reports exactly the orders strictly above the threshold", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopics([config.topic, config.dlqTopic], async () => {
    await publishSample(config);
    const printed: Printed[] = [];
    const running = await startConsumer(config, { onOrder: (p) => printed.push(p) });
    try {
      await until(() => printed.length >= 6, 30_000, "6 orders above 10000");
      // Give a wrongly printed seventh order the chance to show up.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await running.stop();
    }
    const byId = Object.fromEntries(printed.map((p) => [p.order.order_id, p.order.amount]));
    assert.deepEqual(byId, {
      "o-1002": 15999,
      "o-1004": 10000.01,
      "o-1006": 249000,
      "o-1015": 18250.75,
      "1018": 64000,
      "o-1019": 10001,
    });
    assert.equal(printed.length, 6);
  });
});

Deno.test("startConsumer() members of one group split the partitions and print each order once", async () => {
  await requireService("kafka");
  const config = testConfig({ partitions: 4, threshold: 0 });
  await withTopics([config.topic, config.dlqTopic], async () => {
    const printed: Printed[][] = [[], []];
    const assigned: number[][] = [[], []];
    const members = [];
    let final: number[][] = [];
    try {
      // Both members join first, so the group has split the partitions before any order arrives.
      for (const i of [0, 1]) {
        members.push(
          await startConsumer(config, {
            onOrder: (p) => printed[i].push(p),
            onAssigned: (partitions) => (assigned[i] = partitions),
          }),
        );
      }
      await until(
        () =>
          assigned[0].length + assigned[1].length === 4 && assigned[0].length > 0 &&
          assigned[1].length > 0,
        40_000,
        "the two members to split the 4 partitions",
      );
      // 200 orders from 40 customers, all above a threshold of 0.
      const lines = Array.from(
        { length: 200 },
        (_, i) =>
          JSON.stringify({ order_id: `o-${i}`, customer_id: `c-${i % 40}`, amount: 100 + i }),
      );
      await publishOrders(
        readRecords(ReadableStream.from([new TextEncoder().encode(lines.join("\n"))])),
        config,
        {
          progressEvery: 0,
        },
      );
      await until(() => printed[0].length + printed[1].length >= 200, 30_000, "all 200 orders");
      await new Promise((r) => setTimeout(r, 1000));
      // Copy now: stopping the first member hands all partitions to the second.
      final = assigned.map((a) => [...a]);
    } finally {
      for (const member of members) await member.stop();
    }
    assert.deepEqual([...final[0], ...final[1]].toSorted(), [0, 1, 2, 3]);
    const ids = [...printed[0], ...printed[1]].map((p) => p.order.order_id);
    assert.equal(new Set(ids).size, 200, "every order printed");
    assert.equal(ids.length, 200, "no order printed twice");
    for (const i of [0, 1]) {
      assert.ok(printed[i].length > 0, `member ${i} printed orders`);
      for (const p of printed[i]) {
        assert.ok(final[i].includes(p.partition), "only from its partitions");
      }
    }
  });
});

Deno.test("startConsumer() dead-letters a message on the topic that is not an order", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopics([config.topic, config.dlqTopic], async (admin) => {
    await admin.createTopics({
      topics: [{ topic: config.topic, numPartitions: 1 }],
      waitForLeaders: true,
    });
    const producer = newProducer(testKafka());
    await producer.connect();
    await producer.send({
      topic: config.topic,
      messages: [
        { value: "not json" },
        { value: JSON.stringify({ order_id: "o1", customer_id: "c1", amount: 20000 }) },
      ],
    });
    await producer.disconnect();
    const printed: Printed[] = [];
    const running = await startConsumer(config, { onOrder: (p) => printed.push(p) });
    try {
      await until(() => printed.length >= 1, 30_000, "the valid order");
    } finally {
      await running.stop();
    }
    const dead = (await readTopic(config.dlqTopic)).map((m) => JSON.parse(m.value!));
    assert.equal(dead.length, 1);
    assert.equal(dead[0].record, "not json");
    assert.equal(dead[0].source, `${config.topic}/0@0`);
    assert.match(dead[0].reason, /^not valid JSON/);
  });
});
