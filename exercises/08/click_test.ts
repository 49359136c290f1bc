import assert from "node:assert/strict";
import { checkClick, parseClick } from "./click.ts";

const ts = "2026-11-01T09:15:00Z";
const valid = { user_id: "u-1", url: "/cart", ts };
const ms = Date.parse(ts);

Deno.test("parseClick() accepts a click with an ISO 8601 ts and returns epoch ms", () => {
  assert.deepEqual(parseClick(JSON.stringify(valid)), {
    ok: true,
    click: { user_id: "u-1", url: "/cart", ts: ms },
  });
});

Deno.test("checkClick() accepts epoch ms, integer user ids, zones and fractions", () => {
  assert.deepEqual(checkClick({ user_id: 7, url: "/", ts: ms }), {
    ok: true,
    click: { user_id: "7", url: "/", ts: ms },
  });
  const at = (t: string) => {
    const checked = checkClick({ ...valid, ts: t });
    return checked.ok ? checked.click.ts : checked.reason;
  };
  assert.equal(at("2026-11-01T14:45:00+05:30"), ms);
  assert.equal(at("2026-11-01T09:15:00.250Z"), ms + 250);
  assert.equal(at("2026-11-01T09:15Z"), ms);
});

Deno.test("parseClick() rejects what is not JSON or has no value", () => {
  const cut = parseClick('{"user_id": "u-1", "url": "/cart", "ts": "2026');
  assert.equal(cut.ok, false);
  assert.match(!cut.ok ? cut.reason : "", /^not valid JSON: /);
  assert.deepEqual(parseClick(null), { ok: false, reason: "the message has no value" });
});

Deno.test("checkClick() rejects each broken field with its own reason", () => {
  const badTs = "ts must be epoch milliseconds or an ISO 8601 date-time with a zone: got";
  const cases: [unknown, string][] = [
    [["u-1", "/", ts], "a click must be a JSON object: got an array"],
    [42, "a click must be a JSON object: got number 42"],
    [null, "a click must be a JSON object: got null"],
    [{ ...valid, user_id: undefined }, "user_id is missing"],
    [{ ...valid, user_id: "" }, "user_id is missing"],
    [{ ...valid, user_id: null }, "user_id is missing"],
    [{ ...valid, user_id: 1.5 }, "user_id must be a string or an integer: got number 1.5"],
    [
      { ...valid, user_id: { id: 1 } },
      "user_id must be a string or an integer: got an object",
    ],
    [{ ...valid, user_id: "x".repeat(129) }, "user_id is longer than 128 characters"],
    [{ ...valid, url: undefined }, "url is missing"],
    [{ ...valid, url: 5 }, "url must be a string: got number 5"],
    [{ ...valid, ts: undefined }, "ts is missing"],
    [{ ...valid, ts: "yesterday" }, `${badTs} string "yesterday"`],
    [{ ...valid, ts: "2026-11-01" }, `${badTs} string "2026-11-01"`],
    [{ ...valid, ts: "2026-11-01T09:15:00" }, `${badTs} string "2026-11-01T09:15:00"`],
    [{ ...valid, ts: "2026-13-01T09:15:00Z" }, `${badTs} string "2026-13-01T09:15:00Z"`],
    [{ ...valid, ts: -1 }, `${badTs} number -1`],
    [{ ...valid, ts: 1.5 }, `${badTs} number 1.5`],
    [{ ...valid, ts: true }, `${badTs} boolean true`],
    // Cut after 60 characters, between code points: a lone surrogate would reach the dead letter.
    [{ ...valid, url: ["/"] }, "url must be a string: got an array"],
    [
      { ...valid, ts: "😀".repeat(5000) },
      `${badTs} string "${"😀".repeat(60)}…" (5000 characters)`,
    ],
  ];
  for (const [value, reason] of cases) {
    assert.deepEqual(checkClick(value), { ok: false, reason }, JSON.stringify(value));
  }
});

Deno.test("checkClick() rejects a ts too far after the record's Kafka timestamp", () => {
  const options = { recordTimestamp: ms, maxSkewMs: 60_000 };
  assert.equal(checkClick({ ...valid, ts: ms + 60_000 }, options).ok, true);
  assert.equal(checkClick({ ...valid, ts: ms - 86_400_000 }, options).ok, true, "late is fine");
  const future = checkClick({ ...valid, ts: ms + 60_001 }, options);
  assert.deepEqual(future, {
    ok: false,
    reason:
      `ts is more than 60000 ms after the record's Kafka timestamp 2026-11-01T09:15:00.000Z: got number ${
        ms + 60_001
      }`,
  });
});
