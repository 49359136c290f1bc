/**
 * solution.ts copied alone into an empty folder and run there as a Lambda
 * function under the emulator, on the project's Deno runtime: the task root
 * holds that one file and the runtime (no deno.json, no import map, no
 * lockfile), as a learner's own function would. Against the real S3 server;
 * reference.ts (the plain TypeScript transform) is the independent check.
 */
import assert from "node:assert/strict";
import { uniqueName, until } from "../../infra/testing.ts";
import { startFunction } from "../../infra/lambda/emulator.ts";
import { encodeS3Key } from "../../infra/lambda/s3_event.ts";
import { startS3Trigger } from "../../infra/lambda/s3_trigger.ts";
import { copyAloneTaskRoot } from "../../infra/lambda/task_root.ts";
import { transformOrdersPlain } from "./reference.ts";
import { type Buckets, generateOrders, withBuckets } from "./_testing.ts";

// The task root's install fetches Polars' native package for this platform.
const SOLUTION = "exercises/09/solution.ts";

/** The written summary's rows, parsed. */
async function summaryRows(b: Buckets, key: string): Promise<unknown[]> {
  const text = new TextDecoder().decode(await b.read(b.output, key));
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

function event(bucket: string, keys: string[]) {
  return {
    Records: keys.map((key) => ({
      eventSource: "aws:s3",
      eventName: "ObjectCreated:Put",
      s3: { bucket: { name: bucket }, object: { key: encodeS3Key(key) } },
    })),
  };
}

Deno.test("solution.ts handler(), copied alone, writes to the output bucket the summary reference.ts computes", async () => {
  const { image, remove } = await copyAloneTaskRoot(SOLUTION);
  const source = uniqueName("test-orders");
  const output = uniqueName("test-summaries");
  const trigger = await startS3Trigger("solution.handler", {
    env: { OUTPUT_BUCKET: output },
    bucket: source,
    suffixes: [".json", ".ndjson", ".jsonl"],
    image,
  });
  try {
    await withBuckets(async (b) => {
      const orders = generateOrders(20_000, 42);
      const sample = await Deno.readTextFile(new URL("./samples/orders.json", import.meta.url));
      await b.put("2026/11/orders day 30.ndjson", orders);
      await b.put("sample.json", sample);
      await until(() => trigger.relay.deliveries.length === 2, 60_000, "the invocations");
      for (const delivery of trigger.relay.deliveries) {
        assert.ok(delivery.ok, `${JSON.stringify(delivery)}\n${trigger.fn.logs.tail()}`);
      }
      assert.deepEqual((await b.outputKeys()).toSorted(), [
        "summaries/2026/11/orders day 30.ndjson",
        "summaries/sample.ndjson",
      ]);
      const expected = (input: string) => transformOrdersPlain(input).rows;
      assert.deepEqual(
        await summaryRows(b, "summaries/2026/11/orders day 30.ndjson"),
        expected(orders),
      );
      assert.deepEqual(await summaryRows(b, "summaries/sample.ndjson"), expected(sample));
    }, { s3Endpoint: trigger.endpoint, source, output });
  } finally {
    await trigger.stop();
    await remove();
  }
});

Deno.test("solution.ts handler() fails the invocation on a bad record, naming it, and writes nothing for it", async () => {
  const { image, remove } = await copyAloneTaskRoot(SOLUTION);
  try {
    await withBuckets(async (b) => {
      const fn = await startFunction("solution.handler", { env: b.env, image });
      try {
        const bad = await Deno.readTextFile(
          new URL("./samples/bad-amount.ndjson", import.meta.url),
        );
        await b.put("in/bad amount.ndjson", bad);
        await b.put(
          "good.json",
          '[{"customer_id":"c1","amount":5,"created_at":"2026-11-30T10:00:00Z"}]',
        );
        const failed = await fn.invoke(event(b.source, ["in/bad amount.ndjson", "good.json"]));
        assert.equal(failed.ok, false, JSON.stringify(failed));
        assert.equal(
          failed.ok ? "" : failed.error.errorMessage,
          `Cannot transform s3://${b.source}/in/bad amount.ndjson: record 2 (line 2): ` +
            'amount must be a number >= 0: got "25000"',
        );
        assert.deepEqual(await b.outputKeys(), ["summaries/good.ndjson"]);
      } finally {
        await fn.stop();
      }
    });
  } finally {
    await remove();
  }
});

Deno.test("events/s3-put.json drives solution.ts handler()", async () => {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("./events/s3-put.json", import.meta.url)),
  );
  const sample = await Deno.readTextFile(new URL("./samples/orders.json", import.meta.url));
  const { image, remove } = await copyAloneTaskRoot(SOLUTION);
  try {
    await withBuckets(async (b) => {
      const fn = await startFunction("solution.handler", { env: b.env, image });
      try {
        const [record] = fixture.Records;
        // The key as AWS sends it: URL-encoded, a space as '+', '/' kept.
        assert.equal(record.s3.object.key, "orders/2026-11-30+%281%29.json");
        await b.put("orders/2026-11-30 (1).json", sample);
        record.s3.bucket.name = b.source;
        const invoked = await fn.invoke(fixture);
        assert.ok(invoked.ok, JSON.stringify(invoked));
        assert.deepEqual(
          await summaryRows(b, "summaries/orders/2026-11-30 (1).ndjson"),
          transformOrdersPlain(sample).rows,
        );
      } finally {
        await fn.stop();
      }
    });
  } finally {
    await remove();
  }
});
