import assert from "node:assert/strict";
import { type ReadOptions, readRecords } from "./records.ts";

/** Feeds the bytes in chunks of `size` bytes, to cross every boundary (also inside a character). */
async function rawRecords(bytes: Uint8Array, size = bytes.length || 1, options?: ReadOptions) {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
  return await Array.fromAsync(readRecords(ReadableStream.from(chunks), options));
}

/** The records of `text` as text, read in chunks of `size` bytes. */
async function records(text: string, size?: number): Promise<{ line: number; text: string }[]> {
  const raw = await rawRecords(new TextEncoder().encode(text), size);
  return raw.map((r) => ({ line: r.line, text: new TextDecoder().decode(r.bytes) }));
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

Deno.test("readRecords() keeps each record's bytes exactly, whatever the chunk boundaries", async () => {
  const text = '[{"name":"₹ 10,000 — 𝄞 ok"},\n{"city":"Zürich"}]';
  for (const size of [1, 2, 3, 5]) {
    assert.deepEqual(await records(text, size), [
      { line: 1, text: '{"name":"₹ 10,000 — 𝄞 ok"}' },
      { line: 2, text: '{"city":"Zürich"}' },
    ], `chunk size ${size}`);
  }
});

Deno.test("readRecords() passes invalid UTF-8 through untouched, for the producer to reject", async () => {
  const bad = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x22, 0x7d]);
  const file = new Uint8Array([...bad, 0x0a, ...new TextEncoder().encode('{"b":1}')]);
  for (const size of [1, 4, file.length]) {
    const got = await rawRecords(file, size);
    assert.deepEqual(got.map((r) => [r.line, [...r.bytes]]), [
      [1, [...bad]],
      [2, [...new TextEncoder().encode('{"b":1}')]],
    ]);
  }
});

Deno.test("readRecords() skips a UTF-8 byte order mark and refuses UTF-16", async () => {
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('[{"a":1}]')]);
  for (const size of [1, 2, bom.length]) {
    const got = await rawRecords(bom, size);
    assert.deepEqual(got.map((r) => new TextDecoder().decode(r.bytes)), ['{"a":1}']);
  }
  for (const mark of [[0xff, 0xfe], [0xfe, 0xff]]) {
    await assert.rejects(
      rawRecords(new Uint8Array([...mark, 0x5b, 0x00, 0x5d, 0x00]), 1),
      /Cannot read the orders as they are UTF-16/,
    );
  }
});

Deno.test("readRecords() reports every blank NDJSON line, and only those", async () => {
  const blank: number[] = [];
  const text = '\n{"a":1}\r\n \t\n\n{"a":2}\n\u00a0\n';
  const got = await rawRecords(new TextEncoder().encode(text), 3, {
    onBlankLine: (l) => blank.push(l),
  });
  assert.deepEqual(blank, [1, 3, 4]);
  // A no-break space is not JSON whitespace: that line is a record (and fails to parse).
  assert.deepEqual(got.map((r) => r.line), [2, 5, 6]);
});
