import assert from "node:assert/strict";
import { parseUserId, userKey } from "./user_key.ts";

Deno.test("parseUserId() returns one canonical form for a number and its string", () => {
  assert.equal(parseUserId(42), "42");
  assert.equal(parseUserId("42"), "42");
  assert.equal(parseUserId("9007199254740991"), "9007199254740991");
});

Deno.test("parseUserId() rejects a 16-digit id above 2^53 - 1, which a JSON number cannot hold", () => {
  // 9007199254740993 as a JSON number reads back as ...992: another user.
  for (const id of ["9007199254740992", "9007199254740993", "9999999999999999"]) {
    assert.throws(() => parseUserId(id), {
      name: "RangeError",
      message: /at most 9007199254740991:/,
    });
  }
  assert.equal(parseUserId("9007199254740991"), "9007199254740991");
  assert.equal(parseUserId(Number.MAX_SAFE_INTEGER), "9007199254740991");
});

Deno.test("parseUserId() rejects ids that would be cached as another key", () => {
  const bad: unknown[] = [
    "042",
    " 42",
    "42 ",
    "4.2e1",
    "1e3",
    "-1",
    "0",
    "",
    "42:*",
    "*",
    "abc",
    "99999999999999999",
    1.5,
    -3,
    0,
    Number.NaN,
    2 ** 53,
    null,
    undefined,
    {},
    [42],
  ];
  for (const id of bad) assert.throws(() => parseUserId(id), RangeError, String(id));
});

Deno.test("parseUserId() names the bad value in its message", () => {
  assert.throws(() => parseUserId("42:*"), {
    name: "RangeError",
    message: `Cannot look up user as the id is not a positive integer without leading zeros, ` +
      `at most 9007199254740991: ` +
      `current value is string "42:*"`,
  });
  assert.throws(() => parseUserId(null), /current value is null$/);
  assert.throws(() => parseUserId([42]), /current value is an array$/);
  assert.throws(() => parseUserId(4.5), /current value is number 4.5$/);
});

Deno.test("parseUserId() cuts a long id in its message, by characters", () => {
  const message = (id: string) => {
    try {
      parseUserId(id);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`accepted ${id}`);
  };
  assert.equal(
    message("7".repeat(5000)),
    `Cannot look up user as the id is not a positive integer without leading zeros, ` +
      `at most 9007199254740991: ` +
      `current value is string "${"7".repeat(60)}…" (5000 characters)`,
  );
  // 61 emoji: cut after 60 of them, never inside one (a lone surrogate).
  assert.match(message("😀".repeat(61)), /is string "(😀){60}…" \(61 characters\)$/);
  assert.match(message("😀".repeat(60)), /is string "(😀){60}"$/);
});

Deno.test("userKey() puts the id under the prefix", () => {
  assert.equal(userKey("users:v1", "42"), "users:v1:42");
});
