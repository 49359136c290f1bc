/**
 * Exercise 01 against the real broker with input that breaks naive code:
 * records bigger than the broker takes, dead letters that would be, invalid
 * UTF-8, blank lines.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
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
import { publishOrders } from "./producer.ts";
import { readRecords } from "./records.ts";

function testConfig(overrides: Partial<Config> = {}): Config {
  const topic = uniqueName("test-orders");
  return {
    ...readConfig(),
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName("test-group"),
    ...overrides,
  };
}

const bytesOf = (...parts: (string | Uint8Array)[]) =>
  new Uint8Array(
    parts.flatMap((p) => [...(typeof p === "string" ? new TextEncoder().encode(p) : p)]),
  );

async function publish(config: Config, file: Uint8Array) {
  let blank = 0;
  const records = readRecords(ReadableStream.from([file]), { onBlankLine: () => blank++ });
  return await publishOrders(records, config, {
    source: "test.ndjson",
    progressEvery: 0,
    blankLines: () => blank,
  });
}

Deno.test("publishOrders() splits batches by bytes: 1,000 orders of 3 KB each are all published", async () => {
  await requireService("kafka");
  const config = testConfig({ batchSize: 500 });
  await withTopics([config.topic, config.dlqTopic], async () => {
    const note = "n".repeat(3000);
    const lines = Array.from(
      { length: 1000 },
      (_, i) => JSON.stringify({ order_id: `o-${i}`, customer_id: `c-${i % 7}`, amount: i, note }),
    );
    const summary = await publish(config, bytesOf(lines.join("\n")));
    assert.equal(summary.published, 1000);
    assert.equal(summary.rejected, 0);
    assert.equal((await readTopic(config.topic)).length, 1000);
  });
});

Deno.test("publishOrders() dead-letters one order over the topic's max.message.bytes, with its size", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopics([config.topic, config.dlqTopic], async (admin) => {
    // The producer reads the limit from the topic: a small one keeps the test small.
    await admin.createTopics({
      topics: [{
        topic: config.topic,
        numPartitions: 3,
        configEntries: [{ name: "max.message.bytes", value: "20000" }],
      }],
      waitForLeaders: true,
    });
    const huge = JSON.stringify({
      order_id: "o-big",
      customer_id: "c-1",
      amount: 5,
      note: "x".repeat(30_000),
    });
    const lines = [
      JSON.stringify({ order_id: "o-1", customer_id: "c-1", amount: 1 }),
      huge,
      ...Array.from(
        { length: 30 },
        (_, i) =>
          JSON.stringify({
            order_id: `o-${i + 2}`,
            customer_id: `c-${i}`,
            amount: 2,
            note: "y".repeat(1000),
          }),
      ),
    ];
    const summary = await publish(config, bytesOf(lines.join("\n")));
    assert.equal(summary.published, 31);
    assert.equal(summary.rejected, 1);
    const [dead] = (await readTopic(config.dlqTopic)).map((m) => JSON.parse(m.value!));
    assert.equal(dead.line, 2);
    assert.match(
      dead.reason,
      /^the order is \d+ bytes as a Kafka record, over the max\.message\.bytes of topic '.*' \(20000\)$/,
    );
    assert.equal(dead.record, huge, "the dead-letter topic (default limit) keeps it whole");
  });
});

Deno.test("publishOrders() rejects invalid UTF-8 and keeps the bytes as base64; counts blank lines", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopics([config.topic, config.dlqTopic], async () => {
    // Two customers whose ids differ only in their invalid bytes: neither may become "c-\uFFFD".
    const bad1 = bytesOf(
      '{"order_id":"o-1","customer_id":"c-',
      new Uint8Array([0xff]),
      '","amount":20000}',
    );
    const bad2 = bytesOf(
      '{"order_id":"o-2","customer_id":"c-',
      new Uint8Array([0xfe]),
      '","amount":20000}',
    );
    const file = bytesOf(
      bad1,
      "\n\n",
      bad2,
      "\r\n   \n",
      '{"order_id":"o-3","customer_id":"c-3","amount":1}\n',
    );
    const summary = await publish(config, file);
    assert.deepEqual([summary.published, summary.rejected, summary.blankLines], [1, 2, 2]);
    const dead = (await readTopic(config.dlqTopic)).map((m) => JSON.parse(m.value!));
    assert.deepEqual(dead.map((d) => [d.line, d.reason]), [
      [1, "not valid UTF-8: byte 0xff at offset 35"],
      [3, "not valid UTF-8: byte 0xfe at offset 35"],
    ]);
    assert.deepEqual(Buffer.from(dead[0].record_base64, "base64"), Buffer.from(bad1));
    assert.equal(dead[0].record, undefined);
  });
});

Deno.test("startConsumer() keeps going past a message whose whole dead letter would not fit", async () => {
  await requireService("kafka");
  const config = testConfig({ threshold: 0 });
  await withTopics([config.topic, config.dlqTopic], async (admin) => {
    await admin.createTopics({
      topics: [{ topic: config.topic, numPartitions: 1 }],
      waitForLeaders: true,
    });
    // 500 KB of control characters: 3 MB once escaped in a JSON dead letter.
    const escapes = `{"order_id":"o-x","note":"${String.fromCharCode(1).repeat(500_000)}"}`;
    const invalid = bytesOf(
      '{"order_id":"o-y","customer_id":"',
      new Uint8Array([0xc3, 0x28]),
      '","amount":7}',
    );
    const producer = newProducer(testKafka());
    await producer.connect();
    await producer.send({
      topic: config.topic,
      messages: [
        { value: escapes },
        { value: Buffer.from(invalid) },
        { value: JSON.stringify({ order_id: "o-ok", customer_id: "c-1", amount: 20000 }) },
      ],
    });
    await producer.disconnect();
    const printed: Printed[] = [];
    const running = await startConsumer(config, { onOrder: (p) => printed.push(p) });
    try {
      await until(() => printed.length >= 1, 30_000, "the valid order after the two bad ones");
    } finally {
      await running.stop();
    }
    assert.deepEqual(printed.map((p) => p.order.order_id), ["o-ok"]);
    const dead = (await readTopic(config.dlqTopic)).map((m) => JSON.parse(m.value!));
    assert.equal(dead.length, 2);
    assert.equal(dead[0].record_truncated, true);
    assert.equal(dead[0].record_bytes, Buffer.byteLength(escapes));
    assert.match(dead[0].record_sha256, /^[0-9a-f]{64}$/);
    assert.equal(dead[1].reason, "not valid UTF-8: byte 0xc3 at offset 33");
    assert.deepEqual(Buffer.from(dead[1].record_base64, "base64"), Buffer.from(invalid));
  });
});

Deno.test("startConsumer() stopped mid-batch leaves what it did not report to the next member", async () => {
  await requireService("kafka");
  const config = testConfig({ partitions: 1, threshold: 0 });
  await withTopics([config.topic, config.dlqTopic], async () => {
    // One partition, so one fetch holds thousands of orders; every 10th record is bad.
    const lines = Array.from(
      { length: 22_000 },
      (_, i) =>
        i % 10 === 9
          ? `{"order_id":"bad-${i}"}`
          : JSON.stringify({ order_id: `o-${i}`, customer_id: `c-${i % 50}`, amount: 1 + i }),
    );
    await publish(config, bytesOf(lines.join("\n")));
    const printed = new Set<string>();
    // The first member is told to stop at its 500th order, in the middle of its first batch.
    let stopping: Promise<void> | undefined;
    const first = await startConsumer(config, {
      onOrder: (p) => {
        printed.add(p.order.order_id);
        if (printed.size === 500) stopping = first.stop();
      },
    });
    await until(() => stopping !== undefined, 30_000, "500 orders");
    await stopping;
    assert.ok(printed.size < 19_800, `stopped before the end: ${printed.size}`);
    const second = await startConsumer(config, { onOrder: (p) => printed.add(p.order.order_id) });
    try {
      await until(() => printed.size >= 19_800, 60_000, "every valid order");
    } finally {
      await second.stop();
    }
    assert.equal(printed.size, 19_800, "every valid order reported by one member or the other");
  });
});
