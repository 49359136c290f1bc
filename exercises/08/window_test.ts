import assert from "node:assert/strict";
import {
  bucketExpiry,
  bucketStart,
  formatDuration,
  parseDuration,
  parseWindow,
  windowBuckets,
} from "./window.ts";

const MINUTE = 60_000;
const limits = { bucketMs: MINUTE, maxMs: 60 * MINUTE, defaultMs: 5 * MINUTE };

Deno.test("parseDuration() reads whole numbers with a unit, and nothing else", () => {
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration(" 2m "), 120_000);
  assert.equal(parseDuration("0s"), 0);
  for (const bad of ["", "5", "m", "1.5m", "-1m", "5 m", "5min", "1d", "1e3s", "5M"]) {
    assert.equal(parseDuration(bad), null, bad);
  }
});

Deno.test("formatDuration() picks the largest unit that divides exactly", () => {
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(300_000), "5m");
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(1_500), "1500ms");
  assert.equal(formatDuration(0), "0ms");
});

Deno.test("bucketStart() floors to the bucket, also exactly on a boundary", () => {
  const nine15 = Date.parse("2026-11-01T09:15:00Z");
  assert.equal(bucketStart(nine15 + 59_999, MINUTE), nine15);
  assert.equal(bucketStart(nine15, MINUTE), nine15);
  assert.equal(bucketStart(nine15 - 1, MINUTE), nine15 - MINUTE);
  assert.equal(bucketStart(1_250, 500), 1_000);
});

Deno.test("windowBuckets() is the current bucket and the ones before it, newest first", () => {
  const now = Date.parse("2026-11-01T09:15:42Z");
  const at = (hhmm: string) => Date.parse(`2026-11-01T${hhmm}:00Z`);
  assert.deepEqual(windowBuckets(now, 3 * MINUTE, MINUTE), [at("09:15"), at("09:14"), at("09:13")]);
  assert.deepEqual(windowBuckets(now, MINUTE, MINUTE), [at("09:15")]);
  assert.equal(windowBuckets(now, 60 * MINUTE, MINUTE).length, 60);
});

Deno.test("bucketExpiry() keeps a bucket while any window can still reach it", () => {
  const start = Date.parse("2026-11-01T09:00:00Z");
  const expiry = bucketExpiry(start, MINUTE, 60 * MINUTE);
  // The longest window still holds the bucket one millisecond before the hour is over.
  assert.ok(windowBuckets(start + 60 * MINUTE - 1, 60 * MINUTE, MINUTE).includes(start));
  assert.ok(!windowBuckets(start + 60 * MINUTE, 60 * MINUTE, MINUTE).includes(start));
  assert.ok(expiry > start + 60 * MINUTE, "kept past that, with a bucket of slack");
  assert.equal(expiry, start + 61 * MINUTE);
});

Deno.test("parseWindow() uses the default when the parameter is absent", () => {
  assert.equal(parseWindow(undefined, limits), 5 * MINUTE);
  assert.equal(parseWindow("1m", limits), MINUTE);
  assert.equal(parseWindow("60m", limits), 60 * MINUTE);
  assert.equal(parseWindow("1h", limits), 60 * MINUTE);
  assert.equal(parseWindow("120s", limits), 2 * MINUTE);
});

Deno.test("parseWindow() rejects bad windows with a message that says why", () => {
  const cases: [string, RegExp][] = [
    ["", /not a duration such as 30s, 5m or 1h: current value is ""/],
    ["5", /not a duration such as 30s, 5m or 1h: current value is "5"/],
    ["abc", /not a duration/],
    ["-5m", /not a duration/],
    ["0m", /not a whole number of 1m buckets: current value is "0m"/],
    ["90s", /not a whole number of 1m buckets: current value is "90s"/],
    ["61m", /longer than the 1h the counts are kept for: current value is "61m"/],
    ["2h", /longer than the 1h/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => parseWindow(value, limits), (err: Error) => {
      assert.equal(err.name, "RangeError");
      assert.match(err.message, /^Cannot use 'window' as it is /);
      assert.match(err.message, message);
      return true;
    }, value);
  }
});
