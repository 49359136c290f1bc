/**
 * `make bench` for exercise 03: a large CSV (default 1 GiB; BENCH_CSV_MB sets
 * it) counted end to end (upload → event → relay → function under the
 * emulator → DynamoDB), and `countRows()` alone on the local file, against
 * `wc -l`, Python's csv module, DuckDB (`SET threads=1`), pandas and Polars
 * (`POLARS_MAX_THREADS=1`) counting the same file in the same run, every
 * count checked equal first. Peak memory of the function's runtime process
 * shows the count streams: it stays flat whatever the file size.
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
const ROUNDS = 3;
const say = (line: string) => console.error(line);

/**
 * The Python peers: `python -c PYTHON_COUNT <peer> <path>` prints the data
 * rows and the seconds the count took (imports not included).
 */
const PEERS = {
  csv: "python3 csv.reader",
  duckdb: "DuckDB count(*), threads=1",
  pandas: "pandas read_csv (C engine, 1M-row chunks)",
  polars: "Polars scan_csv count, 1 thread (nodejs-polars)",
};
type Peer = keyof typeof PEERS;
const PYTHON_COUNT = `
import sys, time
peer, path = sys.argv[1], sys.argv[2]
if peer == "csv":
    import csv
    def count():
        with open(path, newline="", encoding="utf-8-sig") as f:
            return sum(1 for _ in csv.reader(f)) - 1
elif peer == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads=1")
    def count():
        return con.execute("SELECT count(*) FROM read_csv(?, header=true)", [path]).fetchone()[0]
elif peer == "pandas":
    import pandas as pd
    def count():
        chunks = pd.read_csv(path, usecols=["amount"], chunksize=1_000_000)
        return sum(len(chunk) for chunk in chunks)
started = time.perf_counter()
rows = count()
print(rows, time.perf_counter() - started)
`;
/** The Polars peer, run by `deno eval` (the exercises' nodejs-polars): prints rows and seconds. */
const POLARS_COUNT = `
import pl from "nodejs-polars";
const started = performance.now();
const rows = pl.scanCSV(Deno.args[0]).select(pl.len()).collectSync().getColumn("len").get(0);
console.log(rows, (performance.now() - started) / 1000);
`;

/** The venv python with the bench stack (infra/bench/python/env.sh installs it once). */
async function benchPython(): Promise<string> {
  const env = await new Deno.Command("infra/bench/python/env.sh", { stderr: "inherit" }).output();
  if (!env.success) throw new Error("infra/bench/python/env.sh failed");
  return new TextDecoder().decode(env.stdout).trim();
}

/**
 * A file read into one 1 MiB buffer over and over, as the Python and DuckDB
 * readers do (countRows() keeps no chunk past the next read). Deno's
 * `FsFile.readable` allocates each 64 KiB chunk, and its stream machinery
 * costs about as much as the count itself (its own row, and the README).
 */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(1024 * 1024);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) return;
    yield buffer.subarray(0, n);
  }
}

/** Seconds countRows() takes over `source`, which must hold `rows` data rows. */
async function timeCountRows(source: AsyncIterable<Uint8Array>, rows: number): Promise<number> {
  const started = performance.now();
  const counted = await countRows(source);
  const seconds = (performance.now() - started) / 1000;
  if (counted.rows !== rows) {
    throw new Error(`countRows() counted ${counted.rows}, expected ${rows}`);
  }
  return seconds;
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

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

  // countRows() and the reference tools, each in its own round of every
  // tool in turn (so a burst of load on this shared machine hits them all),
  // each timing only its count, not its start-up; medians of ROUNDS.
  const python = await benchPython();
  const peers = Object.keys(PEERS) as Peer[];
  const times: Record<string, number[]> = { ours: [], oursReadable: [], wc: [] };
  for (const peer of peers) times[peer] = [];
  let pythonPeakMb = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    times.ours.push(await timeCountRows(fileChunks(path), rows));
    times.oursReadable.push(await timeCountRows((await Deno.open(path)).readable, rows));
    times.wc.push(check(await measure("wc", ["-l", path]), "wc -l").seconds);
    for (const peer of peers) {
      const [cmd, ...args] = peer === "polars"
        ? [Deno.execPath(), "eval", "--frozen", POLARS_COUNT]
        : [python, "-c", PYTHON_COUNT, peer];
      const run = check(
        await measure(cmd, [...args, path], { env: { POLARS_MAX_THREADS: "1" } }),
        peer,
      );
      const [counted, seconds] = run.stdout.at(-1)!.split(" ").map(Number);
      if (counted !== rows) throw new Error(`${peer} counted ${counted} rows, expected ${rows}`);
      times[peer].push(seconds);
      if (peer === "csv") pythonPeakMb = Math.max(pythonPeakMb, run.peakMb);
    }
    say(
      `round ${round}: ` +
        Object.entries(times).map(([tool, s]) => `${tool} ${s.at(-1)!.toFixed(2)} s`).join(", "),
    );
  }
  const seconds: Record<string, number> = Object.fromEntries(
    Object.entries(times).map(([tool, s]) => [tool, median(s)]),
  );

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
  const started = performance.now();
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
    reference: mb / seconds.csv,
    referenceTool: PEERS.csv,
    higherIsBetter: true,
  });
  for (const peer of peers) {
    report({
      ...row,
      metric: "countRows() alone, local file in 1 MiB reads",
      unit: "MB/s",
      ours: mb / seconds.ours,
      reference: mb / seconds[peer],
      referenceTool: PEERS[peer],
      higherIsBetter: true,
    });
  }
  report({
    ...row,
    metric: "countRows() alone vs counting lines",
    unit: "MB/s",
    ours: mb / seconds.ours,
    reference: mb / seconds.wc,
    referenceTool: "wc -l (lines, not rows)",
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: "countRows() on Deno's FsFile.readable (64 KiB chunks)",
    unit: "MB/s",
    ours: mb / seconds.oursReadable,
    reference: mb / seconds.csv,
    referenceTool: PEERS.csv,
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: `function peak RSS counting ${mb.toFixed(0)} MiB`,
    unit: "MB",
    ours: peak,
    reference: pythonPeakMb,
    referenceTool: PEERS.csv,
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
