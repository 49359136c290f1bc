import assert from "node:assert/strict";
import { bucketKey, offsetKey, tally, totalKey } from "./tally.ts";

const MINUTE = 60_000;
const options = { prefix: "c", bucketMs: MINUTE, retentionMs: 5 * MINUTE };

Deno.test("totalKey(), bucketKey() and offsetKey() lay out the keys under the prefix", () => {
  assert.equal(totalKey("clicks", "u-1"), "clicks:user:u-1:total");
  assert.equal(bucketKey("clicks", "u-1", 1793524500000), "clicks:user:u-1:1793524500000");
  assert.equal(offsetKey("clicks", "clicks", 2), "clicks:offset:clicks:2");
  // A user id that looks like another user's key still gets its own keys.
  assert.notEqual(totalKey("c", "a:total"), bucketKey("c", "a", 0));
  assert.notEqual(bucketKey("c", "a:1", 2), bucketKey("c", "a", 1));
});

Deno.test("tally() sums the batch into one increment per key", () => {
  const clicks = [
    { user_id: "a", url: "/", ts: 0 },
    { user_id: "a", url: "/x", ts: 59_999 },
    { user_id: "a", url: "/", ts: MINUTE },
    { user_id: "b", url: "/", ts: 30_000 },
  ];
  assert.deepEqual(tally(clicks, options), [
    { key: "c:user:a:total", by: 3 },
    { key: "c:user:a:0", by: 2, expireAt: 6 * MINUTE },
    { key: "c:user:a:60000", by: 1, expireAt: 7 * MINUTE },
    { key: "c:user:b:total", by: 1 },
    { key: "c:user:b:0", by: 1, expireAt: 6 * MINUTE },
  ]);
  assert.deepEqual(tally([], options), []);
});

Deno.test("tally() counts an old click in the total but writes no expired bucket", () => {
  const now = 100 * MINUTE;
  const clicks = [{ user_id: "a", url: "/", ts: 10 * MINUTE }, { user_id: "a", url: "/", ts: now }];
  assert.deepEqual(tally(clicks, { ...options, now }), [
    { key: "c:user:a:total", by: 2 },
    { key: `c:user:a:${now}`, by: 1, expireAt: now + 6 * MINUTE },
  ]);
});
