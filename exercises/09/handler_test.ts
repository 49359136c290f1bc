/**
 * The handler called in process, with AWS-shaped events and direct invokes,
 * against the real S3 server: the summary it writes equals the plain
 * TypeScript computation of the same input (reference.ts), byte for byte.
 */
import assert from "node:assert/strict";
import { encodeS3Key } from "../../infra/lambda/s3_event.ts";
import { lambdaContext, requireService } from "../../infra/testing.ts";
import { readConfig } from "./config.ts";
import { createHandler, type Result } from "./handler.ts";
import { transformOrdersPlain } from "./reference.ts";
import { generateOrders, withBuckets } from "./_testing.ts";

const handlerFor = (env: Record<string, string>) =>
  createHandler(readConfig({ ...Deno.env.toObject(), ...env }));

const event = (bucket: string, ...keys: string[]) => ({
  Records: keys.map((key) => ({
    eventSource: "aws:s3",
    eventName: "ObjectCreated:Put",
    s3: { bucket: { name: bucket }, object: { key: encodeS3Key(key) } },
  })),
});

const SAMPLE = await Deno.readFile(new URL("./samples/orders.json", import.meta.url));

Deno.test("handler() writes each file's summary, equal to the plain computation", async () => {
  await requireService("s3");
  await withBuckets(async (b) => {
    const generated = generateOrders(5_000);
    await b.put("in/orders.json", SAMPLE);
    await b.put("in/day 2+more.ndjson", generated);
    const result = await handlerFor(b.env)(
      event(b.source, "in/orders.json", "in/day 2+more.ndjson"),
      lambdaContext("summarise-orders", "1024"),
    ) as Result;
    assert.deepEqual(result.outcomes.map((o) => [o.status, o.output, o.orders]), [
      ["written", `s3://${b.output}/summaries/in/orders.ndjson`, 8],
      ["written", `s3://${b.output}/summaries/in/day 2_more.ndjson`, 5_000],
    ]);
    assert.deepEqual(
      await b.read(b.output, "summaries/in/orders.ndjson"),
      transformOrdersPlain(SAMPLE).ndjson,
    );
    assert.deepEqual(
      await b.read(b.output, "summaries/in/day 2_more.ndjson"),
      transformOrdersPlain(generated).ndjson,
    );
  });
});

Deno.test("handler() takes a direct {bucket, key} invoke, and keeps output keys under the prefix", async () => {
  await requireService("s3");
  await withBuckets(async (b) => {
    // AWS accepts "../" in keys; the local server does not, so backslashes stand in.
    const key = "in\\..\\..\\escape.json";
    await b.put(key, SAMPLE);
    const result = await handlerFor(b.env)(
      { bucket: b.source, key },
      lambdaContext("summarise-orders", "1024"),
    ) as Result;
    assert.equal(result.outcomes[0].output, `s3://${b.output}/summaries/in/escape.ndjson`);
    assert.deepEqual(await b.outputKeys(), ["summaries/in/escape.ndjson"]);
  });
});

Deno.test("handler() fails on bad input naming the object, record and reason, writing nothing", async () => {
  await requireService("s3");
  await withBuckets(async (b) => {
    await b.put("good.json", SAMPLE);
    await b.put(
      "bad.ndjson",
      await Deno.readFile(new URL("./samples/bad-amount.ndjson", import.meta.url)),
    );
    await b.put("missing.json", '[{"customer_id": "c1", "created_at": "2026-11-30T09:15:00Z"}]');
    await b.put("not-json.json", "order_id,amount\n1,2\n");
    await assert.rejects(
      handlerFor(b.env)(
        event(b.source, "bad.ndjson", "missing.json", "not-json.json"),
        lambdaContext("summarise-orders", "1024"),
      ),
      (err: Error) => {
        const reasons = err.message.split("; ");
        assert.equal(reasons.length, 3, err.message);
        assert.equal(
          reasons[0],
          `Cannot transform s3://${b.source}/bad.ndjson: record 2 (line 2): amount must be a number: got string "25000"`,
        );
        assert.match(
          reasons[1],
          new RegExp(
            `^Cannot transform s3://${b.source}/missing.json: record 1.*amount is missing`,
          ),
        );
        assert.match(reasons[2], new RegExp(`^Cannot transform s3://${b.source}/not-json.json: `));
        return true;
      },
    );
    assert.deepEqual(await b.outputKeys(), [], "no output, not even a partial one");
  });
});

Deno.test("handler() skips other files, its own output, and inputs above MAX_INPUT_MB", async () => {
  await requireService("s3");
  await withBuckets(async (b) => {
    await b.put("notes.txt", "hello");
    const handler = handlerFor(b.env);
    const skipped = await handler(
      {
        Records: [
          ...event(b.source, "notes.txt").Records,
          ...event(b.output, "summaries/x.json").Records,
        ],
      },
      lambdaContext("summarise-orders", "1024"),
    ) as Result;
    assert.deepEqual(skipped.outcomes.map((o) => o.reason), [
      "not a .json, .ndjson or .jsonl key",
      "the function's own output",
    ]);
    await b.put("big.ndjson", generateOrders(12_000));
    await assert.rejects(
      handlerFor({ ...b.env, MAX_INPUT_MB: "1" })(
        { bucket: b.source, key: "big.ndjson" },
        lambdaContext("summarise-orders", "1024"),
      ),
      /big\.ndjson: the object is \d+ bytes, above MAX_INPUT_MB \(1048576 bytes\)/,
    );
  });
});

Deno.test("handler() rejects an event that is neither S3 nor {bucket, key}", async () => {
  await assert.rejects(
    handlerFor({})({ bucket: "b" }, lambdaContext("summarise-orders", "1024")),
    /expected an S3 event or \{"bucket": "...", "key": "..."\}, got \{"bucket":"b"\}/,
  );
});

Deno.test("handler() skips an object replaced or deleted since its event", async () => {
  await requireService("s3");
  await withBuckets(async (b) => {
    await b.put("orders.json", SAMPLE);
    const stale = {
      Records: [{
        ...event(b.source, "orders.json").Records[0],
        s3: { bucket: { name: b.source }, object: { key: "orders.json", eTag: "0123abcd" } },
      }],
    };
    const handler = handlerFor(b.env);
    const replaced = await handler(stale, lambdaContext("summarise-orders", "1024")) as Result;
    const deleted = await handler(
      event(b.source, "gone.json"),
      lambdaContext("summarise-orders", "1024"),
    ) as Result;
    assert.deepEqual([replaced.outcomes[0].reason, deleted.outcomes[0].reason], [
      "replaced since the event (ETag is no longer 0123abcd)",
      "deleted since the event",
    ]);
    assert.deepEqual(await b.outputKeys(), []);
  });
});

Deno.test("handler() writes the summaries of an event's S3 records next to one that is not, then fails naming it", async () => {
  await requireService("s3");
  await withBuckets(async (b) => {
    await b.put("orders.json", SAMPLE);
    const [valid] = event(b.source, "orders.json").Records;
    const { eventName: _, ...noEventName } = valid;
    await assert.rejects(
      handlerFor(b.env)(
        { Records: [{ eventSource: "aws:sqs", body: "hi" }, valid, noEventName] },
        lambdaContext("summarise-orders", "1024"),
      ),
      (err: Error) => {
        assert.match(
          err.message,
          /^Cannot read record 1 of the event as an S3 record as its eventSource is not aws:s3: \{"eventSource":"aws:sqs","body":"hi"\}; Cannot read record 3 of the event as an S3 record as it has no eventName: \{"eventSource"/,
        );
        return true;
      },
    );
    assert.deepEqual(await b.outputKeys(), ["summaries/orders.ndjson"], "the S3 record is written");
    const empty = await handlerFor(b.env)(
      { Records: [] },
      lambdaContext("summarise-orders", "1024"),
    );
    assert.deepEqual(empty, { outcomes: [] });
  });
});
