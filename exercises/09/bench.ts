/**
 * `make bench` for exercise 09: the Polars transform against the same
 * transform in pandas (bench_pandas.py, its default reader and pyarrow's,
 * output checked equal to ours byte for byte first) and in plain TypeScript
 * (reference.ts) on the same input, in the same run (MB of input per
 * second); the whole invocation under the emulator (read from S3,
 * transform, write); and the cold start (emulator start → first response)
 * against the bare Deno runtime's.
 *
 * BENCH_JSON_MB sets the input size (default 64 MiB of NDJSON).
 *
 * @module
 */
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { check, measure, report } from "../../infra/bench/measure.ts";
import { runtimeMemory, startFunction } from "../../infra/lambda/emulator.ts";
import { ensureBucket } from "../../infra/lambda/upload.ts";
import { readAwsSettings } from "../../infra/lambda/aws.ts";
import { transformOrders } from "./transform.ts";
import { transformOrdersPlain } from "./reference.ts";

const MB = Number(Deno.env.get("BENCH_JSON_MB") ?? 64);
const RUNS = 3;
const WARM = 8;
const say = (line: string) => console.error(line);

/** ~`mb` MiB of NDJSON orders, string customer ids (Polars reads them without a fallback). */
function generate(mb: number): Uint8Array {
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < mb * 1024 * 1024; i++) {
    const line = JSON.stringify({
      order_id: `o-${i}`,
      customer_id: `c-${(i * 7919) % 20_000}`,
      amount: ((i * 104729) % 3_000_000) / 100,
      currency: "INR",
      created_at: new Date(Date.UTC(2026, 10, 1) + (i % 2_592_000) * 1000).toISOString(),
    });
    lines.push(line);
    bytes += line.length + 1;
  }
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

/** Seconds `fn` takes. */
function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return (performance.now() - started) / 1000;
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

/** The venv python with pandas and pyarrow (infra/bench/python/env.sh installs it once). */
async function benchPython(): Promise<string> {
  const env = await new Deno.Command("infra/bench/python/env.sh", { stderr: "inherit" }).output();
  if (!env.success) throw new Error("infra/bench/python/env.sh failed");
  return new TextDecoder().decode(env.stdout).trim();
}

/** The pandas peers: `bench_pandas.py <reader> <in> <out>` prints its seconds. */
const PANDAS = {
  default: "pandas read_json (default reader)",
  pyarrow: 'pandas read_json(engine="pyarrow", dtype_backend="pyarrow")',
};
type PandasReader = keyof typeof PANDAS;

/** Emulator start → first answer to `event`, in ms. */
async function coldStart(handler: string, event: unknown, env: Record<string, string> = {}) {
  const started = performance.now();
  const fn = await startFunction(handler, { env, timeoutSeconds: 300 });
  try {
    const first = await fn.invoke(event);
    const ms = performance.now() - started;
    if (!first.ok) throw new Error(`${handler}: ${first.error.errorMessage}`);
    return { ms, fn };
  } catch (err) {
    await fn.stop();
    throw err;
  }
}

const input = generate(MB);
const mb = input.length / 1024 / 1024;
say(`input: ${mb.toFixed(1)} MiB of NDJSON`);

// Ours and pandas from the same file to an output file, in rounds of each in
// turn (a burst of load on this shared machine hits them all); medians of
// RUNS. Each pandas peer's output is checked equal to ours before it is timed.
const dir = await Deno.makeTempDir({ prefix: "bench-ex09-" });
const inputPath = `${dir}/orders.ndjson`;
await Deno.writeFile(inputPath, input);
const python = await benchPython();
const readers = Object.keys(PANDAS) as PandasReader[];
const oursOnce = () => {
  const { ndjson, reader } = transformOrders(Deno.readFileSync(inputPath));
  if (reader !== "polars") throw new Error(`the Polars path fell back to the ${reader} reader`);
  Deno.writeFileSync(`${dir}/ours.ndjson`, ndjson);
};
const pandasOnce = async (reader: PandasReader) => {
  const args = ["exercises/09/bench_pandas.py", reader, inputPath, `${dir}/${reader}.ndjson`];
  const run = check(await measure(python, args), `bench_pandas.py ${reader}`);
  return Number(run.stdout.at(-1));
};
oursOnce();
const expected = await Deno.readFile(`${dir}/ours.ndjson`);
const plainOutput = transformOrdersPlain(input).ndjson;
if (!equalBytes(plainOutput, expected)) throw new Error("Polars and plain TypeScript disagree");
for (const reader of readers) {
  await pandasOnce(reader);
  if (!equalBytes(await Deno.readFile(`${dir}/${reader}.ndjson`), expected)) {
    throw new Error(`pandas (${reader}) and ours disagree`);
  }
}
const times: Record<string, number[]> = { ours: [], polars: [], plain: [] };
for (const reader of readers) times[reader] = [];
for (let round = 1; round <= RUNS; round++) {
  times.ours.push(time(oursOnce));
  times.polars.push(time(() => transformOrders(input)));
  times.plain.push(time(() => transformOrdersPlain(input)));
  for (const reader of readers) times[reader].push(await pandasOnce(reader));
  say(
    `round ${round}: ` +
      Object.entries(times).map(([tool, s]) => `${tool} ${s.at(-1)!.toFixed(2)} s`).join(", "),
  );
}
const seconds: Record<string, number> = Object.fromEntries(
  Object.entries(times).map(([tool, s]) => [tool, median(s)]),
);
await Deno.remove(dir, { recursive: true });

// The whole invocation under the emulator, and cold starts.
const aws = readAwsSettings();
const s3 = new S3Client({
  region: aws.region,
  credentials: aws.credentials,
  endpoint: aws.s3Endpoint,
  forcePathStyle: true,
});
const stamp = Date.now();
const source = `bench-ex09-raw-${stamp}`;
const output = `bench-ex09-out-${stamp}`;
try {
  for (const bucket of [source, output]) await ensureBucket(s3, bucket);
  await s3.send(new PutObjectCommand({ Bucket: source, Key: "small.json", Body: "[]" }));
  await s3.send(new PutObjectCommand({ Bucket: source, Key: "big.ndjson", Body: input }));

  const bare = await coldStart("infra/lambda/testdata/echo.echo", {});
  await bare.fn.stop();
  const cold = await coldStart("exercises/09/handler.handler", {
    bucket: source,
    key: "small.json",
  }, {
    OUTPUT_BUCKET: output,
  });
  let invokeSeconds = Infinity;
  const rss: number[] = [];
  try {
    // Warm invocations, one file after another: memory must not grow with them.
    for (let i = 0; i < WARM; i++) {
      const result = await cold.fn.invoke({ bucket: source, key: "big.ndjson" });
      if (!result.ok) throw new Error(result.error.errorMessage);
      invokeSeconds = Math.min(invokeSeconds, result.ms / 1000);
      rss.push(runtimeMemory(cold.fn).rssMb);
    }
  } finally {
    await cold.fn.stop();
  }
  say(
    `cold start: bare runtime ${bare.ms.toFixed(0)} ms, exercise 09 ${cold.ms.toFixed(0)} ms; ` +
      `warm invocation on ${mb.toFixed(0)} MiB: ${invokeSeconds.toFixed(2)} s; ` +
      `runtime RSS after each of ${WARM}: ${rss.join(", ")} MB`,
  );

  const row = { exercise: "09" };
  for (const reader of readers) {
    report({
      ...row,
      metric: `file → transform → file, ${mb.toFixed(0)} MiB NDJSON`,
      unit: "MB/s",
      ours: mb / seconds.ours,
      reference: mb / seconds[reader],
      referenceTool: PANDAS[reader],
      higherIsBetter: true,
    });
  }
  report({
    ...row,
    metric: `transform ${mb.toFixed(0)} MiB NDJSON (Polars)`,
    unit: "MB/s",
    ours: mb / seconds.polars,
    reference: mb / seconds.plain,
    referenceTool: "same transform, plain TypeScript",
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: `invocation: S3 read + transform + S3 write, ${mb.toFixed(0)} MiB`,
    unit: "MB/s",
    ours: mb / invokeSeconds,
    reference: mb / seconds.plain,
    referenceTool: "plain TypeScript transform alone",
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: `runtime RSS after ${WARM} warm invocations vs after 1`,
    unit: "MB",
    ours: rss.at(-1)!,
    reference: rss[0],
    referenceTool: "same function, first invocation",
    higherIsBetter: false,
  });
  report({
    ...row,
    metric: "cold start (emulator start → first response)",
    unit: "ms",
    ours: cold.ms,
    reference: bare.ms,
    referenceTool: "bare Deno runtime (echo handler)",
    higherIsBetter: false,
  });
} finally {
  for (const bucket of [source, output]) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() =>
      undefined
    );
    for (const o of listed?.Contents ?? []) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  }
  s3.destroy();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
