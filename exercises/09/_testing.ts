/**
 * Test helpers for exercise 09: a source and an output bucket per test on
 * the real S3 server, and reading what the function wrote.
 *
 * @module
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { uniqueName } from "../../infra/testing.ts";
import { seededRandom } from "../../infra/random.ts";
import { readConfig } from "./config.ts";

/** Two fresh buckets and a client. */
export interface Buckets {
  s3: S3Client;
  source: string;
  output: string;
  /** The env vars that point the function at them. */
  env: Record<string, string>;
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** The output bucket's keys. */
  outputKeys(): Promise<string[]>;
  /** An object's bytes. */
  read(bucket: string, key: string): Promise<Uint8Array>;
}

/**
 * Runs `fn` with a source and an output bucket, then removes them: on
 * `options.s3Endpoint` (default: the shared S3), named `options.source` and
 * `options.output` (default: new names).
 */
export async function withBuckets(
  fn: (b: Buckets) => Promise<void>,
  options: { s3Endpoint?: string; source?: string; output?: string } = {},
): Promise<void> {
  const { s3Endpoint, source = uniqueName("test-orders"), output = uniqueName("test-summaries") } =
    options;
  const config = readConfig({
    ...Deno.env.toObject(),
    OUTPUT_BUCKET: output,
    ...(s3Endpoint ? { S3_ENDPOINT: s3Endpoint } : {}),
  });
  const s3 = new S3Client({
    region: config.region,
    credentials: config.credentials,
    endpoint: config.s3Endpoint,
    forcePathStyle: true,
  });
  const list = async (bucket: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) =>
      o.Key!
    );
  try {
    for (const bucket of [source, output]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    await fn({
      s3,
      source,
      output,
      env: { OUTPUT_BUCKET: output, S3_ENDPOINT: config.s3Endpoint },
      async put(key, body) {
        const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
        await s3.send(new PutObjectCommand({ Bucket: source, Key: key, Body: bytes }));
      },
      outputKeys: () => list(output),
      async read(bucket, key) {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await got.Body!.transformToByteArray();
      },
    });
  } finally {
    for (const bucket of [source, output]) {
      for (const key of await list(bucket).catch(() => [])) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    }
    s3.destroy();
  }
}

/**
 * `n` orders as NDJSON from a seeded generator (the same seed gives the same
 * bytes): amounts with paise, integer amounts, integer and string customer
 * ids, times with offsets.
 */
export function generateOrders(n: number, seed = 9): string {
  const next = seededRandom(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const customer = Math.floor(next() * 500);
    const amount = next() < 0.2 ? Math.floor(next() * 30000) : Math.round(next() * 3_000_000) / 100;
    const at = new Date(Date.UTC(2026, 10, 1) + Math.floor(next() * 30 * 86_400_000)).toISOString();
    lines.push(JSON.stringify({
      order_id: `o-${i}`,
      customer_id: customer % 10 === 0 ? customer : `c-${customer}`,
      amount,
      currency: "INR",
      created_at: i % 3 === 0 ? at.replace("Z", "+05:30") : at,
    }));
  }
  return lines.join("\n") + "\n";
}
