/**
 * The local S3 trigger end to end (s3_trigger.ts): a throwaway versitygw
 * sends its events to the relay, which invokes a function under the real
 * emulator.
 */
import assert from "node:assert/strict";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { awsConfig } from "../env.ts";
import { uniqueName, until } from "../testing.ts";
import { decodeS3Key, type S3Event } from "./s3_event.ts";
import { type S3Relay, toAwsRecord } from "./s3_relay.ts";
import { startS3Trigger } from "./s3_trigger.ts";

async function withTrigger(
  handler: string,
  options: { suffixes?: string[]; retryDelayMs?: number; failedFile?: string },
  fn: (s3: S3Client, bucket: string, relay: S3Relay) => Promise<void>,
) {
  const bucket = uniqueName("relay-in");
  const trigger = await startS3Trigger(handler, { bucket, ...options });
  const s3 = new S3Client({ ...awsConfig(), endpoint: trigger.endpoint, forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await fn(s3, bucket, trigger.relay);
  } finally {
    s3.destroy();
    await trigger.stop();
  }
}

Deno.test("startS3Relay() invokes the function with AWS-shaped events for its bucket only", async () => {
  await withTrigger(
    "infra/lambda/testdata/echo.echo",
    { suffixes: [".csv"] },
    async (s3, bucket, relay) => {
      const other = uniqueName("relay-other");
      await s3.send(new CreateBucketCommand({ Bucket: other }));
      await s3.send(new PutObjectCommand({ Bucket: other, Key: "x.csv", Body: "a\n" }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "notes.txt", Body: "a\n" }));
      const keys = ["in/my file+v2 (1).csv", "données/été.csv"];
      const etags = new Map<string, string>();
      for (const key of keys) {
        const put = await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: "a,b\n1,2\n" }),
        );
        etags.set(key, put.ETag!.replaceAll('"', ""));
      }
      await until(() => relay.deliveries.length >= 2, 10_000, "2 deliveries");
      await new Promise((resolve) => setTimeout(resolve, 300)); // a stray event would arrive by now
      await relay.idle();
      assert.equal(relay.deliveries.length, 2, JSON.stringify(relay.deliveries));
      for (const delivery of relay.deliveries) {
        assert.ok(delivery.ok && delivery.attempts === 1, JSON.stringify(delivery));
        const event = (delivery.result as { event: S3Event }).event;
        assert.equal(event.Records.length, 1);
        const [record] = event.Records;
        assert.equal(record.eventName, "ObjectCreated:Put");
        assert.equal(record.s3.bucket.name, bucket);
        assert.equal(record.s3.bucket.arn, `arn:aws:s3:::${bucket}`);
        assert.doesNotMatch(
          record.s3.object.key,
          /[ ()é]/,
          "the key is URL-encoded, as AWS sends it",
        );
        const key = decodeS3Key(record.s3.object.key);
        assert.equal(record.s3.object.eTag, etags.get(key), `the ETag of ${key}, unquoted`);
      }
      assert.deepEqual(
        relay.deliveries.map((d) => d.key).toSorted(),
        keys.toSorted(),
      );
    },
  );
});

Deno.test("startS3Relay() retries a failing function twice, then keeps the event in the failure file", async () => {
  const failedFile = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await withTrigger(
      "infra/lambda/testdata/echo.fail",
      { retryDelayMs: 100, failedFile },
      async (s3, bucket, relay) => {
        const started = performance.now();
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "bad.csv", Body: "x" }));
        await until(() => relay.deliveries.length === 1, 10_000, "the delivery to give up");
        const elapsed = performance.now() - started;
        const [delivery] = relay.deliveries;
        assert.equal(delivery.ok, false);
        assert.equal(delivery.attempts, 3, "the first try and 2 retries, as Lambda");
        assert.ok(elapsed >= 300, `retries wait 100 then 200 ms: took ${elapsed} ms`);
        assert.equal(delivery.error, "RangeError: Cannot handle it: asked to fail");
        const lines = (await Deno.readTextFile(failedFile)).trim().split("\n");
        assert.equal(lines.length, 1);
        const kept = JSON.parse(lines[0]);
        assert.equal(kept.key, "bad.csv");
        assert.equal(kept.event.Records[0].s3.object.key, "bad.csv");
        assert.match(kept.failed_at, /^\d{4}-\d\d-\d\dT/);
      },
    );
  } finally {
    await Deno.remove(failedFile);
  }
});

Deno.test("startS3Relay() keeps delivering when the failure file cannot be written", async () => {
  await withTrigger(
    "infra/lambda/testdata/echo.fail",
    { retryDelayMs: 10, failedFile: "/nonexistent-dir/failed.jsonl" },
    async (s3, bucket, relay) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "one.csv", Body: "x" }));
      await until(() => relay.deliveries.length === 1, 10_000, "the first delivery to end");
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "two.csv", Body: "x" }));
      await until(() => relay.deliveries.length === 2, 10_000, "the second delivery to end");
      assert.deepEqual(relay.deliveries.map((d) => [d.key, d.attempts]), [["one.csv", 3], [
        "two.csv",
        3,
      ]]);
    },
  );
});

Deno.test("toAwsRecord() passes a key ending in any of the suffixes, as one S3 notification per suffix does", () => {
  const record = (key: string) => ({
    eventSource: "aws:s3",
    eventName: "s3:ObjectCreated:Put",
    s3: { bucket: { name: "in" }, object: { key, eTag: '"e1"' } },
  });
  const suffixes = [".json", ".ndjson", ".jsonl"];
  const passed = ["a.json", "b.ndjson", "c.jsonl", "d.txt", "e.JSON", "f.json.gz", "g"]
    .filter((key) => toAwsRecord(record(key), { eventPrefix: "ObjectCreated:", suffixes }));
  assert.deepEqual(passed, ["a.json", "b.ndjson", "c.jsonl"]);
  for (const none of [undefined, []]) {
    assert.ok(toAwsRecord(record("d.txt"), { eventPrefix: "ObjectCreated:", suffixes: none }));
  }
});
