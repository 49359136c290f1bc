/**
 * Probes that tell whether a service really answers (an admin call, not an
 * open port). Used by infra/ready.ts (for `make services`) and by tests.
 *
 * @example
 * ```ts
 * import { probe } from "./probe.ts";
 * await probe("kafka"); // throws when Kafka does not answer
 * ```
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { Redis } from "ioredis";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { awsConfig, env, type EnvName } from "./env.ts";

/** The services `make services` starts. */
export type Service = "kafka" | "redis" | "s3" | "dynamodb";

/** The env var that points at each service. */
export const ENDPOINT_VAR: Record<Service, EnvName> = {
  kafka: "KAFKA_BROKERS",
  redis: "REDIS_URL",
  s3: "S3_ENDPOINT",
  dynamodb: "DYNAMODB_ENDPOINT",
};

async function kafka(): Promise<void> {
  const admin = new Kafka({
    brokers: env("KAFKA_BROKERS").split(","),
    clientId: "probe",
    connectionTimeout: 1000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

async function redis(): Promise<void> {
  const client = new Redis(env("REDIS_URL"), {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    const answer = await client.ping();
    if (answer !== "PONG") throw new Error(`PING answered ${answer}`);
  } finally {
    client.disconnect();
  }
}

async function s3(): Promise<void> {
  const endpoint = env("S3_ENDPOINT");
  const health = await fetch(`${endpoint}/health`);
  await health.body?.cancel();
  if (!health.ok) throw new Error(`GET /health answered ${health.status}`);
  const client = new S3Client({ ...awsConfig(), endpoint, forcePathStyle: true });
  const Bucket = `probe-${crypto.randomUUID()}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(new PutObjectCommand({ Bucket, Key: "probe", Body: "ok" }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "probe" }));
    const body = await got.Body?.transformToString();
    await client.send(new DeleteObjectCommand({ Bucket, Key: "probe" }));
    await client.send(new DeleteBucketCommand({ Bucket }));
    if (body !== "ok") throw new Error(`bucket round trip returned ${JSON.stringify(body)}`);
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

const PROBES: Record<Service, () => Promise<void>> = { kafka, redis, s3, dynamodb };

/** Resolves when the service answers within `timeoutMs`; throws with the cause otherwise. */
export async function probe(service: Service, timeoutMs = 10_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([PROBES[service](), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
