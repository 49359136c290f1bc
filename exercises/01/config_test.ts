import assert from "node:assert/strict";
import { readConfig } from "./config.ts";

Deno.test("readConfig() uses the documented defaults", () => {
  assert.deepEqual(readConfig({}), {
    brokers: ["127.0.0.1:9092"],
    topic: "orders",
    dlqTopic: "orders.dlq",
    partitions: 3,
    batchSize: 500,
    sendTimeoutMs: 120_000,
    groupId: "orders-printer",
    threshold: 10000,
  });
});

Deno.test("readConfig() reads every variable", () => {
  const config = readConfig({
    KAFKA_BROKERS: "10.0.0.1:9092, 10.0.0.2:9092",
    ORDERS_TOPIC: "t",
    ORDERS_DLQ_TOPIC: "t.dlq",
    ORDERS_PARTITIONS: "6",
    ORDERS_BATCH_SIZE: "100",
    ORDERS_GROUP: "g",
    ORDERS_THRESHOLD: "5000.5",
    KAFKA_SEND_TIMEOUT_MS: "5000",
  });
  assert.equal(config.sendTimeoutMs, 5000);
  assert.deepEqual(config.brokers, ["10.0.0.1:9092", "10.0.0.2:9092"]);
  assert.equal(config.threshold, 5000.5);
  assert.equal(config.partitions, 6);
});

Deno.test("readConfig() rejects bad values, naming the variable and the value", () => {
  assert.throws(() => readConfig({ ORDERS_THRESHOLD: "lots" }), {
    name: "RangeError",
    message:
      `Cannot use 'ORDERS_THRESHOLD' as it is not a non-negative number: current value is "lots"`,
  });
  assert.throws(() => readConfig({ ORDERS_PARTITIONS: "0" }), /'ORDERS_PARTITIONS'.*"0"/);
  assert.throws(() => readConfig({ ORDERS_BATCH_SIZE: "1.5" }), /'ORDERS_BATCH_SIZE'/);
  assert.throws(() => readConfig({ ORDERS_TOPIC: " " }), /'ORDERS_TOPIC' as it is empty/);
  assert.throws(() => readConfig({ KAFKA_BROKERS: "localhost" }), /"localhost" is not host:port/);
});
