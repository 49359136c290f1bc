import assert from "node:assert/strict";
import { readConfig, redactUrl } from "./config.ts";

Deno.test("readConfig() uses the documented defaults", () => {
  assert.deepEqual(readConfig({}), {
    host: "127.0.0.1",
    port: 3000,
    redisUrl: "redis://127.0.0.1:6379",
    prefix: "records",
    bodyLimit: 16384,
    redisTimeoutMs: 1000,
    shutdownTimeoutMs: 8000,
  });
});

Deno.test("readConfig() reads every variable", () => {
  assert.deepEqual(
    readConfig({
      HOST: "0.0.0.0",
      PORT: "0",
      REDIS_URL: "rediss://user:pw@cache.internal:6380/2",
      RECORDS_PREFIX: "app:records",
      RECORDS_BODY_LIMIT: "1024",
      REDIS_TIMEOUT_MS: "250",
      SHUTDOWN_TIMEOUT_MS: "3000",
    }),
    {
      host: "0.0.0.0",
      port: 0,
      redisUrl: "rediss://user:pw@cache.internal:6380/2",
      prefix: "app:records",
      bodyLimit: 1024,
      redisTimeoutMs: 250,
      shutdownTimeoutMs: 3000,
    },
  );
});

Deno.test("readConfig() rejects bad values, naming the variable and the value", () => {
  assert.throws(() => readConfig({ PORT: "http" }), {
    name: "RangeError",
    message: `Cannot use 'PORT' as it is not an integer from 0 to 65535: current value is "http"`,
  });
  assert.throws(() => readConfig({ PORT: "65536" }), /'PORT'.*"65536"/);
  assert.throws(() => readConfig({ PORT: "80.5" }), /'PORT'.*"80.5"/);
  assert.throws(() => readConfig({ RECORDS_BODY_LIMIT: "0" }), /'RECORDS_BODY_LIMIT'.*"0"/);
  assert.throws(() => readConfig({ RECORDS_BODY_LIMIT: "16kb" }), /'RECORDS_BODY_LIMIT'.*"16kb"/);
  assert.throws(() => readConfig({ REDIS_TIMEOUT_MS: "-1" }), /'REDIS_TIMEOUT_MS'.*"-1"/);
  assert.throws(
    () => readConfig({ SHUTDOWN_TIMEOUT_MS: "" }),
    /'SHUTDOWN_TIMEOUT_MS' as it is empty/,
  );
  assert.throws(
    () => readConfig({ HOST: " " }),
    /'HOST' as it is empty: unset it to use "127.0.0.1"/,
  );
  assert.throws(() => readConfig({ RECORDS_PREFIX: "rec*" }), /'RECORDS_PREFIX'.*"rec\*"/);
  assert.throws(() => readConfig({ REDIS_URL: "127.0.0.1:6379" }), {
    name: "TypeError",
    message:
      `Cannot use 'REDIS_URL' as it is not a redis:// or rediss:// URL: current value is "127.0.0.1:6379"`,
  });
  assert.throws(() => readConfig({ REDIS_URL: "http://127.0.0.1:6379" }), /'REDIS_URL'/);
});

Deno.test("readConfig() takes a REDIS_URL database only as /<digits>", () => {
  for (
    const url of ["redis://r:6379", "redis://r:6379/", "redis://r:6379/0", "redis://r:6379/15"]
  ) {
    assert.equal(readConfig({ REDIS_URL: url }).redisUrl, url);
  }
  // ioredis would read these with parseInt: database 0, 1, 2, 1, or a db parameter.
  for (const db of ["abc", "-1", "1.5", "2/x", "01", "1e3", "%31", "?db=3", "/"]) {
    const url = `redis://:s3cret@r:6379/${db}`;
    assert.throws(() => readConfig({ REDIS_URL: url }), {
      name: "TypeError",
      message: `Cannot use 'REDIS_URL' as its database is not a whole number from 0 written as ` +
        `redis://host:port/<db>: current value is "redis://:***@r:6379/${db}"`,
    }, url);
  }
});

Deno.test("readConfig() does not repeat a password from REDIS_URL in its message", () => {
  assert.throws(() => readConfig({ REDIS_URL: "redis//:s3cret@cache:6379" }), (err: Error) => {
    assert.doesNotMatch(err.message, /s3cret/);
    return true;
  });
  assert.throws(() => readConfig({ REDIS_URL: "http://:s3cret@cache:6379" }), (err: Error) => {
    assert.match(err.message, /"http:\/\/:\*\*\*@cache:6379"/);
    return true;
  });
});

Deno.test("redactUrl() hides the password and nothing else", () => {
  assert.equal(redactUrl("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
  assert.equal(redactUrl("rediss://app:s3cret@cache:6380"), "rediss://app:***@cache:6380");
  assert.equal(redactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  assert.equal(redactUrl("redis://app@cache:6379"), "redis://app@cache:6379");
  assert.equal(redactUrl("redis//:s3cret@cache:6379"), "redis//:***@cache:6379");
});
