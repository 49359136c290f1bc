import assert from "node:assert/strict";
import { describe, shorten } from "./describe.ts";

Deno.test("describe() names the type and shows the value", () => {
  const cases: [unknown, string][] = [
    ["25000", 'string "25000"'],
    ["", 'string ""'],
    [42, "number 42"],
    [1.5, "number 1.5"],
    [NaN, "number NaN"],
    [true, "boolean true"],
    [12n, "bigint 12"],
    [Symbol("s"), "symbol Symbol(s)"],
    [null, "null"],
    [undefined, "undefined"],
    [[1, 2], "an array"],
    [{ a: 1 }, "an object"],
    [Object.create(null), "an object"],
    [() => 1, "a function"],
  ];
  for (const [value, shown] of cases) assert.equal(describe(value), shown, String(shown));
});

Deno.test("describe() escapes control characters and lone surrogates inside the quotes", () => {
  assert.equal(describe('a"b\n\u0000'), String.raw`string "a\"b\n\u0000"`);
  assert.equal(describe("\ud800x\udc00"), String.raw`string "\ud800x\udc00"`);
});

Deno.test("describe() cuts long text after 60 characters and says how long it was", () => {
  assert.equal(describe("7".repeat(60)), `string "${"7".repeat(60)}"`);
  assert.equal(describe("7".repeat(61)), `string "${"7".repeat(60)}…" (61 characters)`);
  assert.equal(describe("7".repeat(5_000_000)), `string "${"7".repeat(60)}…" (5000000 characters)`);
  assert.equal(describe(10n ** 99n), `bigint ${"1".padEnd(60, "0")}… (100 characters)`);
});

Deno.test("describe() counts and cuts by code points, never splitting a surrogate pair", () => {
  assert.equal(describe("😀".repeat(60)), `string "${"😀".repeat(60)}"`);
  assert.equal(describe("😀".repeat(61)), `string "${"😀".repeat(60)}…" (61 characters)`);
  // Every cut point of a mixed string: the shown text is always well-formed.
  for (let n = 55; n < 70; n++) {
    const text = "a".repeat(n % 2) + "😀é".repeat(n);
    const shown = describe(text);
    assert.ok(shown.isWellFormed(), shown);
    assert.ok(!shown.includes("\\ud"), shown);
    assert.match(shown, new RegExp(`\\(${[...text].length} characters\\)$`));
  }
});

Deno.test("shorten() counts code points", () => {
  assert.equal(shorten("abcdef", 3), "abc…");
  assert.equal(shorten("abc", 3), "abc");
  assert.equal(shorten("😀😀😀", 2), "😀😀…");
  assert.equal(shorten("😀😀", 2), "😀😀");
  assert.equal(shorten("a\ud800", 1), "a…");
  assert.equal(shorten("", 0), "");
});
