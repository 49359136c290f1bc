import assert from "node:assert/strict";
import { readConfig } from "./config.ts";

Deno.test("readConfig() uses the documented defaults", () => {
  assert.deepEqual(readConfig({}), {
    brokers: ["127.0.0.1:9092"],
    topic: "payments",
    dlqTopic: "payments.dlq",
    partitions: 3,
    groupId: "payments-ledger",
    ledgerFile: "ledger.ndjson",
    commitMode: "message",
    maxAttempts: 3,
    retryDelayMs: 200,
    crashAfter: 0,
    sessionTimeoutMs: 6000,
  });
});

Deno.test("readConfig() rejects bad values, naming the variable and the value", () => {
  assert.throws(() => readConfig({ COMMIT_MODE: "sometimes" }), {
    message:
      `Cannot use 'COMMIT_MODE' as it is not "message" or "batch": current value is "sometimes"`,
  });
  assert.throws(
    () => readConfig({ CRASH_AFTER: "-1" }),
    /'CRASH_AFTER' as it is not an integer >= 0: current value is "-1"/,
  );
  assert.throws(() => readConfig({ MAX_ATTEMPTS: "0" }), /'MAX_ATTEMPTS'/);
  assert.throws(
    () => readConfig({ SESSION_TIMEOUT_MS: "1000" }),
    /'SESSION_TIMEOUT_MS' as it is not an integer >= 6000/,
  );
  assert.throws(() => readConfig({ LEDGER_FILE: "" }), /'LEDGER_FILE' as it is empty/);
});
