/**
 * One readiness probe of a native service, for infra/services.sh: exits 0 when
 * the service really answers (an admin call, not an open port), 1 otherwise.
 *
 * @example
 * ```sh
 * deno run -A infra/ready.ts kafka
 * ```
 */
import { Kafka, logLevel } from "kafkajs";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { awsConfig, env } from "./env.ts";

async function kafka(): Promise<void> {
  const admin = new Kafka({
    brokers: env("KAFKA_BROKERS").split(","),
    clientId: "ready",
    connectionTimeout: 1000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

async function s3(): Promise<void> {
  const endpoint = env("S3_ENDPOINT");
  const health = await fetch(`${endpoint}/health`);
  await health.body?.cancel();
  if (!health.ok) throw new Error(`S3 health answered ${health.status}`);
  const client = new S3Client({ ...awsConfig(), endpoint, forcePathStyle: true });
  const Bucket = `ready-${crypto.randomUUID()}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(new PutObjectCommand({ Bucket, Key: "probe", Body: "ok" }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "probe" }));
    const body = await got.Body?.transformToString();
    await client.send(new DeleteObjectCommand({ Bucket, Key: "probe" }));
    await client.send(new DeleteBucketCommand({ Bucket }));
    if (body !== "ok") throw new Error(`S3 round trip returned ${JSON.stringify(body)}`);
  } finally {
    client.destroy();
  }
}

async function dynamodb(): Promise<void> {
  const client = new DynamoDBClient({ ...awsConfig(), endpoint: env("DYNAMODB_ENDPOINT") });
  try {
    await client.send(new ListTablesCommand({}));
  } finally {
    client.destroy();
  }
}

const probes: Record<string, () => Promise<void>> = { kafka, s3, dynamodb };
const name = Deno.args[0];
const probe = probes[name];
if (!probe) {
  console.error(`Cannot probe service: expected one of ${Object.keys(probes)}, got "${name}"`);
  Deno.exit(2);
}
const timer = setTimeout(() => {
  console.error(`${name}: no answer within 10 s`);
  Deno.exit(1);
}, 10_000);
try {
  await probe();
  clearTimeout(timer);
} catch (err) {
  console.error(`${name}: ${err instanceof Error ? err.message : err}`);
  Deno.exit(1);
}
