import assert from "node:assert/strict";
import { readConfig } from "./config.ts";

Deno.test("readConfig() has documented defaults", () => {
  const config = readConfig({});
  assert.equal(config.outputBucket, "orders-summaries");
  assert.equal(config.outputPrefix, "summaries/");
  assert.equal(config.maxInputBytes, 128 * 1024 * 1024);
  assert.equal(config.s3Endpoint, "http://127.0.0.1:7070");
});

Deno.test("readConfig() accepts an empty prefix and nested ones", () => {
  assert.equal(readConfig({ OUTPUT_PREFIX: "" }).outputPrefix, "");
  assert.equal(readConfig({ OUTPUT_PREFIX: "out/daily/" }).outputPrefix, "out/daily/");
});

Deno.test("readConfig() rejects bad values, naming the variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ OUTPUT_BUCKET: "" }, /'OUTPUT_BUCKET' as it is empty/],
    [
      { OUTPUT_BUCKET: "Has_Caps" },
      /'OUTPUT_BUCKET' as it is not an S3 bucket name: current value is "Has_Caps"/,
    ],
    [
      { OUTPUT_PREFIX: "summaries" },
      /'OUTPUT_PREFIX' as it is not "" or clean segments ending in '\/'/,
    ],
    [{ OUTPUT_PREFIX: "a+b/" }, /'OUTPUT_PREFIX'/],
    [{ OUTPUT_PREFIX: "x:y/" }, /'OUTPUT_PREFIX'/],
    [{ OUTPUT_PREFIX: "../x/" }, /'OUTPUT_PREFIX'/],
    [{ OUTPUT_PREFIX: "/abs/" }, /'OUTPUT_PREFIX'/],
    [{ MAX_INPUT_MB: "0" }, /'MAX_INPUT_MB' as it is not a positive integer: current value is "0"/],
    [{ MAX_INPUT_MB: "1.5" }, /'MAX_INPUT_MB'/],
  ];
  for (const [vars, message] of cases) {
    assert.throws(() => readConfig(vars), message, JSON.stringify(vars));
  }
});
