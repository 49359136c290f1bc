/**
 * Internal test helper: the former csv-parse implementation of countRows, kept
 * as the reference the byte scanner in csv_rows.ts is tested against.
 *
 * @module
 */
import { pipeline } from "node:stream/promises";
import { CsvError as ParseError, parse } from "csv-parse";
import { type CountRowsOptions, type CsvCount, CsvError } from "./csv_rows.ts";

// csv-parse error codes, in plain words.
const reasons: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: "has a quote that is never closed",
  INVALID_OPENING_QUOTE: "has a quote inside an unquoted field",
  CSV_INVALID_CLOSING_QUOTE: "has text after the closing quote of a field",
};
const fields = (n: number) => `${n} field${n === 1 ? "" : "s"}`;

/**
 * The csv-parse implementation that `countRows()` replaced, kept as a
 * reference for the differential test: same signature, same errors. csv-parse
 * builds every field string, so it is 5 to 10 times slower.
 *
 * @example
 * ```ts
 * await countRowsWithCsvParse(ReadableStream.from([new TextEncoder().encode("a\n1\n")]));
 * ```
 */
export async function countRowsWithCsvParse(
  source: AsyncIterable<Uint8Array>,
  options: CountRowsOptions = {},
): Promise<CsvCount> {
  const { header = true } = options;
  let records = 0, columns = 0, bytes = 0;
  // csv-parse only tells the line where a record ends: the next one starts
  // after it and the empty lines skipped since. It counts a quoted CRLF as two.
  let endLine = 0, emptyLines = 0, extraLines = 0;
  const startLine = (emptyNow: number) => endLine - extraLines + 1 + emptyNow - emptyLines;
  const parser = parse({
    bom: true,
    record_delimiter: ["\r\n", "\n", "\r"], // any, per line: csv-parse keeps the first it sees
    skip_empty_lines: true,
    relax_column_count: true, // checked below, so whitespace-only lines can be skipped
    // Called as each record ends, on the line it ends on; returning null keeps nothing.
    on_record: (record: string[], { lines, empty_lines }) => {
      const line = startLine(empty_lines);
      if (record.length > 1 || record[0].trim() !== "") {
        if (records++ === 0) columns = record.length;
        else if (record.length !== columns) {
          const first = header ? "the header" : "the first record";
          throw new CsvError(line, `has ${fields(record.length)}, ${first} has ${columns}`);
        }
      }
      // Only a record over several lines can hold a quoted CRLF: rare, so split.
      if (lines - extraLines > line) extraLines += record.join(",").split("\r\n").length - 1;
      endLine = lines;
      emptyLines = empty_lines;
      return null;
    },
  });
  async function* tally() {
    for await (const chunk of source) {
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  try {
    await pipeline(tally(), parser);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    const reason = reasons[err.code] ?? `is not valid CSV: ${err.message}`;
    throw new CsvError(startLine(err.empty_lines as number), reason);
  }
  return { rows: header ? Math.max(records - 1, 0) : records, columns, bytes };
}

/**
 * Whether csv-parse skips a record that `countRows()` counts, the one known
 * difference: a record of one field that trim() calls blank although it is
 * quoted (`""`, `" "`, `"\n"`) or holds other whitespace than spaces and tabs
 * (a stray BOM, a no-break space). csv-parse skipped those as blank lines.
 *
 * @example
 * ```ts
 * await skipsBlankLikeRecord(new TextEncoder().encode('a\n""\n')); // true
 * ```
 */
export async function skipsBlankLikeRecord(bytes: Uint8Array): Promise<boolean> {
  let found = false;
  const parser = parse({
    bom: true,
    record_delimiter: ["\r\n", "\n", "\r"],
    skip_empty_lines: true,
    relax_column_count: true,
    raw: true,
    on_record: (data) => {
      // With raw, each record comes as { record, raw } (the types do not say so).
      const { record, raw } = data as unknown as { record: string[]; raw: string };
      const [field] = record, quoted = raw.trimStart().startsWith('"');
      if (record.length === 1 && field.trim() === "" && (quoted || /[^ \t]/.test(field))) {
        found = true;
      }
      return null;
    },
  });
  await pipeline([bytes], parser).catch(() => {}); // stops at the first error
  return found;
}
