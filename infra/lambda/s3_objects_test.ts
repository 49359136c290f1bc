/**
 * handleEach() on the events s3Objects() makes of what S3 (or a person
 * testing the function) may send; the log lines are what CloudWatch keeps.
 * readEventObject() is tested against the real S3 server through the
 * handlers of exercises 03 and 09.
 */
import assert from "node:assert/strict";
import { lambdaContext } from "../testing.ts";
import { type S3ObjectRef, s3Objects } from "./s3_event.ts";
import { handleEach } from "./s3_objects.ts";

const record = (key: string, extra: Record<string, unknown> = {}) => ({
  eventSource: "aws:s3",
  eventName: "ObjectCreated:Put",
  s3: { bucket: { name: "in" }, object: { key } },
  ...extra,
});

/** Runs handleEach on `event` with `handle`, keeping the log lines it writes. */
async function run(
  event: unknown,
  handle: (ref: S3ObjectRef) => Promise<{ status: string; key?: string }>,
) {
  const lines: Record<string, unknown>[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(JSON.parse(line));
  try {
    const outcomes = await handleEach(s3Objects(event), handle, {
      context: lambdaContext("test"),
      action: "handle",
      ownPrefix: "Cannot handle: ",
    }).catch((err: Error) => err);
    return { outcomes, lines };
  } finally {
    console.log = log;
  }
}

Deno.test("handleEach() handles the valid records next to one that is not from S3, then fails naming it", async () => {
  const handled: string[] = [];
  const { outcomes, lines } = await run(
    { Records: [record("a.csv"), { eventSource: "aws:sqs", body: "x" }, record("c.csv")] },
    (ref) => {
      handled.push(ref.key);
      return Promise.resolve({ status: "done", key: ref.key });
    },
  );
  assert.deepEqual(handled, ["a.csv", "c.csv"], "every valid record is tried");
  assert.ok(outcomes instanceof Error);
  const reason = "Cannot read record 2 of the event as an S3 record as its eventSource is not " +
    'aws:s3: {"eventSource":"aws:sqs","body":"x"}';
  assert.equal(outcomes.message, reason);
  assert.deepEqual(lines.map((l) => [l.message, l.key ?? l.record]), [
    ["done", "a.csv"],
    ["failed", 2],
    ["done", "c.csv"],
  ]);
  assert.equal(lines[1].reason, reason);
});

Deno.test("handleEach() fails a record without an eventName with that reason, not a TypeError of its own", async () => {
  const { eventName: _, ...noEventName } = record("b.csv");
  const { outcomes, lines } = await run(
    { Records: [noEventName, record("a.csv")] },
    (ref) => Promise.resolve({ status: ref.eventName.startsWith("ObjectCreated:") ? "done" : "?" }),
  );
  assert.ok(outcomes instanceof Error);
  assert.match(
    outcomes.message,
    /^Cannot read record 1 of the event as an S3 record as it has no eventName: \{"eventSource"/,
  );
  assert.deepEqual(lines.map((l) => l.message), ["failed", "done"]);
});

Deno.test("handleEach() succeeds on an event with no records, with a log line saying so", async () => {
  const { outcomes, lines } = await run({ Records: [] }, () => {
    throw new Error("not called");
  });
  assert.deepEqual(outcomes, []);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].message, "no records");
  assert.equal(lines[0].reason, "the event has no records: nothing to do");
  assert.equal(typeof lines[0].requestId, "string");
});
