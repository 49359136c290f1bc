// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 03: a Lambda function on S3 uploads: count the rows of each CSV
 * file and store the count in DynamoDB (or log it when ROWS_TABLE is unset).
 *
 *   ROWS_TABLE=csv-row-counts deno run -A exercises/03/setup.ts    # the table
 *   ROWS_TABLE=csv-row-counts TRIGGER_BUCKET=csv-uploads \
 *     deno run -A infra/lambda/s3_trigger.ts exercises/03/solution.handler
 *   S3_ENDPOINT=http://127.0.0.1:7071 deno run -A infra/lambda/upload.ts csv-uploads my.csv
 *
 * Deno is not one of Lambda's own runtimes: copied out, this file runs on the
 * project's custom runtime (infra/lambda/bootstrap, bootstrap.ts and
 * runtime.ts beside it, `_HANDLER=solution.handler`).
 *
 * What decides it:
 * - Every record of the event, each key URL-decoded as S3 sends it
 *   (`my+file%2Bv2.csv` is `my file+v2.csv`).
 * - Rows are CSV records, not lines: a real RFC 4180 parser (csv-parse),
 *   streamed, so a quoted newline is one row and memory does not grow with
 *   the file.
 * - A file that cannot be counted throws, after the other records are done:
 *   Lambda retries the event and then keeps it. A `{statusCode: 500}` would
 *   be a success to Lambda, and the file would be forgotten.
 */
import { GetObjectCommand, S3Client } from "npm:@aws-sdk/client-s3@3.1175.0";
import { DynamoDBClient, PutItemCommand } from "npm:@aws-sdk/client-dynamodb@3.1169.0";
import { parse } from "npm:csv-parse@7.0.3";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const table = Deno.env.get("ROWS_TABLE");
const header = env("CSV_HEADER", "true") === "true";
const aws = {
  region: env("AWS_REGION", "us-east-1"),
  credentials: {
    accessKeyId: env("AWS_ACCESS_KEY_ID", "test"),
    secretAccessKey: env("AWS_SECRET_ACCESS_KEY", "test"),
    sessionToken: Deno.env.get("AWS_SESSION_TOKEN") || undefined, // Lambda's role sets it
  },
};
const s3 = new S3Client({
  ...aws,
  endpoint: env("S3_ENDPOINT", "http://127.0.0.1:7070"),
  forcePathStyle: env("S3_FORCE_PATH_STYLE", "true") === "true",
});
const dynamodb = new DynamoDBClient({
  ...aws,
  endpoint: env("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
});

type S3Event = {
  Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string } } }[];
};

/** The data rows of a CSV stream: records, minus the header. */
async function countRows(body: Readable): Promise<number> {
  let records = 0;
  // bom: Excel's UTF-8 BOM is not part of the first field. Blank lines are not
  // rows. A record with another number of fields than the first is an error.
  await pipeline(body, parse({ bom: true, skip_empty_lines: true }), async (rows) => {
    for await (const _ of rows) records++;
  });
  return header ? Math.max(records - 1, 0) : records;
}

async function countObject(bucket: string, key: string) {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const rows = await countRows(object.Body as Readable);
  const etag = (object.ETag ?? "").replaceAll('"', "");
  const count = { object: `s3://${bucket}/${key}`, bucket, key, rows, etag };
  if (table) {
    // A put, not an ADD: the same event delivered twice writes the same item again.
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          object: { S: count.object },
          bucket: { S: bucket },
          key: { S: key },
          rows: { N: String(rows) },
          etag: { S: etag },
          processed_at: { S: new Date().toISOString() },
        },
      }),
    );
  }
  console.log(JSON.stringify({ message: table ? "stored" : "counted (no ROWS_TABLE)", ...count }));
  return count;
}

/** The Lambda handler (`_HANDLER=solution.handler`). */
export async function handler(event: S3Event) {
  const counts = [], failures = [];
  for (const [i, record] of (event.Records ?? []).entries()) {
    let bucket = "?", key = `record ${i}`;
    try {
      // Read inside the try: one record that is not an S3 one must not stop the others.
      if (!record.eventName.startsWith("ObjectCreated:")) continue; // a delete: nothing to count
      bucket = record.s3.bucket.name;
      key = decodeURIComponent(record.s3.object.key.replace(/\+/g, " "));
      counts.push(await countObject(bucket, key));
    } catch (err) {
      const reason = `Cannot count rows of s3://${bucket}/${key}: ${(err as Error).message}`;
      console.error(reason);
      failures.push(reason);
    }
  }
  if (failures.length > 0) throw new Error(failures.join("; "));
  return { counts };
}
