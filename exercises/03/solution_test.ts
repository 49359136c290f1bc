/**
 * solution.ts copied alone into an empty folder and run there as a Lambda
 * function under the emulator, on the project's Deno runtime: the task root
 * holds that one file and the runtime (no deno.json, no import map, no
 * lockfile), as a learner's own function would. Against the real S3 server
 * and DynamoDB Local.
 */
import assert from "node:assert/strict";
import { requireService, uniqueName, until } from "../../infra/testing.ts";
import { startFunction } from "../../infra/lambda/emulator.ts";
import { startS3Trigger } from "../../infra/lambda/s3_trigger.ts";
import { copyAloneTaskRoot } from "../../infra/lambda/task_root.ts";
import { s3Event, TRICKY, withFixture } from "./_testing.ts";

const SOLUTION = "exercises/03/solution.ts";

Deno.test("solution.ts handler(), copied alone, stores each upload's row count in DynamoDB", async () => {
  await requireService("dynamodb");
  const { image, remove } = await copyAloneTaskRoot(SOLUTION);
  const table = uniqueName("test-rows");
  const trigger = await startS3Trigger("solution.handler", { env: { ROWS_TABLE: table }, image });
  try {
    await withFixture(async (f) => {
      // Quoted newlines, CRLF, a BOM, header only, empty, a key with spaces, '+' and é.
      for (const file of TRICKY) await f.put(file.key, file.body);
      await until(() => trigger.relay.deliveries.length >= TRICKY.length, 30_000, "the uploads");
      for (const delivery of trigger.relay.deliveries) {
        assert.ok(delivery.ok && delivery.attempts === 1, JSON.stringify(delivery));
      }
      for (const file of TRICKY) {
        const item = await f.item(file.key);
        assert.equal(item?.rows, file.rows, `${file.name} (${file.key}): ${JSON.stringify(item)}`);
      }
    }, { s3Endpoint: trigger.endpoint, table });
  } finally {
    await trigger.stop();
    await remove();
  }
});

Deno.test("solution.ts handler() fails the invocation on a bad file, naming it, and counts the rest", async () => {
  await requireService("dynamodb");
  const { image, remove } = await copyAloneTaskRoot(SOLUTION);
  await withFixture(async (f) => {
    const fn = await startFunction("solution.handler", { env: f.env, image });
    try {
      await f.put("in/bad quote.csv", 'id,name\n1,"never closed\n2,b\n');
      await f.put("too many.csv", "id,name\n1,a\n2,b,c\n");
      await f.put("good.csv", "id,name\n1,a\n2,b\n");
      const keys = ["in/bad quote.csv", "good.csv", "too many.csv"];
      const failed = await fn.invoke(s3Event(f.bucket, keys.map((key) => ({ key }))));
      assert.equal(failed.ok, false, JSON.stringify(failed));
      const message = failed.ok ? "" : failed.error.errorMessage;
      assert.match(message, new RegExp(`Cannot count rows of s3://${f.bucket}/in/bad quote.csv: `));
      assert.match(message, new RegExp(`Cannot count rows of s3://${f.bucket}/too many.csv: `));
      assert.equal(await f.item("in/bad quote.csv"), undefined);
      assert.equal(await f.item("too many.csv"), undefined);
      assert.equal((await f.item("good.csv"))?.rows, 2);
    } finally {
      await fn.stop();
      await remove();
    }
  });
});

/**
 * Runs `check` with the copied-alone function (no ROWS_TABLE, so it logs its
 * counts), the fixture event pointed at a fresh bucket, and the fixture's
 * sample uploaded there under the event's key.
 */
async function withFixtureEvent(
  check: (
    fn: Awaited<ReturnType<typeof startFunction>>,
    event: { Records: Record<string, unknown>[] },
    etag: string,
  ) => Promise<void>,
): Promise<void> {
  await requireService("dynamodb"); // the fixture makes a table, unused here
  const { image, remove } = await copyAloneTaskRoot(SOLUTION);
  const event = JSON.parse(
    await Deno.readTextFile(new URL("./events/s3-put.json", import.meta.url)),
  );
  const sample = await Deno.readFile(
    new URL("./samples/tricky export (Excel).csv", import.meta.url),
  );
  await withFixture(async (f) => {
    const fn = await startFunction("solution.handler", {
      env: { S3_ENDPOINT: f.env.S3_ENDPOINT },
      image,
    });
    try {
      const etag = await f.put("tricky export (Excel).csv", sample);
      event.Records[0].s3.bucket.name = f.bucket;
      await check(fn, event, etag);
    } finally {
      await fn.stop();
      await remove();
    }
  });
}

/** The JSON line the function logged with a row count. */
function countLine(fn: Awaited<ReturnType<typeof startFunction>>) {
  const line = fn.logs.lines.find((l) => l.startsWith("{") && l.includes('"rows"'));
  assert.ok(line, `no count was logged:\n${fn.logs.tail()}`);
  return JSON.parse(line);
}

Deno.test("events/s3-put.json drives solution.ts handler(), which logs the count with no ROWS_TABLE", async () => {
  await withFixtureEvent(async (fn, event, etag) => {
    const [record] = event.Records as { s3: { object: { key: string; eTag: string } } }[];
    // The key as AWS sends it: URL-encoded, a space as '+'.
    assert.equal(record.s3.object.key, "tricky+export+%28Excel%29.csv");
    assert.equal(record.s3.object.eTag, etag, "the fixture's eTag is the sample's");
    const invoked = await fn.invoke(event);
    assert.ok(invoked.ok, JSON.stringify(invoked));
    const logged = countLine(fn);
    assert.equal(logged.key, "tricky export (Excel).csv");
    assert.equal(logged.rows, 3); // a BOM, CRLF and a quoted newline: 3 rows, not 4 lines
  });
});

Deno.test("solution.ts handler() counts the S3 records of an event that also holds one that is not", async () => {
  await withFixtureEvent(async (fn, event) => {
    // First an SQS record, then one with no eventName: neither may stop the S3 record.
    event.Records = [{ eventSource: "aws:sqs", body: "x" }, { s3: {} }, event.Records[0]];
    const invoked = await fn.invoke(event);
    assert.ok(!invoked.ok, "the invocation fails, for the two records it could not use");
    assert.match(JSON.stringify(invoked), /record 0.*record 1/);
    assert.equal(countLine(fn).rows, 3, "the S3 record was counted");
  });
});
