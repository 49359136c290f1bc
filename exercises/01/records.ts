/**
 * Splits an orders file into records without loading it whole: a JSON array
 * (`[{…}, {…}]`) or NDJSON (one JSON value per line). Each record keeps the
 * line it starts on, so a rejection can point at it.
 *
 * @module
 */

/** The raw text of one record and the 1-based line it starts on. */
export interface RawRecord {
  line: number;
  text: string;
}

/**
 * Yields the records of a JSON array or NDJSON text stream, in order, in
 * constant memory (one record at a time). The format is chosen by the first
 * non-blank character: `[` means a JSON array.
 *
 * A record that is not valid JSON is still yielded (its text is what the
 * dead-letter topic keeps); a JSON array cut short yields what is left as a
 * last record, which then fails to parse.
 *
 * @example
 * ```ts
 * const text = ReadableStream.from(['[{"a":1},\n{"a":2}]']);
 * for await (const r of readRecords(text)) console.log(r.line, r.text);
 * // 1 {"a":1}
 * // 2 {"a":2}
 * ```
 */
export async function* readRecords(chunks: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  const it = chunks[Symbol.asyncIterator]();
  let first = "";
  // Find the first non-blank character to pick the format.
  while (first.trim() === "") {
    const next = await it.next();
    if (next.done) return;
    first += next.value;
  }
  const rest: AsyncIterable<string> = { [Symbol.asyncIterator]: () => it };
  const all = prepend(first, rest);
  if (first.trimStart().startsWith("[")) yield* arrayRecords(all);
  else yield* lineRecords(all);
}

async function* prepend(head: string, tail: AsyncIterable<string>): AsyncGenerator<string> {
  yield head;
  yield* tail;
}

async function* lineRecords(chunks: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  let line = 0;
  let carry = "";
  for await (const chunk of chunks) {
    const parts = (carry + chunk).split("\n");
    carry = parts.pop()!;
    for (const part of parts) {
      line++;
      const text = part.endsWith("\r") ? part.slice(0, -1) : part;
      if (text.trim() !== "") yield { line, text };
    }
  }
  line++;
  if (carry.trim() !== "") yield { line, text: carry.endsWith("\r") ? carry.slice(0, -1) : carry };
}

/**
 * Scans a top-level JSON array character by character, tracking nesting and
 * strings, and cuts it at the commas between its elements.
 */
async function* arrayRecords(chunks: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  let line = 1;
  let depth = 0; // 0: before '[', 1: inside the top-level array, >1: inside an element
  let inString = false;
  let escaped = false;
  let done = false;
  let current = "";
  let startLine = 0;
  for await (const chunk of chunks) {
    let from = 0; // start of the part of `chunk` that belongs to `current`
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === "\n") line++;
      if (done) {
        if (c.trim() !== "") {
          yield { line, text: chunk.slice(i).trim() };
          return;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (depth === 0) {
        if (c === "[") {
          depth = 1;
          from = i + 1;
        }
        continue;
      }
      if (depth === 1 && (c === "," || c === "]")) {
        current += chunk.slice(from, i);
        if (current.trim() !== "") yield { line: startLine, text: current.trim() };
        else if (c === ",") yield { line, text: "" };
        current = "";
        startLine = 0;
        from = i + 1;
        if (c === "]") done = true;
        continue;
      }
      if (depth === 1 && startLine === 0 && c.trim() !== "") startLine = line;
      if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      // A stray '}' at depth 1 belongs to a broken element: keep scanning the array.
      else if ((c === "}" || c === "]") && depth > 1) depth--;
    }
    if (!done && depth > 0) current += chunk.slice(from);
  }
  if (!done && current.trim() !== "") yield { line: startLine, text: current.trim() };
  else if (!done) yield { line, text: "" };
}
