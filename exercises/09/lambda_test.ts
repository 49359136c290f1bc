/**
 * Exercise 09 as it runs in AWS, locally: an upload to the source bucket
 * sends an event, the relay invokes the function under the runtime interface
 * emulator, run from the task root its Dockerfile builds (read-only, with
 * Polars' native addon, as in the image), and the summary lands in the
 * output bucket, equal to the independent computation.
 */
import assert from "node:assert/strict";
import { uniqueName, until } from "../../infra/testing.ts";
import { type S3Trigger, startS3Trigger } from "../../infra/lambda/s3_trigger.ts";
import { transformOrdersPlain } from "./reference.ts";
import { type Buckets, generateOrders, withBuckets } from "./_testing.ts";

const HANDLER = "exercises/09/handler.handler";

async function withTrigger(
  options: { failedFile?: string },
  fn: (b: Buckets, trigger: S3Trigger) => Promise<void>,
) {
  const source = uniqueName("test-orders");
  const output = uniqueName("test-summaries");
  const trigger = await startS3Trigger(HANDLER, {
    env: { OUTPUT_BUCKET: output },
    bucket: source,
    suffixes: [".json", ".ndjson", ".jsonl"],
    retryDelayMs: 50,
    image: "exercises/09/Dockerfile",
    ...options,
  });
  try {
    await withBuckets((b) => fn(b, trigger), { s3Endpoint: trigger.endpoint, source, output });
  } finally {
    await trigger.stop();
  }
}

Deno.test("an upload is summarised into the output bucket through the event, relay and emulator", async () => {
  await withTrigger({}, async (b, trigger) => {
    const orders = generateOrders(20_000, 42);
    await b.put("2026/11/orders.json", orders);
    await until(() => trigger.relay.deliveries.length === 1, 60_000, "the invocation");
    const [delivery] = trigger.relay.deliveries;
    assert.ok(delivery.ok, `${JSON.stringify(delivery)}\n${trigger.fn.logs.tail()}`);
    assert.deepEqual(await b.outputKeys(), ["summaries/2026/11/orders.ndjson"]);
    const written = await b.read(b.output, "summaries/2026/11/orders.ndjson");
    assert.deepEqual(written, transformOrdersPlain(orders).ndjson);
    // The output bucket's own event is not the trigger's: the relay passed one event only.
    assert.equal(trigger.relay.deliveries.length, 1);
  });
});

Deno.test("a bad upload fails the invocation, is retried, kept with its reason, and writes nothing", async () => {
  const failedFile = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await withTrigger({ failedFile }, async (b, trigger) => {
      await b.put("bad.json", '[{"customer_id": "c1", "amount": 5, "created_at": "yesterday"}]');
      await until(() => trigger.relay.deliveries.length === 1, 60_000, "the delivery to end");
      const [delivery] = trigger.relay.deliveries;
      assert.equal(delivery.ok, false);
      assert.equal(delivery.attempts, 3);
      assert.match(
        delivery.error!,
        new RegExp(`^Error: Cannot transform s3://${b.source}/bad\\.json: record 1: .*created_at`),
      );
      assert.equal(JSON.parse((await Deno.readTextFile(failedFile)).trim()).key, "bad.json");
      assert.deepEqual(await b.outputKeys(), []);
    });
  } finally {
    await Deno.remove(failedFile);
  }
});
