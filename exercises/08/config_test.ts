import assert from "node:assert/strict";
import { readConfig } from "./config.ts";

Deno.test("readConfig() uses the documented defaults", () => {
  assert.deepEqual(readConfig({}), {
    brokers: ["127.0.0.1:9092"],
    redisUrl: "redis://127.0.0.1:6379",
    topic: "clicks",
    dlqTopic: "clicks.dlq",
    partitions: 3,
    groupId: "clicks-counter",
    prefix: "clicks",
    bucketMs: 60_000,
    retentionMs: 3_600_000,
    defaultWindowMs: 300_000,
    maxSkewMs: 300_000,
    batchSize: 500,
    sessionTimeoutMs: 10_000,
    commitDelayMs: 0,
    httpHost: "127.0.0.1",
    httpPort: 8080,
  });
});

Deno.test("readConfig() reads every variable", () => {
  const config = readConfig({
    KAFKA_BROKERS: "10.0.0.1:9092,10.0.0.2:9092",
    REDIS_URL: "rediss://user:pw@redis.example:6380/2",
    CLICKS_TOPIC: "t",
    CLICKS_DLQ_TOPIC: "t.dlq",
    CLICKS_PARTITIONS: "6",
    CLICKS_GROUP: "g",
    CLICKS_PREFIX: "p",
    CLICKS_BUCKET: "500ms",
    CLICKS_RETENTION: "3s",
    CLICKS_WINDOW: "1500ms",
    CLICKS_MAX_SKEW: "0s",
    CLICKS_BATCH_SIZE: "50",
    CLICKS_SESSION_TIMEOUT: "6s",
    CLICKS_COMMIT_DELAY: "20ms",
    HTTP_HOST: "0.0.0.0",
    HTTP_PORT: "0",
  });
  assert.deepEqual(config, {
    brokers: ["10.0.0.1:9092", "10.0.0.2:9092"],
    redisUrl: "rediss://user:pw@redis.example:6380/2",
    topic: "t",
    dlqTopic: "t.dlq",
    partitions: 6,
    groupId: "g",
    prefix: "p",
    bucketMs: 500,
    retentionMs: 3_000,
    defaultWindowMs: 1_500,
    maxSkewMs: 0,
    batchSize: 50,
    sessionTimeoutMs: 6_000,
    commitDelayMs: 20,
    httpHost: "0.0.0.0",
    httpPort: 0,
  });
});

Deno.test("readConfig() rejects bad values, naming the variable and the value", () => {
  assert.throws(() => readConfig({ CLICKS_BUCKET: "fast" }), {
    name: "RangeError",
    message:
      `Cannot use 'CLICKS_BUCKET' as it is not a duration of at least 100ms such as 500ms, 30s, 5m or 1h: current value is "fast"`,
  });
  assert.throws(() => readConfig({ CLICKS_RETENTION: "90s" }), {
    message:
      `Cannot use 'CLICKS_RETENTION' as it is not a whole number of 1m buckets: current value is "90s"`,
  });
  assert.throws(
    () => readConfig({ CLICKS_WINDOW: "2h" }),
    /'CLICKS_WINDOW' as it is not a whole number of 1m buckets up to CLICKS_RETENTION \(1h\): current value is "2h"/,
  );
  assert.throws(
    () => readConfig({ CLICKS_SESSION_TIMEOUT: "1s" }),
    /'CLICKS_SESSION_TIMEOUT'.*at least 6s/,
  );
  assert.throws(
    () => readConfig({ CLICKS_BATCH_SIZE: "0" }),
    /'CLICKS_BATCH_SIZE' as it is not an integer from 1/,
  );
  assert.throws(() => readConfig({ HTTP_PORT: "http" }), /'HTTP_PORT'.*current value is "http"/);
  assert.throws(() => readConfig({ CLICKS_TOPIC: " " }), /'CLICKS_TOPIC' as it is empty/);
  assert.throws(
    () => readConfig({ REDIS_URL: "127.0.0.1:6379" }),
    /'REDIS_URL' as it is not a redis:\/\//,
  );
  assert.throws(() => readConfig({ KAFKA_BROKERS: "localhost" }), /"localhost" is not host:port/);
});
