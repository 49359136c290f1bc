import assert from "node:assert/strict";
import { readConfig } from "./config.ts";

Deno.test("readConfig() uses the local services and log mode by default", () => {
  const config = readConfig({});
  assert.equal(config.table, undefined);
  assert.equal(config.header, true);
  assert.equal(config.s3Endpoint, "http://127.0.0.1:7070");
  assert.equal(config.dynamodbEndpoint, "http://127.0.0.1:8000");
  assert.equal(config.forcePathStyle, true);
  assert.deepEqual(config.credentials, { accessKeyId: "test", secretAccessKey: "test" });
});

Deno.test("readConfig() reads what AWS and the deploy script set", () => {
  const config = readConfig({
    ROWS_TABLE: "csv-row-counts",
    S3_ENDPOINT: "https://s3.eu-west-1.amazonaws.com",
    S3_FORCE_PATH_STYLE: "false",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "ASIA123",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_SESSION_TOKEN: "token",
    CSV_HEADER: "false",
  });
  assert.equal(config.table, "csv-row-counts");
  assert.equal(config.forcePathStyle, false);
  assert.equal(config.header, false);
  assert.equal(config.region, "eu-west-1");
  assert.equal(config.credentials.sessionToken, "token");
});

Deno.test("readConfig() rejects bad values, naming the variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ ROWS_TABLE: "" }, /'ROWS_TABLE' as it is empty/],
    [{ ROWS_TABLE: "a b" }, /'ROWS_TABLE' as it is not a DynamoDB table name .*"a b"/],
    [{ ROWS_TABLE: "ab" }, /'ROWS_TABLE' as it is not a DynamoDB table name/],
    [{ CSV_HEADER: "yes" }, /'CSV_HEADER' as it is not true or false: current value is "yes"/],
    [
      { S3_ENDPOINT: "localhost:7070" },
      /'S3_ENDPOINT' as it is not an http\(s\):\/\/host\[:port\] URL/,
    ],
    [{ S3_FORCE_PATH_STYLE: "1" }, /'S3_FORCE_PATH_STYLE' as it is not true or false/],
    [{ AWS_REGION: " " }, /'AWS_REGION' as it is empty/],
  ];
  for (const [vars, message] of cases) {
    assert.throws(() => readConfig(vars), message, JSON.stringify(vars));
  }
});
