import assert from "node:assert/strict";
import { parseSeconds, readApiConfig, readConfig } from "./config.ts";

Deno.test("readConfig() uses the documented defaults", () => {
  assert.deepEqual(readConfig({}), {
    redisUrl: "redis://127.0.0.1:6379",
    userApiUrl: "http://127.0.0.1:8044",
    ttlSeconds: 60,
    notFoundTtlSeconds: 10,
    prefix: "users:v1",
    redisTimeoutMs: 500,
    apiTimeoutMs: 5000,
  });
});

Deno.test("readConfig() reads every variable", () => {
  assert.deepEqual(
    readConfig({
      REDIS_URL: "redis://redis:6379/2",
      USER_API_URL: "http://user-api:8044/",
      CACHE_TTL_SECONDS: "120",
      CACHE_NOT_FOUND_TTL_SECONDS: "5",
      CACHE_PREFIX: "shop:users:v2",
      REDIS_TIMEOUT_MS: "250",
      USER_API_TIMEOUT_MS: "1000",
    }),
    {
      redisUrl: "redis://redis:6379/2",
      userApiUrl: "http://user-api:8044",
      ttlSeconds: 120,
      notFoundTtlSeconds: 5,
      prefix: "shop:users:v2",
      redisTimeoutMs: 250,
      apiTimeoutMs: 1000,
    },
  );
});

Deno.test("readConfig() rejects bad values, naming the variable and the value", () => {
  assert.throws(() => readConfig({ CACHE_TTL_SECONDS: "60s" }), {
    name: "RangeError",
    message: `Cannot use 'CACHE_TTL_SECONDS' as it is not a whole number of seconds ` +
      `from 1 to 2592000: current value is "60s"`,
  });
  assert.throws(
    () => readConfig({ CACHE_NOT_FOUND_TTL_SECONDS: "0" }),
    /'CACHE_NOT_FOUND_TTL_SECONDS'.*current value is "0"/,
  );
  assert.throws(() => readConfig({ REDIS_URL: "127.0.0.1:6379" }), {
    name: "TypeError",
    message: `Cannot use 'REDIS_URL' as it is not a redis:// or rediss:// URL: ` +
      `current value is "127.0.0.1:6379"`,
  });
  assert.throws(() => readConfig({ USER_API_URL: "ftp://x" }), /'USER_API_URL'.*"ftp:\/\/x"/);
  assert.throws(() => readConfig({ CACHE_PREFIX: "users:" }), /'CACHE_PREFIX'.*"users:"/);
  assert.throws(() => readConfig({ CACHE_PREFIX: "my users" }), /'CACHE_PREFIX'/);
  assert.throws(() => readConfig({ CACHE_PREFIX: " " }), /'CACHE_PREFIX' as it is empty/);
  assert.throws(() => readConfig({ REDIS_TIMEOUT_MS: "0" }), /'REDIS_TIMEOUT_MS'.*"0"/);
  assert.throws(() => readConfig({ USER_API_TIMEOUT_MS: "5e3" }), /'USER_API_TIMEOUT_MS'/);
});

Deno.test("readConfig() takes a REDIS_URL database only as /<digits>", () => {
  for (
    const url of ["redis://r:6379", "redis://r:6379/", "redis://r:6379/0", "redis://r:6379/15"]
  ) {
    assert.equal(readConfig({ REDIS_URL: url }).redisUrl, url);
  }
  // ioredis would read these with parseInt: database 0, 1, 2, 1, or a db parameter.
  for (const db of ["abc", "-1", "1.5", "2/x", "01", "1e3", "%31", "?db=3", "/"]) {
    const url = `redis://r:6379/${db}`;
    assert.throws(() => readConfig({ REDIS_URL: url }), {
      name: "TypeError",
      message: `Cannot use 'REDIS_URL' as its database is not a whole number from 0 written as ` +
        `redis://host:port/<db>: current value is "${url}"`,
    }, url);
  }
});

Deno.test("parseSeconds() takes whole seconds only, from 1 to 30 days", () => {
  assert.equal(parseSeconds("T", "1"), 1);
  assert.equal(parseSeconds("T", " 60 "), 60);
  assert.equal(parseSeconds("T", "2592000"), 2592000);
  for (const bad of ["0", "-1", "1.5", "60s", "1e3", "", "2592001", "0x10"]) {
    assert.throws(() => parseSeconds("T", bad), RangeError, bad);
  }
});

Deno.test("readApiConfig() uses the documented defaults and rejects bad values", () => {
  assert.deepEqual(readApiConfig({}), {
    host: "127.0.0.1",
    port: 8044,
    latencyMs: 200,
    users: 1000,
  });
  assert.equal(readApiConfig({ USER_API_PORT: "0" }).port, 0);
  assert.throws(() => readApiConfig({ USER_API_PORT: "70000" }), /'USER_API_PORT'.*"70000"/);
  assert.throws(() => readApiConfig({ USER_API_LATENCY_MS: "-5" }), /'USER_API_LATENCY_MS'/);
});
