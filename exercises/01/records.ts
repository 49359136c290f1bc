/**
 * Splits an orders file into records without loading it whole: a JSON array
 * (`[{…}, {…}]`) or NDJSON (one JSON value per line). Each record keeps the
 * line it starts on, so a rejection can point at it.
 *
 * It works on bytes, not text: every byte that matters to the split (`[ ] { }
 * , " \ \n`) is ASCII and never part of a multi-byte UTF-8 sequence, so each
 * record keeps its bytes exactly as they were, and the producer decodes each
 * one strictly (a record with invalid UTF-8 is rejected and kept, never
 * turned into U+FFFD).
 *
 * @module
 */

/** The raw bytes of one record and the 1-based line it starts on. */
export interface RawRecord {
  line: number;
  bytes: Uint8Array;
}

/** Options for {@linkcode readRecords}. */
export interface ReadOptions {
  /** Called for each blank line of an NDJSON file (skipped: it is no record). */
  onBlankLine?: (line: number) => void;
}

const LF = 0x0a, CR = 0x0d, QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
const OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d, OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d;
const BOM = [0xef, 0xbb, 0xbf];

/** JSON's whitespace (RFC 8259): space, tab, LF, CR. Nothing else is blank. */
function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === LF || b === CR;
}

/**
 * Yields the records of a JSON array or NDJSON byte stream, in order, in
 * constant memory (one record at a time). The format is chosen by the first
 * non-blank byte: `[` means a JSON array. A UTF-8 byte order mark at the
 * start is skipped; a UTF-16 one is an error (JSON files are UTF-8).
 *
 * A record that is not valid JSON is still yielded (its bytes are what the
 * dead-letter topic keeps); a JSON array cut short yields what is left as a
 * last record, which then fails to parse.
 *
 * @example
 * ```ts
 * const bytes = ReadableStream.from([new TextEncoder().encode('[{"a":1},\n{"a":2}]')]);
 * for await (const r of readRecords(bytes)) console.log(r.line, new TextDecoder().decode(r.bytes));
 * // 1 {"a":1}
 * // 2 {"a":2}
 * ```
 */
export async function* readRecords(
  chunks: AsyncIterable<Uint8Array>,
  options: ReadOptions = {},
): AsyncGenerator<RawRecord> {
  const it = chunks[Symbol.asyncIterator]();
  let head: Uint8Array = new Uint8Array(0);
  while (head.length < 3) {
    const next = await it.next();
    if (next.done) break;
    head = concat([head, next.value]);
  }
  if (head[0] === 0xff && head[1] === 0xfe || head[0] === 0xfe && head[1] === 0xff) {
    throw new TypeError(
      "Cannot read the orders as they are UTF-16 (they start with a UTF-16 byte order mark): save them as UTF-8",
    );
  }
  if (BOM.every((b, i) => head[i] === b)) head = head.subarray(3);
  // Hold the chunks until the first non-blank byte picks the format.
  const seen: Uint8Array[] = [head];
  let first = head.find((b) => !isSpace(b));
  while (first === undefined) {
    const next = await it.next();
    if (next.done) break;
    seen.push(next.value);
    first = next.value.find((b) => !isSpace(b));
  }
  const all = (async function* () {
    yield* seen;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  })();
  if (first === OPEN_ARRAY) yield* arrayRecords(all);
  else yield* lineRecords(all, options.onBlankLine);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The bytes without JSON whitespace at either end. */
function trim(bytes: Uint8Array): Uint8Array {
  let start = 0, end = bytes.length;
  while (start < end && isSpace(bytes[start])) start++;
  while (end > start && isSpace(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}

async function* lineRecords(
  chunks: AsyncIterable<Uint8Array>,
  onBlankLine?: (line: number) => void,
): AsyncGenerator<RawRecord> {
  let line = 0;
  let parts: Uint8Array[] = [];
  const record = (bytes: Uint8Array): RawRecord | undefined => {
    line++;
    const text = bytes.at(-1) === CR ? bytes.subarray(0, -1) : bytes;
    if (trim(text).length > 0) return { line, bytes: text };
    onBlankLine?.(line);
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (let nl = chunk.indexOf(LF); nl !== -1; nl = chunk.indexOf(LF, from)) {
      parts.push(chunk.subarray(from, nl));
      from = nl + 1;
      const r = record(concat(parts));
      parts = [];
      if (r) yield r;
    }
    if (from < chunk.length) parts.push(chunk.slice(from));
  }
  if (parts.length > 0) {
    const r = record(concat(parts));
    if (r) yield r;
  }
}

/**
 * Scans a top-level JSON array byte by byte, tracking nesting and strings,
 * and cuts it at the commas between its elements.
 */
async function* arrayRecords(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<RawRecord> {
  let line = 1;
  let depth = 0; // 0: before '[', 1: inside the top-level array, >1: inside an element
  let inString = false;
  let escaped = false;
  let done = false;
  let current: Uint8Array[] = [];
  let startLine = 0;
  let trailing: Uint8Array[] | undefined; // what follows the closing bracket
  let trailingLine = 0;
  for await (const chunk of chunks) {
    if (trailing) {
      trailing.push(chunk.slice());
      continue;
    }
    let from = 0; // start of the part of `chunk` that belongs to `current`
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === LF) line++;
      if (done) {
        if (!isSpace(c)) {
          trailing = [chunk.slice(i)];
          trailingLine = line;
          break;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (depth === 0) {
        if (c === OPEN_ARRAY) {
          depth = 1;
          from = i + 1;
        }
        continue;
      }
      if (depth === 1 && (c === COMMA || c === CLOSE_ARRAY)) {
        current.push(chunk.subarray(from, i));
        const bytes = trim(concat(current));
        if (bytes.length > 0) yield { line: startLine, bytes };
        else if (c === COMMA) yield { line, bytes };
        current = [];
        startLine = 0;
        from = i + 1;
        if (c === CLOSE_ARRAY) done = true;
        continue;
      }
      if (depth === 1 && startLine === 0 && !isSpace(c)) startLine = line;
      if (c === QUOTE) inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      // A stray '}' at depth 1 belongs to a broken element: keep scanning the array.
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && depth > 1) depth--;
    }
    if (!done && depth > 0) current.push(chunk.slice(from));
  }
  if (trailing) {
    yield { line: trailingLine, bytes: trim(concat(trailing)) };
    return;
  }
  const bytes = trim(concat(current));
  if (!done && bytes.length > 0) yield { line: startLine, bytes };
  else if (!done) yield { line, bytes };
}
