// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 09: a Lambda function (shipped as a container image) that reads a
 * JSON file of orders from S3, summarises it per customer with Polars, and
 * writes the summary to another bucket as NDJSON.
 *
 *   OUTPUT_BUCKET=orders-summaries TRIGGER_BUCKET=orders-raw TRIGGER_SUFFIXES=".json .ndjson .jsonl" \
 *     deno run -A infra/lambda/s3_trigger.ts exercises/09/solution.handler
 *   S3_ENDPOINT=http://127.0.0.1:7071 deno run -A exercises/09/setup.ts    # the two buckets
 *   S3_ENDPOINT=http://127.0.0.1:7071 deno run -A infra/lambda/upload.ts orders-raw orders.json
 *
 * nodejs-polars is a native (Node-API) addon: Deno needs --allow-ffi for it
 * (the project's runtime, infra/lambda/bootstrap, grants it), and the package
 * for the platform the function runs on installed at build time (`deno
 * install --entrypoint solution.ts` in the image). Copied out, it runs on that
 * custom runtime: bootstrap, bootstrap.ts and runtime.ts beside it,
 * `_HANDLER=solution.handler`.
 *
 * What decides it:
 * - Every record is checked (JSON.parse, then its fields) before Polars sees
 *   it: the error names the record and the reason, the invocation fails, and
 *   nothing is written. Polars' own reader would turn `"25000"` or `1.5`
 *   into something quietly.
 * - Amounts become integer paise first, so totals are exact sums.
 * - The function skips its own output: if the output bucket were also the
 *   source, each summary would trigger the function again.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "npm:@aws-sdk/client-s3@3.1175.0";
import pl from "npm:nodejs-polars@0.25.2";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const outputBucket = env("OUTPUT_BUCKET", "orders-summaries");
const outputPrefix = env("OUTPUT_PREFIX", "summaries/");
const s3 = new S3Client({
  region: env("AWS_REGION", "us-east-1"),
  credentials: {
    accessKeyId: env("AWS_ACCESS_KEY_ID", "test"),
    secretAccessKey: env("AWS_SECRET_ACCESS_KEY", "test"),
    sessionToken: Deno.env.get("AWS_SESSION_TOKEN") || undefined, // Lambda's role sets it
  },
  endpoint: env("S3_ENDPOINT", "http://127.0.0.1:7070"),
  forcePathStyle: env("S3_FORCE_PATH_STYLE", "true") === "true",
});

type Order = { customer_id: string; paise: number; ms: number };
type S3Event = { Records: { s3: { bucket: { name: string }; object: { key: string } } }[] };

/** One order, or a TypeError naming where it is and what is wrong. */
function checkOrder(value: unknown, where: string): Order {
  const o = (value ?? {}) as Record<string, unknown>;
  const fail = (reason: string) => new TypeError(`${where}: ${reason}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail("an order must be an object");
  }
  const id = o.customer_id;
  if (!(typeof id === "string" && id !== "") && !Number.isSafeInteger(id)) {
    throw fail(`customer_id must be a string or an integer: got ${JSON.stringify(id)}`);
  }
  if (typeof o.amount !== "number" || !Number.isFinite(o.amount) || o.amount < 0) {
    throw fail(`amount must be a number >= 0: got ${JSON.stringify(o.amount)}`);
  }
  const zoned = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;
  const ms = zoned.test(String(o.created_at)) ? Date.parse(String(o.created_at)) : NaN;
  if (Number.isNaN(ms)) {
    throw fail(`created_at must be an ISO 8601 date-time with a zone: got ${o.created_at}`);
  }
  return { customer_id: String(id), paise: Math.round(o.amount * 100), ms };
}

/** The orders of a JSON array or of NDJSON (one order per line). */
function readOrders(text: string): Order[] {
  if (text.trimStart().startsWith("[")) {
    const array = JSON.parse(text);
    return (array as unknown[]).map((value, i) => checkOrder(value, `record ${i + 1}`));
  }
  const records = text.split("\n").map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.trim() !== "");
  return records.map(([line, n], i) => {
    const where = `record ${i + 1} (line ${n})`;
    let value;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new SyntaxError(`${where}: not valid JSON: ${(err as Error).message}`);
    }
    return checkOrder(value, where);
  });
}

/** One row per customer, sorted by customer_id, as NDJSON. */
function summarise(orders: Order[]): string {
  if (orders.length === 0) return "";
  const rows = pl.DataFrame(orders).lazy()
    .groupBy("customer_id")
    .agg(
      pl.len().alias("orders"),
      pl.col("paise").sum().alias("total"),
      pl.col("paise").max().alias("max"),
      pl.col("paise").gt(1_000_000).sum().alias("high_value_orders"), // over ₹10,000
      pl.col("ms").min().alias("first"),
      pl.col("ms").max().alias("last"),
    )
    .sort("customer_id")
    .collectSync()
    .toRecords() as Record<string, number>[];
  // Rupees here, not in Polars: it divides by a constant as a multiplication by
  // its inverse, and 44092966 paise / 100 comes out as 440929.66000000003.
  return rows.map((r) =>
    JSON.stringify({
      customer_id: r.customer_id,
      orders: r.orders,
      total_amount: r.total / 100,
      avg_amount: Math.round(r.total / r.orders) / 100, // half up to the paisa
      max_amount: r.max / 100,
      high_value_orders: r.high_value_orders,
      first_order_at: new Date(r.first).toISOString(),
      last_order_at: new Date(r.last).toISOString(),
    }) + "\n"
  ).join("");
}

/** The Lambda handler (`_HANDLER=solution.handler`). */
export async function handler(event: S3Event) {
  const written = [], failures = [];
  for (const [i, record] of (event.Records ?? []).entries()) {
    let bucket = "?", key = `record ${i}`;
    try {
      // Read inside the try: one record that is not an S3 one must not stop the others.
      bucket = record.s3.bucket.name;
      key = decodeURIComponent(record.s3.object.key.replace(/\+/g, " "));
      if (bucket === outputBucket && key.startsWith(outputPrefix)) continue; // our own output
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await object.Body!.transformToString()).replace(/^\uFEFF/, "");
      const body = summarise(readOrders(text)); // all checked before anything is written
      const output = outputPrefix + key.replace(/\.[^./]*$/, "") + ".ndjson";
      await s3.send(new PutObjectCommand({ Bucket: outputBucket, Key: output, Body: body }));
      console.log(JSON.stringify({ message: "written", input: `s3://${bucket}/${key}`, output }));
      written.push(`s3://${outputBucket}/${output}`);
    } catch (err) {
      const reason = `Cannot transform s3://${bucket}/${key}: ${(err as Error).message}`;
      console.error(reason);
      failures.push(reason);
    }
  }
  if (failures.length > 0) throw new Error(failures.join("; "));
  return { written };
}
