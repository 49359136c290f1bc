/**
 * Exercise 03 end to end, as `make demo` and `make ex03` run it: an S3
 * server that sends events (a throwaway versitygw), the relay, and the
 * function under the Lambda runtime interface emulator, writing to a fresh
 * table in DynamoDB Local. Uploads the sample files, shows each count, then
 * the failure paths: a repeated event, a broken file (retried, then kept), a
 * file that is not CSV. Progress on stderr; the last stdout line is the summary.
 *
 * @module
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { until } from "../../infra/testing.ts";
import { startS3Trigger } from "../../infra/lambda/s3_trigger.ts";
import { ensureBucket } from "../../infra/lambda/upload.ts";
import { readConfig } from "./config.ts";
import { createCountsTable, objectId } from "./store.ts";
import type { Result } from "./handler.ts";

const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const bucket = `demo-ex03-${stamp}`;
const table = `demo-ex03-${stamp}`;
const say = (line: string) => console.error(`03: ${line}`);
const failures: string[] = [];
const expect = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};
const samples = new URL("./samples/", import.meta.url);
const failedFile = await Deno.makeTempFile({ prefix: "ex03-failed-", suffix: ".jsonl" });

const config = readConfig({ ...Deno.env.toObject(), ROWS_TABLE: table });
const aws = { region: config.region, credentials: config.credentials };
const dynamodb = new DynamoDBClient({ ...aws, endpoint: config.dynamodbEndpoint });
await createCountsTable(dynamodb, table);
const trigger = await startS3Trigger("exercises/03/handler.handler", {
  image: "exercises/03/Dockerfile", // run from what the image would hold, read-only
  env: { ROWS_TABLE: table },
  name: "count-csv-rows",
  bucket,
  retryDelayMs: 200,
  failedFile,
  onDelivery: (d) =>
    say(
      `  invocation for ${d.key}: ${d.ok ? "ok" : "FAILED"} after ${d.attempts} attempt(s)${
        d.ok ? "" : `: ${d.error}`
      }`,
    ),
});
const s3 = new S3Client({ ...aws, endpoint: trigger.endpoint, forcePathStyle: true });
const rowsOf = async (key: string) => {
  const got = await dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: { object: { S: objectId(bucket, key) } },
      ConsistentRead: true,
    }),
  );
  return got.Item ? Number(got.Item.rows.N) : undefined;
};
const upload = async (key: string, body: Uint8Array) => {
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return put.ETag!.replaceAll('"', "");
};
const delivered = (n: number) =>
  until(() => trigger.relay.deliveries.length >= n, 30_000, `${n} invocations`);

const facts: string[] = [];
try {
  say(
    `S3 with events on ${trigger.endpoint}, bucket ${bucket}; function under the emulator; table ${table}`,
  );
  await ensureBucket(s3, bucket);

  // 1. The sample files, with the row counts a person would give them.
  const expected: Record<string, number> = {
    "orders.csv": 5,
    "uploads/tricky export (Excel).csv": 3,
    "header-only.csv": 0,
  };
  for (const [key, rows] of Object.entries(expected)) {
    const file = key.split("/").pop()!;
    say(`upload ${key} (${rows} rows by hand)`);
    await upload(key, await Deno.readFile(new URL(file, samples)));
  }
  await delivered(3);
  await trigger.relay.idle();
  for (const [key, rows] of Object.entries(expected)) {
    const stored = await rowsOf(key);
    say(`DynamoDB ${objectId(bucket, key)}: rows = ${stored}`);
    expect(stored === rows, `${key}: stored ${stored} rows, expected ${rows}`);
  }
  facts.push("3 uploads counted into DynamoDB (BOM, CRLF, quoted newline, header only)");

  // 2. The same event again (S3 delivers at least once): no second write.
  const etag = await upload("orders.csv", await Deno.readFile(new URL("orders.csv", samples)));
  await delivered(4);
  const again = await trigger.fn.invoke({
    Records: [{
      eventSource: "aws:s3",
      eventName: "ObjectCreated:Put",
      s3: { bucket: { name: bucket }, object: { key: "orders.csv", eTag: etag } },
    }],
  });
  const statuses = [trigger.relay.deliveries[3], again].map((d) =>
    "result" in d ? (d.result as Result).outcomes[0].status : "failed"
  );
  say(`same content uploaded again, then its event sent again: ${statuses.join(", ")}`);
  expect(statuses.every((s) => s === "duplicate"), `repeated events were ${statuses}`);
  facts.push("repeated events left the count alone");

  // 3. A broken file: the invocation fails, the relay retries twice, then keeps it.
  say("upload broken.csv (a quote that is never closed)");
  await upload("broken.csv", await Deno.readFile(new URL("broken.csv", samples)));
  await delivered(5);
  const broken = trigger.relay.deliveries[4];
  const kept = (await Deno.readTextFile(failedFile)).trim().split("\n").filter(Boolean);
  say(`failure file ${failedFile}: ${kept.length} event(s) kept, e.g.`);
  for (const line of kept) say(`  ${line.slice(0, 160)}…`);
  expect(!broken.ok && broken.attempts === 3, "the broken file failed 3 times");
  expect(
    broken.error?.includes("line 2 has a quote that is never closed") ?? false,
    "the reason names the line",
  );
  expect(kept.length === 1 && (await rowsOf("broken.csv")) === undefined, "kept, not stored");
  facts.push("broken.csv failed 3 times with its line and reason, kept in the failure file");

  // 4. A file that is not CSV: skipped with a log line, not an error.
  await upload("notes.txt", new TextEncoder().encode("hello\n"));
  await delivered(6);
  const skipped = (trigger.relay.deliveries[5].result as Result | undefined)?.outcomes[0];
  say(`notes.txt: ${skipped?.status} (${skipped?.reason})`);
  expect(skipped?.status === "skipped", "notes.txt skipped");
} catch (err) {
  failures.push((err as Error).message);
} finally {
  s3.destroy();
  await trigger.stop();
  await dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  dynamodb.destroy();
  await Deno.remove(failedFile).catch(() => undefined);
}

if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
console.log(`${facts.join("; ")}; notes.txt skipped`);
