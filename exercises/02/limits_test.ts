/**
 * Exercise 02's consumer, as a process on the real broker, with what breaks
 * naive consumers: a dead letter bigger than the broker takes, invalid UTF-8,
 * a signal during start-up, and a crash kafkajs does not restart.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  readTopic,
  refuseNextDeadLetter,
  requireService,
  withTopics,
} from "../../infra/testing.ts";
import { exitWithin } from "../../infra/script.ts";
import { readLedger } from "./ledger.ts";
import { committed, consumer, publishTo, setup, untilProcessed } from "./_testing.ts";

Deno.test("consumer.ts dead-letters a huge or non-UTF-8 message within the limit and moves on", async () => {
  await requireService("kafka");
  const s = await setup(1);
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async () => {
    // 400 KB of control characters: 2.4 MB once escaped in a JSON dead letter.
    const escapes = `{"payment_id":"${String.fromCharCode(2).repeat(400_000)}","amount":1}`;
    const invalid = Buffer.concat([
      Buffer.from('{"payment_id":"p-'),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('","amount":100}'),
    ]);
    await publishTo(s, [
      { value: escapes },
      { value: invalid },
      { value: JSON.stringify({ payment_id: "p-ok", amount: 500 }) },
    ]);
    const running = consumer(s);
    try {
      await untilProcessed(s, new Set(["0@2"]), 30_000);
      await running.stderr.waitFor(
        (l) => l.filter((x) => x.includes("dead-lettered")).length === 2,
        10_000,
        "two dead letters",
      );
    } finally {
      await running.stop();
    }
    assert.deepEqual(readLedger(s.ledger).map((e) => e.payment_id), ["p-ok"]);
    const dead = (await readTopic(s.env.PAYMENTS_DLQ_TOPIC)).map((m) => JSON.parse(m.value!));
    assert.equal(dead[0].record_truncated, true);
    assert.equal(dead[0].record_bytes, Buffer.byteLength(escapes));
    assert.match(dead[0].error, /^not valid JSON/);
    assert.equal(dead[1].error, "not valid UTF-8: byte 0xe2 at offset 17");
    assert.deepEqual(Buffer.from(dead[1].record_base64, "base64"), invalid);
    assert.equal((await committed(s)).get(0), "3", "committed past all three");
  });
});

Deno.test("consumer.ts exits 0 on a SIGTERM that comes while it is still connecting", async () => {
  await requireService("kafka");
  const s = await setup(1);
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async () => {
    const running = consumer(s);
    await running.stderr.waitFor((lines) => lines.length >= 1, 20_000, "the start line");
    const stopped = await running.stop("SIGTERM");
    assert.equal(stopped.code, 0, running.stderr.tail());
    assert.equal(stopped.signal, null);
  });
});

Deno.test("consumer.ts exits 1 with the reason when kafkajs stops the consumer for good", async () => {
  await requireService("kafka");
  const s = await setup(1);
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async (admin) => {
    const running = consumer(s);
    try {
      await running.stderr.waitFor(
        (l) => l.some((x) => x.includes("holds partitions [0]")),
        30_000,
        "the consumer to join",
      );
      // The dead-letter topic's limit shrinks under the running consumer: MESSAGE_TOO_LARGE.
      await refuseNextDeadLetter(admin, s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC);
      const status = await exitWithin(running, 30_000);
      assert.ok(status, `still running after the crash:\n${running.stderr.tail()}`);
      assert.equal(status.code, 1);
      assert.match(running.stderr.tail(3), /stopped for good \(kafkajs will not restart it\)/);
      assert.equal(
        (await committed(s)).get(0),
        "-1",
        "the message it could not park is not committed",
      );
    } finally {
      await running.stop("SIGKILL");
    }
  });
});
