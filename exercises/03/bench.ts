/**
 * `make bench` for exercise 03: a large CSV (default 1 GiB; BENCH_CSV_MB sets
 * it) counted end to end (upload → event → relay → function under the
 * emulator → DynamoDB), and `countRows()` alone on the local file, against
 * `wc -l` and Python's csv module counting the same file in the same run.
 * Peak memory of the function's runtime process shows the count streams: it
 * stays flat whatever the file size.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { check, measure, report } from "../../infra/bench/measure.ts";
import { until } from "../../infra/testing.ts";
import { startS3Trigger } from "../../infra/lambda/s3_trigger.ts";
import { runtimeMemory, startFunction } from "../../infra/lambda/emulator.ts";
import { ensureBucket } from "../../infra/lambda/upload.ts";
import { readConfig } from "./config.ts";
import { countRows } from "./csv_rows.ts";
import { createCountsTable, objectId } from "./store.ts";

const MB = Number(Deno.env.get("BENCH_CSV_MB") ?? 1024);
const say = (line: string) => console.error(line);

/** Writes ~`mb` MiB of orders CSV with quoted commas, quotes and (every 1000th row) a quoted newline. */
async function writeCsv(path: string, mb: number): Promise<{ rows: number; lines: number }> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const target = mb * 1024 * 1024;
  let bytes = 0, rows = 0, lines = 1;
  try {
    const header = "order_id,customer_id,customer_name,amount,note,created_at\n";
    bytes += await file.write(encoder.encode(header));
    while (bytes < target) {
      let chunk = "";
      for (let i = 0; i < 10_000; i++, rows++) {
        const note = rows % 1000 === 0
          ? '"gift, wrap\nit"'
          : rows % 7 === 0
          ? '"say ""hi"""'
          : "none";
        if (rows % 1000 === 0) lines++;
        chunk += `o-${rows},c-${rows % 5000},"Sharma, Priya",${
          (rows % 100000) / 4
        },${note},2026-11-30T09:15:00Z\n`;
        lines++;
      }
      const data = encoder.encode(chunk);
      for (let n = 0; n < data.length;) n += await file.write(data.subarray(n));
      bytes += data.length;
    }
  } finally {
    file.close();
  }
  return { rows, lines };
}

const dir = await Deno.makeTempDir({ prefix: "bench-ex03-" });
const path = `${dir}/orders.csv`;
const stamp = Date.now();
const bucket = `bench-ex03-${stamp}`;
const table = `bench-ex03-${stamp}`;
const config = readConfig({ ...Deno.env.toObject(), ROWS_TABLE: table });
const aws = { region: config.region, credentials: config.credentials };
const dynamodb = new DynamoDBClient({ ...aws, endpoint: config.dynamodbEndpoint });
let trigger: Awaited<ReturnType<typeof startS3Trigger>> | undefined;
let s3: S3Client | undefined;
try {
  say(`writing a ${MB} MiB CSV to ${path}`);
  const { rows, lines } = await writeCsv(path, MB);
  const size = (await Deno.stat(path)).size;
  const mb = size / 1024 / 1024;
  say(`${rows} rows on ${lines} lines, ${mb.toFixed(0)} MiB`);

  // References, on the same file.
  const wc = check(await measure("wc", ["-l", path]), "wc -l");
  const python = check(
    await measure("python3", [
      "-c",
      "import csv,sys\nwith open(sys.argv[1], newline='', encoding='utf-8-sig') as f:\n" +
      "    print(sum(1 for _ in csv.reader(f)) - 1)",
      path,
    ]),
    "python3 csv",
  );
  if (Number(python.stdout[0]) !== rows) {
    throw new Error(`python counted ${python.stdout[0]}, expected ${rows}`);
  }
  say(
    `wc -l: ${wc.seconds.toFixed(2)} s (${wc.stdout[0].trim().split(" ")[0]} lines, not rows); ` +
      `python csv: ${python.seconds.toFixed(2)} s, ${python.peakMb} MB peak`,
  );

  // countRows() alone, in this process, on the local file.
  let started = performance.now();
  const local = await countRows((await Deno.open(path)).readable);
  const localSeconds = (performance.now() - started) / 1000;
  if (local.rows !== rows) throw new Error(`countRows() counted ${local.rows}, expected ${rows}`);
  say(`countRows() on the local file: ${localSeconds.toFixed(2)} s`);

  // End to end: upload, event, relay, function under the emulator, DynamoDB.
  await createCountsTable(dynamodb, table);
  trigger = await startS3Trigger("exercises/03/handler.handler", {
    image: "exercises/03/Dockerfile",
    env: { ROWS_TABLE: table },
    bucket,
    retries: 0,
    timeoutSeconds: 900,
  });
  s3 = new S3Client({ ...aws, endpoint: trigger.endpoint, forcePathStyle: true });
  await ensureBucket(s3, bucket);
  await trigger.fn.invoke({ Records: [] }); // cold start outside the timing
  const baseline = runtimeMemory(trigger.fn).peakMb;

  // Constant memory: a fresh function counts a file 1/16 the size first.
  const smallPath = `${dir}/small.csv`;
  const small = await writeCsv(smallPath, Math.max(1, Math.round(MB / 16)));
  const smallMb = (await Deno.stat(smallPath)).size / 1024 / 1024;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "small.csv",
      Body: await Deno.readFile(smallPath),
    }),
  );
  await until(() => trigger!.relay.deliveries.length === 1, 300_000, "the small file", 100);
  const smallFn = await startFunction("exercises/03/handler.handler", {
    image: "exercises/03/Dockerfile",
    env: { ROWS_TABLE: table, S3_ENDPOINT: trigger.endpoint },
    timeoutSeconds: 900,
  });
  let smallPeak = 0;
  try {
    const counted = await smallFn.invoke({
      Records: [{
        eventSource: "aws:s3",
        eventName: "ObjectCreated:Put",
        s3: { bucket: { name: bucket }, object: { key: "small.csv" } },
      }],
    });
    if (!counted.ok) throw new Error(`the small file failed: ${counted.error.errorMessage}`);
    smallPeak = runtimeMemory(smallFn).peakMb;
  } finally {
    await smallFn.stop();
  }
  say(
    `a fresh function counting ${
      smallMb.toFixed(0)
    } MiB (${small.rows} rows): peak RSS ${smallPeak} MB`,
  );
  say(`uploading to the S3 server (events on)`);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "orders.csv",
      Body: createReadStream(path),
      ContentLength: size,
    }),
  );
  started = performance.now();
  await until(() => trigger!.relay.deliveries.length === 2, 900_000, "the invocation", 100);
  const delivery = trigger.relay.deliveries[1];
  if (!delivery.ok) throw new Error(`the invocation failed: ${delivery.error}`);
  const e2eSeconds = (performance.now() - started) / 1000;
  const item = await dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: { object: { S: objectId(bucket, "orders.csv") } },
    }),
  );
  if (Number(item.Item?.rows.N) !== rows) {
    throw new Error(`DynamoDB holds ${item.Item?.rows.N} rows`);
  }
  const peak = runtimeMemory(trigger.fn).peakMb;
  say(
    `event → count in DynamoDB: ${e2eSeconds.toFixed(2)} s; function peak RSS ${peak} MB ` +
      `(${baseline} MB after an empty invocation) for a ${mb.toFixed(0)} MiB file`,
  );

  const row = { exercise: "03" };
  report({
    ...row,
    metric: `count a ${mb.toFixed(0)} MiB CSV end to end (event → DynamoDB)`,
    unit: "MB/s",
    ours: mb / e2eSeconds,
    reference: mb / python.seconds,
    referenceTool: "python3 csv.reader",
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: "countRows() alone, local file",
    unit: "MB/s",
    ours: mb / localSeconds,
    reference: mb / python.seconds,
    referenceTool: "python3 csv.reader",
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: "countRows() alone, local file",
    unit: "rows/s",
    ours: rows / localSeconds,
    reference: rows / python.seconds,
    referenceTool: "python3 csv.reader",
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: "countRows() alone vs counting lines",
    unit: "MB/s",
    ours: mb / localSeconds,
    reference: mb / wc.seconds,
    referenceTool: "wc -l (lines, not rows)",
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: `function peak RSS counting ${mb.toFixed(0)} MiB`,
    unit: "MB",
    ours: peak,
    reference: python.peakMb,
    referenceTool: "python3 csv.reader",
    higherIsBetter: false,
  });
  report({
    ...row,
    metric: `function peak RSS: ${mb.toFixed(0)} MiB file vs ${smallMb.toFixed(0)} MiB`,
    unit: "MB",
    ours: peak,
    reference: smallPeak,
    referenceTool: "same function, a file 1/16 the size",
    higherIsBetter: false,
  });
} finally {
  s3?.destroy();
  await trigger?.stop();
  await dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  dynamodb.destroy();
  await Deno.remove(dir, { recursive: true });
}
