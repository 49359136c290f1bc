/**
 * Test helpers for exercise 03: a fresh bucket and table per test on the
 * real services, AWS-shaped events, reading the stored counts back.
 *
 * @module
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  type AttributeValue,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import { uniqueName } from "../../infra/testing.ts";
import { encodeS3Key } from "../../infra/lambda/s3_event.ts";
import { readConfig } from "./config.ts";
import { createCountsTable, objectId } from "./store.ts";

/** A bucket and a table made for one test, and clients for them. */
export interface Fixture {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  bucket: string;
  table: string;
  /** The env vars that point the function at them. */
  env: Record<string, string>;
  /** Uploads `body` and returns the ETag without quotes. */
  put(key: string, body: string | Uint8Array): Promise<string>;
  /** The stored item of `s3://bucket/key`, as plain values, or undefined. */
  item(key: string): Promise<Record<string, string | number> | undefined>;
}

/**
 * Runs `fn` with a fresh bucket and table, then removes both. The bucket is on
 * `options.s3Endpoint` (default: the shared S3); the table is `options.table`
 * (default: a new name).
 */
export async function withFixture(
  fn: (f: Fixture) => Promise<void>,
  options: { s3Endpoint?: string; table?: string } = {},
): Promise<void> {
  const env = {
    ROWS_TABLE: options.table ?? uniqueName("test-rows"),
    ...(options.s3Endpoint ? { S3_ENDPOINT: options.s3Endpoint } : {}),
  };
  const config = readConfig({ ...Deno.env.toObject(), ...env });
  const aws = { region: config.region, credentials: config.credentials };
  const s3 = new S3Client({ ...aws, endpoint: config.s3Endpoint, forcePathStyle: true });
  const dynamodb = new DynamoDBClient({ ...aws, endpoint: config.dynamodbEndpoint });
  const bucket = uniqueName("test-csv");
  const table = config.table!;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await createCountsTable(dynamodb, table);
    await fn({
      s3,
      dynamodb,
      bucket,
      table,
      env: { ...env, S3_ENDPOINT: config.s3Endpoint, DYNAMODB_ENDPOINT: config.dynamodbEndpoint },
      async put(key, body) {
        const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
        const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
        return put.ETag!.replaceAll('"', "");
      },
      async item(key) {
        const got = await dynamodb.send(
          new GetItemCommand({
            TableName: table,
            Key: { object: { S: objectId(bucket, key) } },
            ConsistentRead: true,
          }),
        );
        return got.Item ? plain(got.Item) : undefined;
      },
    });
  } finally {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() =>
      undefined
    );
    for (const object of listed?.Contents ?? []) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    await dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    s3.destroy();
    dynamodb.destroy();
  }
}

function plain(item: Record<string, AttributeValue>): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(item).map((
      [name, value],
    ) => [name, value.N !== undefined ? Number(value.N) : value.S!]),
  );
}

let sequence = Date.now() * 1000;

/**
 * An S3 event as AWS sends it: the key URL-encoded, one record per object,
 * each with a sequencer above every earlier one.
 */
export function s3Event(
  bucket: string,
  objects: { key: string; etag?: string; eventName?: string }[],
): unknown {
  return {
    Records: objects.map(({ key, etag, eventName = "ObjectCreated:Put" }) => ({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventTime: new Date().toISOString(),
      eventName,
      s3: {
        s3SchemaVersion: "1.0",
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: {
          key: encodeS3Key(key),
          size: 0,
          ...(etag ? { eTag: etag } : {}),
          sequencer: (++sequence).toString(16).toUpperCase(),
        },
      },
    })),
  };
}

/** Files that trip up naive row counters, with their data row counts. */
export const TRICKY: { name: string; key: string; body: string; rows: number }[] = [
  { name: "ordinary", key: "plain.csv", body: "id,name\n1,a\n2,b\n3,c\n", rows: 3 },
  {
    name: "quoted newlines and commas",
    key: "quoted.csv",
    body: 'id,note\n1,"line one\nline two"\n2,"a, b, c"\n3,"say ""hi"""\n',
    rows: 3,
  },
  { name: "CRLF", key: "crlf.csv", body: "id,name\r\n1,a\r\n2,b\r\n", rows: 2 },
  { name: "BOM", key: "bom.csv", body: "\uFEFFid,name\n1,a\n", rows: 1 },
  { name: "header only", key: "header-only.csv", body: "id,name\n", rows: 0 },
  { name: "empty", key: "empty.csv", body: "", rows: 0 },
  { name: "no trailing newline", key: "no-newline.csv", body: "id\n1\n2", rows: 2 },
  {
    name: "a key with spaces, '+' and non-ASCII",
    key: "uploads/my file+v2 (1) données été.csv",
    body: "id,ville\n1,Besançon\n2,Zürich\n",
    rows: 2,
  },
];
