import assert from "node:assert/strict";
import { type RawRecord, readRecords } from "./records.ts";

/** Feeds the text in chunks of `size` characters, to cross every boundary. */
async function records(text: string, size = text.length || 1): Promise<RawRecord[]> {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return await Array.fromAsync(readRecords(ReadableStream.from(chunks)));
}

Deno.test("readRecords() splits a JSON array into its elements with their lines", async () => {
  const text = '[\n  {"a": 1, "b": [1, 2]},\n  {"s": "x, y ] }"},\n  7\n]\n';
  const expected = [
    { line: 2, text: '{"a": 1, "b": [1, 2]}' },
    { line: 3, text: '{"s": "x, y ] }"}' },
    { line: 4, text: "7" },
  ];
  for (const size of [1, 2, 3, 7, text.length]) {
    assert.deepEqual(await records(text, size), expected, `chunk size ${size}`);
  }
});

Deno.test("readRecords() handles escaped quotes inside strings", async () => {
  const text = '[{"q": "say \\"hi\\", {ok}"}, {"b": "\\\\"}]';
  assert.deepEqual(await records(text, 1), [
    { line: 1, text: '{"q": "say \\"hi\\", {ok}"}' },
    { line: 1, text: '{"b": "\\\\"}' },
  ]);
});

Deno.test("readRecords() reads NDJSON line by line, skipping blank lines and CRLF", async () => {
  const text = '{"a":1}\r\n\r\n{"a":2}\n  \n{"a":3}';
  for (const size of [1, 4, text.length]) {
    assert.deepEqual(await records(text, size), [
      { line: 1, text: '{"a":1}' },
      { line: 3, text: '{"a":2}' },
      { line: 5, text: '{"a":3}' },
    ]);
  }
});

Deno.test("readRecords() keeps a broken NDJSON line as a record", async () => {
  assert.deepEqual(await records('{"a":1}\n{"a":\n'), [
    { line: 1, text: '{"a":1}' },
    { line: 2, text: '{"a":' },
  ]);
});

Deno.test("readRecords() yields the rest of an array cut short as a last record", async () => {
  assert.deepEqual(await records('[{"a":1},\n{"a": 2, "b"'), [
    { line: 1, text: '{"a":1}' },
    { line: 2, text: '{"a": 2, "b"' },
  ]);
  assert.deepEqual(await records('[{"a":1},'), [{ line: 1, text: '{"a":1}' }, {
    line: 1,
    text: "",
  }]);
});

Deno.test("readRecords() yields text after the closing bracket as a record", async () => {
  assert.deepEqual(await records('[{"a":1}]\n{"b":2}\n'), [
    { line: 1, text: '{"a":1}' },
    { line: 2, text: '{"b":2}' },
  ]);
});

Deno.test("readRecords() yields nothing for an empty file or an empty array", async () => {
  assert.deepEqual(await records(""), []);
  assert.deepEqual(await records("  \n"), []);
  assert.deepEqual(await records("[ ]"), []);
});

Deno.test("readRecords() keeps an empty element between commas", async () => {
  assert.deepEqual(await records("[1,,2]"), [
    { line: 1, text: "1" },
    { line: 1, text: "" },
    { line: 1, text: "2" },
  ]);
});
