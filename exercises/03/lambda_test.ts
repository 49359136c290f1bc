/**
 * Exercise 03 as it runs in AWS, locally: an upload to the S3 server sends
 * an event, the relay invokes the function under the runtime interface
 * emulator (the Deno runtime of infra/lambda), and the count lands in
 * DynamoDB Local.
 */
import assert from "node:assert/strict";
import { requireService, uniqueName, until } from "../../infra/testing.ts";
import { startS3Trigger } from "../../infra/lambda/s3_trigger.ts";
import { startFunction } from "../../infra/lambda/emulator.ts";
import { s3Event, TRICKY, withFixture } from "./_testing.ts";

const HANDLER = "exercises/03/handler.handler";

Deno.test("an upload is counted into DynamoDB through the event, relay and emulator", async () => {
  await requireService("dynamodb");
  const table = uniqueName("test-rows");
  // image: the function runs from the task root its Dockerfile builds, read-only, as in Lambda.
  const trigger = await startS3Trigger(HANDLER, {
    env: { ROWS_TABLE: table },
    image: "exercises/03/Dockerfile",
  });
  try {
    await withFixture(async (f) => {
      for (const file of TRICKY) await f.put(file.key, file.body);
      await until(
        () => trigger.relay.deliveries.length >= TRICKY.length,
        30_000,
        `${TRICKY.length} invocations`,
      );
      for (const delivery of trigger.relay.deliveries) {
        assert.ok(delivery.ok && delivery.attempts === 1, JSON.stringify(delivery));
      }
      for (const file of TRICKY) {
        const item = await f.item(file.key);
        assert.equal(item?.rows, file.rows, `${file.name} (${file.key}): ${JSON.stringify(item)}`);
      }

      // The same event again, as S3 or Lambda may deliver it: no second write.
      const before = await f.item(TRICKY[0].key);
      const again = await trigger.fn.invoke(
        s3Event(f.bucket, [{ key: TRICKY[0].key, etag: String(before?.etag) }]),
      );
      assert.ok(again.ok, JSON.stringify(again));
      assert.equal(
        (again.result as { outcomes: { status: string }[] }).outcomes[0].status,
        "duplicate",
      );
      assert.deepEqual(await f.item(TRICKY[0].key), before);
    }, { s3Endpoint: trigger.endpoint, table });
  } finally {
    await trigger.stop();
  }
});

Deno.test("a broken upload fails the invocation, is retried, and is kept with its reason", async () => {
  await requireService("dynamodb");
  const table = uniqueName("test-rows");
  const failedFile = await Deno.makeTempFile({ suffix: ".jsonl" });
  const trigger = await startS3Trigger(HANDLER, {
    env: { ROWS_TABLE: table },
    image: "exercises/03/Dockerfile",
    retryDelayMs: 50,
    failedFile,
  });
  try {
    await withFixture(async (f) => {
      await f.put("broken.csv", 'id,name\n1,"oops\n');
      await until(() => trigger.relay.deliveries.length === 1, 30_000, "the delivery to end");
      const [delivery] = trigger.relay.deliveries;
      assert.equal(delivery.ok, false);
      assert.equal(delivery.attempts, 3);
      assert.equal(
        delivery.error,
        `Error: Cannot count rows of s3://${f.bucket}/broken.csv: line 2 has a quote that is never closed`,
      );
      const kept = JSON.parse((await Deno.readTextFile(failedFile)).trim());
      assert.equal(kept.key, "broken.csv");
      assert.equal(await f.item("broken.csv"), undefined);
      assert.ok(
        trigger.fn.logs.lines.some((line) =>
          line.includes('"message":"failed"') && line.includes("broken.csv")
        ),
        "the function logged the failure",
      );
    }, { s3Endpoint: trigger.endpoint, table });
  } finally {
    await trigger.stop();
    await Deno.remove(failedFile);
  }
});

Deno.test("with no ROWS_TABLE the count is written as a JSON log line", async () => {
  await requireService("dynamodb"); // the fixture makes a table, unused here
  const trigger = await startS3Trigger(HANDLER, { image: "exercises/03/Dockerfile" });
  try {
    await withFixture(async (f) => {
      const etag = await f.put("logged.csv", "a,b\n1,2\n3,4\n");
      await until(() => trigger.relay.deliveries.length === 1, 30_000, "the invocation");
      assert.ok(trigger.relay.deliveries[0].ok, JSON.stringify(trigger.relay.deliveries[0]));
      const line = trigger.fn.logs.lines.find((l) => l.startsWith("{") && l.includes('"counted"'));
      assert.ok(line, trigger.fn.logs.tail());
      const logged = JSON.parse(line);
      assert.equal(logged.key, "logged.csv");
      assert.equal(logged.count.rows, 2);
      assert.equal(logged.count.etag, etag);
    }, { s3Endpoint: trigger.endpoint });
  } finally {
    await trigger.stop();
  }
});

Deno.test("a bad setting fails the function's start-up, naming the variable", async () => {
  const fn = await startFunction(HANDLER, {
    env: { ROWS_TABLE: "no spaces allowed" },
    image: "exercises/03/Dockerfile",
  });
  try {
    const failed = await fn.invoke({ Records: [] });
    assert.equal(failed.ok, false);
    assert.match(
      !failed.ok ? failed.error.errorMessage : "",
      /^Cannot use 'ROWS_TABLE' as it is not a DynamoDB table name .*"no spaces allowed"$/,
    );
  } finally {
    await fn.stop();
  }
});
