/**
 * Exercise 01 as a user runs it: the two scripts as processes, on the real
 * broker, with their stdout, stderr and exit codes.
 */
import assert from "node:assert/strict";
import {
  readTopic,
  refuseNextDeadLetter,
  requireService,
  uniqueName,
  withTopics,
} from "../../infra/testing.ts";
import { exitWithin, startScript } from "../../infra/script.ts";

function names() {
  const topic = uniqueName("test-orders");
  return {
    ORDERS_TOPIC: topic,
    ORDERS_DLQ_TOPIC: `${topic}.dlq`,
    ORDERS_GROUP: uniqueName("test-group"),
  };
}

Deno.test("producer.ts and consumer.ts print the summary and the orders above 10000", async () => {
  await requireService("kafka");
  const env = names();
  await withTopics([env.ORDERS_TOPIC, env.ORDERS_DLQ_TOPIC], async () => {
    const producer = startScript("exercises/01/producer.ts", ["exercises/01/orders.json"], env);
    const produced = await producer.status;
    assert.equal(produced.code, 0, producer.stderr.tail());
    assert.equal(producer.stdout.lines.length, 1, "one summary line on stdout");
    const summary = JSON.parse(producer.stdout.lines[0]);
    assert.equal(summary.published, 10);
    assert.equal(summary.rejected, 9);
    assert.ok(
      producer.stderr.lines.includes(
        'producer: rejected exercises/01/orders.json line 6: amount must be a number: got string "25000"',
      ),
      producer.stderr.tail(),
    );

    const consumer = startScript("exercises/01/consumer.ts", [], env);
    try {
      await consumer.stdout.waitFor((lines) => lines.length >= 6, 30_000, "6 printed orders");
    } finally {
      const stopped = await consumer.stop("SIGTERM");
      assert.equal(stopped.code, 0, "SIGTERM is a clean shutdown");
    }
    const printed = consumer.stdout.lines.map((line) => JSON.parse(line));
    assert.deepEqual(printed.map((p) => p.order.order_id).toSorted(), [
      "1018",
      "o-1002",
      "o-1004",
      "o-1006",
      "o-1015",
      "o-1019",
    ]);
    for (const p of printed) assert.ok(p.order.amount > 10000 && typeof p.offset === "string");
    assert.equal((await readTopic(env.ORDERS_DLQ_TOPIC)).length, 9);
  });
});

Deno.test("producer.ts fails clearly on a missing file", async () => {
  const missing = startScript("exercises/01/producer.ts", ["exercises/01/no-such-file.json"]);
  assert.equal((await missing.status).code, 1);
  assert.match(missing.stderr.tail(), /Cannot read orders file 'exercises\/01\/no-such-file.json'/);
});

Deno.test("consumer.ts rejects a bad setting before connecting, naming it", async () => {
  const bad = startScript("exercises/01/consumer.ts", [], { ORDERS_THRESHOLD: "lots" });
  assert.equal((await bad.status).code, 1);
  assert.match(
    bad.stderr.tail(),
    /'ORDERS_THRESHOLD' as it is not a non-negative number: current value is "lots"/,
  );
});

Deno.test("producer.ts fails with a message naming KAFKA_BROKERS when Kafka is down", async () => {
  // Port 1 is never a broker: kafkajs retries for about 9 s, then gives up.
  const down = startScript("exercises/01/producer.ts", ["exercises/01/orders.json"], {
    KAFKA_BROKERS: "127.0.0.1:1",
  });
  assert.equal((await down.status).code, 1);
  assert.match(
    down.stderr.tail(1),
    /^producer: Cannot reach Kafka at KAFKA_BROKERS=127\.0\.0\.1:1: .*make services/,
  );
});

Deno.test("consumer.ts exits 0 on a SIGTERM that comes while it is still connecting", async () => {
  await requireService("kafka");
  const env = names();
  await withTopics([env.ORDERS_TOPIC, env.ORDERS_DLQ_TOPIC], async () => {
    const consumer = startScript("exercises/01/consumer.ts", [], env);
    // Its first line is printed before it connects: the signal lands during start-up.
    await consumer.stderr.waitFor((lines) => lines.length >= 1, 20_000, "the start line");
    const stopped = await consumer.stop("SIGTERM");
    assert.equal(stopped.code, 0, consumer.stderr.tail());
    assert.equal(stopped.signal, null, "ended by its own clean exit, not by the signal");
  });
});

Deno.test("consumer.ts exits 1 with the reason when kafkajs stops the consumer for good", async () => {
  await requireService("kafka");
  const env = names();
  await withTopics([env.ORDERS_TOPIC, env.ORDERS_DLQ_TOPIC], async (admin) => {
    const consumer = startScript("exercises/01/consumer.ts", [], env);
    try {
      await consumer.stderr.waitFor(
        (lines) => lines.some((l) => l.includes("has partitions")),
        30_000,
        "the consumer to join",
      );
      // The limit changes under the running consumer: its next dead letter is refused
      // with MESSAGE_TOO_LARGE, an error kafkajs does not restart after.
      await refuseNextDeadLetter(admin, env.ORDERS_TOPIC, env.ORDERS_DLQ_TOPIC);
      const status = await exitWithin(consumer, 30_000);
      assert.ok(status, `still running after the crash:\n${consumer.stderr.tail()}`);
      assert.equal(status.code, 1);
      assert.match(
        consumer.stderr.tail(3),
        /consumer: stopped for good \(kafkajs will not restart it\): .*/,
      );
    } finally {
      await consumer.stop("SIGKILL");
    }
  });
});
