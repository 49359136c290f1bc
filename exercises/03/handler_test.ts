/**
 * The handler called in process with AWS-shaped events (keys URL-encoded as
 * AWS sends them; the local S3 server does not encode them), against the
 * real S3 server and DynamoDB Local.
 */
import assert from "node:assert/strict";
import { lambdaContext, requireService } from "../../infra/testing.ts";
import { readConfig } from "./config.ts";
import { createHandler, type Result } from "./handler.ts";
import { s3Event, TRICKY, withFixture } from "./_testing.ts";

async function services() {
  await requireService("s3");
  await requireService("dynamodb");
}

const handlerFor = (env: Record<string, string>) =>
  createHandler(readConfig({ ...Deno.env.toObject(), ...env }));

Deno.test("handler() counts the rows of every record's file, tricky files included", async () => {
  await services();
  await withFixture(async (f) => {
    const objects = [];
    for (const file of TRICKY) {
      objects.push({ key: file.key, etag: await f.put(file.key, file.body) });
    }
    const result = await handlerFor(f.env)(
      s3Event(f.bucket, objects),
      lambdaContext("count-csv-rows"),
    ) as Result;
    assert.deepEqual(
      result.outcomes.map((o) => [o.key, o.status, o.count?.rows]),
      TRICKY.map((file) => [file.key, "counted", file.rows]),
    );
    for (const [i, file] of TRICKY.entries()) {
      const item = await f.item(file.key);
      assert.equal(item?.rows, file.rows, `${file.name}: ${JSON.stringify(item)}`);
      assert.equal(item?.etag, objects[i].etag);
      assert.equal(item?.key, file.key, "the decoded key is stored");
      assert.equal(item?.bytes, new TextEncoder().encode(file.body).length);
    }
  });
});

Deno.test("handler() leaves one item with the same count when an event comes twice", async () => {
  await services();
  await withFixture(async (f) => {
    const etag = await f.put("twice.csv", "id\n1\n2\n");
    const event = s3Event(f.bucket, [{ key: "twice.csv", etag }]);
    const handler = handlerFor(f.env);
    const first = await handler(event, lambdaContext("count-csv-rows")) as Result;
    const stored = await f.item("twice.csv");
    const second = await handler(event, lambdaContext("count-csv-rows")) as Result;
    assert.equal(first.outcomes[0].status, "counted");
    assert.equal(second.outcomes[0].status, "duplicate");
    assert.deepEqual(await f.item("twice.csv"), stored, "the item is untouched, not incremented");
    assert.equal(stored?.rows, 2);

    // A new upload under the same key is a new version: its count replaces the old one.
    const etag2 = await f.put("twice.csv", "id\n1\n2\n3\n");
    const third = await handler(
      s3Event(f.bucket, [{ key: "twice.csv", etag: etag2 }]),
      lambdaContext("count-csv-rows"),
    ) as Result;
    assert.equal(third.outcomes[0].status, "counted");
    assert.deepEqual([(await f.item("twice.csv"))?.rows, (await f.item("twice.csv"))?.etag], [
      3,
      etag2,
    ]);
  });
});

Deno.test("handler() skips a stale event whose upload was replaced, and counts without an ETag", async () => {
  await services();
  await withFixture(async (f) => {
    const old = await f.put("data.csv", "id\n1\n");
    await f.put("data.csv", "id\n1\n2\n3\n4\n");
    const handler = handlerFor(f.env);
    const stale = await handler(
      s3Event(f.bucket, [{ key: "data.csv", etag: old }]),
      lambdaContext("count-csv-rows"),
    ) as Result;
    assert.equal(stale.outcomes[0].status, "skipped");
    assert.match(stale.outcomes[0].reason!, /replaced since the event/);
    assert.equal(await f.item("data.csv"), undefined, "the stale version is not stored");
    const noEtag = await handler(
      s3Event(f.bucket, [{ key: "data.csv" }]),
      lambdaContext("count-csv-rows"),
    ) as Result;
    assert.equal(noEtag.outcomes[0].count?.rows, 4);
  });
});

Deno.test("handler() skips non-CSV keys, removals and deleted files, saying why", async () => {
  await services();
  await withFixture(async (f) => {
    const event = s3Event(f.bucket, [
      { key: "notes.txt" },
      { key: "gone.csv", eventName: "ObjectRemoved:Delete" },
      { key: "never-uploaded.csv" },
    ]);
    const result = await handlerFor(f.env)(event, lambdaContext("count-csv-rows")) as Result;
    assert.deepEqual(result.outcomes.map((o) => [o.status, o.reason]), [
      ["skipped", "not a .csv key"],
      ["skipped", "event ObjectRemoved:Delete is not an upload"],
      ["skipped", "deleted since the event"],
    ]);
  });
});

Deno.test("handler() fails the invocation naming the broken file, after counting the good ones", async () => {
  await services();
  await withFixture(async (f) => {
    const good = await f.put("good.csv", "id\n1\n");
    const bad = await f.put("in/bad file.csv", 'id,name\n1,"never closed\n2,b\n');
    const ragged = await f.put("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    const event = s3Event(f.bucket, [
      { key: "in/bad file.csv", etag: bad },
      { key: "good.csv", etag: good },
      { key: "ragged.csv", etag: ragged },
    ]);
    await assert.rejects(
      handlerFor(f.env)(event, lambdaContext("count-csv-rows")),
      (err: Error) => {
        assert.match(
          err.message,
          new RegExp(
            `^Cannot count rows of s3://${f.bucket}/in/bad file\\.csv: line 2 has a quote that is never closed; ` +
              `Cannot count rows of s3://${f.bucket}/ragged\\.csv: line 3 has 2 fields, the header has 3$`,
          ),
        );
        return true;
      },
    );
    assert.equal((await f.item("good.csv"))?.rows, 1, "the good file in the same event is counted");
    assert.equal(await f.item("in/bad file.csv"), undefined);
  });
});

Deno.test("handler() rejects an event that is not from S3", async () => {
  await services();
  await withFixture(async (f) => {
    await assert.rejects(
      handlerFor(f.env)({ hello: "world" }, lambdaContext("count-csv-rows")),
      /no Records array/,
    );
  });
});

Deno.test("handler() counts the S3 records of an event next to one that is not, then fails naming it", async () => {
  await services();
  await withFixture(async (f) => {
    const etag = await f.put("good.csv", "id\n1\n2\n");
    const valid = (s3Event(f.bucket, [{ key: "good.csv", etag }]) as { Records: unknown[] })
      .Records[0] as Record<string, unknown>;
    const { eventName: _, ...noEventName } = valid;
    await assert.rejects(
      handlerFor(f.env)(
        { Records: [{ eventSource: "aws:sqs", body: "hi" }, valid, noEventName] },
        lambdaContext("count-csv-rows"),
      ),
      (err: Error) => {
        assert.match(
          err.message,
          /^Cannot read record 1 of the event as an S3 record as its eventSource is not aws:s3: \{"eventSource":"aws:sqs","body":"hi"\}; Cannot read record 3 of the event as an S3 record as it has no eventName: \{"eventVersion"/,
        );
        return true;
      },
    );
    assert.equal((await f.item("good.csv"))?.rows, 2, "the S3 record is counted");
  });
});

Deno.test("handler() succeeds on an event with no records, counting nothing", async () => {
  await services();
  await withFixture(async (f) => {
    const result = await handlerFor(f.env)({ Records: [] }, lambdaContext("count-csv-rows"));
    assert.deepEqual(result, { outcomes: [] });
  });
});

Deno.test("handler() fails a .csv upload that is compressed or binary, saying what it looks like", async () => {
  await services();
  await withFixture(async (f) => {
    const text = new TextEncoder().encode("id,name\n1,a\n2,b\n");
    const gzip = new Uint8Array(
      await new Response(
        ReadableStream.from([text]).pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    const binary = Uint8Array.from([...text.subarray(0, 11), 0, 0x8f, 0x10, 0x0a]);
    const objects = [
      { key: "orders.csv", etag: await f.put("orders.csv", gzip) },
      { key: "image.csv", etag: await f.put("image.csv", binary) },
      { key: "good.csv", etag: await f.put("good.csv", text) },
    ];
    await assert.rejects(
      handlerFor(f.env)(s3Event(f.bucket, objects), lambdaContext("count-csv-rows")),
      {
        message: `Cannot count rows of s3://${f.bucket}/orders.csv: the file is gzip-compressed ` +
          "data, not CSV text (it starts with 1f 8b 08 00): upload it decompressed; " +
          `Cannot count rows of s3://${f.bucket}/image.csv: line 2 has a NUL byte at byte offset ` +
          "11: the file is binary (or UTF-16 without a BOM), not CSV text",
      },
    );
    assert.equal(await f.item("orders.csv"), undefined, "no count is stored for it");
    assert.equal(await f.item("image.csv"), undefined);
    assert.equal((await f.item("good.csv"))?.rows, 2);
  });
});
