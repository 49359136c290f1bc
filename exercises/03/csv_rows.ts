/**
 * Counts the data rows of a CSV byte stream (an S3 object body) in constant
 * memory: csv-parse reads the bytes and each record is counted, then dropped.
 *
 * @module
 */
import { pipeline } from "node:stream/promises";
import { CsvError as ParseError, parse } from "csv-parse";

/** What {@linkcode countRows} found. */
export interface CsvCount {
  /** Data rows: records minus the header, blank lines not counted. */
  rows: number;
  /** Fields in the header (or the first record when `header` is false); 0 for an empty file. */
  columns: number;
  /** Bytes read from the source, BOM included. */
  bytes: number;
}

/** Options for {@linkcode countRows}. */
export interface CountRowsOptions {
  /** The first record is a header, not a data row. Default: `true`. */
  header?: boolean;
  /** Longest record kept in memory, so an unclosed quote fails fast. Default: 16 MiB. */
  maxRecordBytes?: number;
}

/** A CSV that cannot be counted; `line` is the 1-based line where the bad record starts. */
export class CsvError extends Error {
  /** The 1-based line where the bad record starts. */
  readonly line: number;

  constructor(line: number, reason: string) {
    super(`Cannot count rows: line ${line} ${reason}`);
    this.name = "CsvError";
    this.line = line;
  }
}

const reasons: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: "has a quote that is never closed",
  INVALID_OPENING_QUOTE: "has a quote inside an unquoted field",
  CSV_INVALID_CLOSING_QUOTE: "has text after the closing quote of a field",
};

const fields = (n: number) => `${n} field${n === 1 ? "" : "s"}`;

function quotedCrlfs(record: string[]): number {
  let count = 0;
  for (const field of record) {
    for (let i = field.indexOf("\r\n"); i !== -1; i = field.indexOf("\r\n", i + 2)) count++;
  }
  return count;
}

/**
 * Counts the data rows of a CSV (RFC 4180: quoted commas and newlines, `""`
 * escapes, CRLF, LF or CR line endings, even mixed, optional UTF-8 BOM and trailing newline). Lines that
 * are empty or hold only whitespace are skipped, so an empty file counts 0.
 * Throws {@linkcode CsvError} for broken quoting or a record whose field count
 * differs from the first record's.
 *
 * @example
 * ```ts
 * const body = ReadableStream.from([new TextEncoder().encode('id,note\n1,"a, b"\n2,x\n')]);
 * await countRows(body); // { rows: 2, columns: 2, bytes: 21 }
 * ```
 */
export async function countRows(
  source: AsyncIterable<Uint8Array>,
  options: CountRowsOptions = {},
): Promise<CsvCount> {
  const { header = true, maxRecordBytes = 16 * 1024 * 1024 } = options;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1) {
    throw new RangeError(
      `Cannot count rows as 'maxRecordBytes' is not a positive integer: got ${maxRecordBytes}`,
    );
  }
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
    max_record_size: maxRecordBytes,
  });
  // A "data" listener runs as each record is parsed (parser.info is current),
  // and costs less than on_record, which builds an info object per record.
  parser.on("data", (record: string[]) => {
    const { lines, empty_lines } = parser.info;
    const line = startLine(empty_lines);
    if (record.length > 1 || record[0].trim() !== "") {
      if (records++ === 0) columns = record.length;
      else if (record.length !== columns) {
        const first = header ? "the header" : "the first record";
        const reason = `has ${fields(record.length)}, ${first} has ${columns}`;
        parser.destroy(new CsvError(line, reason));
        return;
      }
    }
    if (lines - extraLines > line) extraLines += quotedCrlfs(record); // a multi-line record
    endLine = lines;
    emptyLines = empty_lines;
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
    const reason = err.code === "CSV_MAX_RECORD_SIZE"
      ? `starts a record longer than ${maxRecordBytes} bytes, probably an unclosed quote`
      : reasons[err.code] ?? `is not valid CSV: ${err.message}`;
    throw new CsvError(startLine(err.empty_lines as number), reason);
  }
  return { rows: header ? Math.max(records - 1, 0) : records, columns, bytes };
}

/**
 * Whether an S3 key names a CSV object: it ends in `.csv`, any case. Compressed
 * objects such as `.csv.gz` are not counted (countRows reads plain bytes).
 *
 * @example
 * ```ts
 * isCsvKey("incoming/Orders.CSV"); // true
 * isCsvKey("incoming/orders.csv.gz"); // false
 * ```
 */
export function isCsvKey(key: string): boolean {
  return key.toLowerCase().endsWith(".csv");
}
