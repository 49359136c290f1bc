/**
 * Orders (the body of an S3 object) to one summary row per customer, with
 * Polars: reading, checks, paise, group by, sums, averages, sort.
 *
 * Two readers, one result. Polars's JSON reader (`pl.readJSON`) is ~3× faster
 * than `JSON.parse` record by record and keeps the data out of the JS heap,
 * but it coerces silently: a `customer_id` of `1.5`, `true` or `{}` becomes
 * the string `"1.5"`, `"true"`, `'{"x": 1}'`, and it cannot say which record
 * is wrong. So its frame is used only when no value in it could be such a
 * coercion or is otherwise out of bounds; when it fails or anything looks
 * off, the TypeScript reader reads the input again, record by record, and
 * either names the first bad record or (a false alarm, e.g. a real string
 * id `"1.5"`) gives the frame. Everything is checked before any output
 * exists, so a bad input never gives half an output.
 *
 * A JSON array always goes to the TypeScript reader (one element at a time,
 * never the whole tree): Polars's array reader turns `true`/`false` into
 * 1/0 in a number column, which no check after the fact can see. Its NDJSON
 * reader refuses them.
 *
 * Known difference from `JSON.parse`: in a record with a repeated key
 * (`{"amount": 5, "amount": 7}`), Polars keeps the first value and
 * `JSON.parse` the last.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import {
  type CustomerSummary,
  describe,
  HIGH_VALUE_PAISE,
  type Place,
  TransformError,
  type TransformResult,
} from "./summary.ts";

/** Options of {@linkcode transformOrders}. */
export interface TransformOptions {
  /**
   * `"polars"`: Polars reads, TypeScript only when in doubt. `"typescript"`:
   * always the TypeScript reader (slower; for tests and benchmarks).
   * Default: `"polars"`.
   */
  reader?: "polars" | "typescript";
}

/** A {@linkcode TransformResult}, and which reader gave the rows. */
export interface PolarsTransformResult extends TransformResult {
  reader: "polars" | "typescript";
}

/**
 * Summarises orders per customer. The input is a JSON array of objects or
 * NDJSON (blank lines allowed), as bytes (UTF-8, BOM allowed) or text. Each
 * order needs `customer_id` (non-empty string, or integer), `amount` (INR,
 * a non-negative number) and `created_at` (ISO 8601 date-time with `Z` or an
 * offset); other fields are ignored. Empty input gives empty output. `rows`
 * is built on first use (the NDJSON is made in Polars, without it).
 *
 * @throws {TransformError} naming the first bad record (and its line, for NDJSON)
 * @example
 * ```ts
 * const { ndjson } = transformOrders(
 *   '{"customer_id":"c1","amount":12000.5,"created_at":"2024-05-01T10:00:00+05:30"}\n',
 * );
 * new TextDecoder().decode(ndjson);
 * // '{"customer_id":"c1","orders":1,"total_amount":12000.50,"avg_amount":12000.50,
 * //   "max_amount":12000.50,"high_value_orders":1,
 * //   "first_order_at":"2024-05-01T04:30:00.000Z","last_order_at":"2024-05-01T04:30:00.000Z"}\n'
 * ```
 */
export function transformOrders(
  input: Uint8Array | string,
  options: TransformOptions = {},
): PolarsTransformResult {
  const { reader = "polars" } = options;
  if (reader !== "polars" && reader !== "typescript") {
    throw new RangeError(
      `Cannot transform orders as the reader must be "polars" or "typescript": ` +
        `current value is ${JSON.stringify(reader)}`,
    );
  }
  const fast = reader === "polars" ? readWithPolars(input) : undefined;
  const orders = fast ?? readWithTypeScript(input);
  const used = fast === undefined ? "typescript" : "polars";
  if (orders.height === 0) {
    return { rows: [], ndjson: new Uint8Array(0), customers: 0, orders: 0, reader: used };
  }
  const summary = toOutput(summarise(orders));
  const text: string = summary.select(pl.col("line").str.concat("")).getColumn("line").get(0);
  const table = summary.drop("line");
  let rows: CustomerSummary[] | undefined;
  return {
    get rows() {
      return rows ??= toRows(table);
    },
    ndjson: new TextEncoder().encode(text),
    customers: summary.height,
    orders: orders.height,
    reader: used,
  };
}

/**
 * Group by customer; every sum is over integer paise, so no order changes it.
 * The frame has `customer_id` (string), `amount` (rupees) and `created_at`
 * (ms since the epoch).
 */
function summarise(orders: pl.DataFrame): pl.DataFrame {
  const total = pl.col("total_paise");
  const count = pl.col("orders").cast(pl.Int64);
  const rest = total.rem(count);
  const summary = orders.lazy()
    .withColumns(paise(pl.col("amount")).alias("paise"))
    .groupBy("customer_id")
    .agg(
      pl.len().alias("orders"),
      pl.col("paise").sum().alias("total_paise"),
      // An Int64 sum can wrap around; the Float64 one tells when it could have.
      pl.col("paise").cast(pl.Float64).sum().alias("total_approx"),
      pl.col("paise").max().alias("max_paise"),
      pl.col("paise").gt(HIGH_VALUE_PAISE).sum().alias("high_value_orders"),
      pl.col("created_at").min().alias("first_ms"),
      pl.col("created_at").max().alias("last_ms"),
    )
    // Half up to the paisa: quotient, plus one when the rest is at least half the count.
    .withColumns(
      total.sub(rest).div(count).cast(pl.Int64)
        .add(rest.mul(int(2)).gtEq(count).cast(pl.Int64))
        .alias("avg_paise"),
    )
    .sort("customer_id")
    .collectSync();
  const tooLarge = summary.filter(
    total.gt(Number.MAX_SAFE_INTEGER).or(pl.col("total_approx").gt(2 ** 60)),
  );
  if (tooLarge.height > 0) {
    const customerId = JSON.stringify(tooLarge.getColumn("customer_id").get(0));
    throw new TransformError(
      `total amount of customer ${customerId} is too large to add up exactly: over ${MAX_RUPEES}`,
    );
  }
  return summary;
}

/** Math.round(amount * 100). Not Polars's default rounding, which is half to even. */
function paise(amount: pl.Expr): pl.Expr {
  return amount.mul(100).round(0, "halfawayfromzero").cast(pl.Int64);
}

/** The largest amount kept exact: Number.MAX_SAFE_INTEGER paise. */
const MAX_RUPEES = "90071992547409.91";

/**
 * An Int64 literal. A bare JS number is a Float64 literal: `col.rem(100)` of
 * an Int64 column gives floats that print as `7.0`.
 */
function int(value: number): pl.Expr {
  return pl.lit(value).cast(pl.Int64);
}

/** The summary as text: amounts as `12000.50`, dates as ISO 8601, and each NDJSON line. */
function toOutput(summary: pl.DataFrame): pl.DataFrame {
  const text = (name: string) => pl.col(name).cast(pl.String);
  return summary.select(
    pl.col("customer_id"),
    pl.col("orders"),
    ...["total", "avg", "max"].flatMap((name) => [
      pl.col(`${name}_paise`),
      rupees(pl.col(`${name}_paise`)).alias(`${name}_amount`),
    ]),
    pl.col("high_value_orders"),
    isoDateTime(pl.col("first_ms")).alias("first_order_at"),
    isoDateTime(pl.col("last_ms")).alias("last_order_at"),
  ).withColumns(
    pl.concatString([
      // Polars escapes strings as JSON.stringify does; strip the closing brace.
      pl.struct([pl.col("customer_id")]).struct.jsonEncode().str.stripCharsEnd("}"),
      pl.lit(',"orders":'),
      text("orders"),
      pl.lit(',"total_amount":'),
      pl.col("total_amount"),
      pl.lit(',"avg_amount":'),
      pl.col("avg_amount"),
      pl.lit(',"max_amount":'),
      pl.col("max_amount"),
      pl.lit(',"high_value_orders":'),
      text("high_value_orders"),
      pl.lit(',"first_order_at":"'),
      pl.col("first_order_at"),
      pl.lit('","last_order_at":"'),
      pl.col("last_order_at"),
      pl.lit('"}\n'),
    ], "").alias("line"),
  );
}

/** `1200050` paise as `12000.50`: exact, unlike `(paise / 100).toFixed(2)`. */
function rupees(paise: pl.Expr): pl.Expr {
  const rest = paise.rem(int(100));
  return pl.concatString([
    paise.sub(rest).div(int(100)).cast(pl.String),
    pl.lit("."),
    rest.cast(pl.String).str.zFill(2),
  ], "");
}

/** Milliseconds since the epoch as `Date.prototype.toISOString()` writes them. */
function isoDateTime(ms: pl.Expr): pl.Expr {
  const at = ms.cast(pl.Int64).cast(pl.Datetime("ms")).dt;
  const digits = (part: pl.Expr, width: number) => part.cast(pl.String).str.zFill(width);
  const year = at.year();
  return pl.concatString([
    pl.when(year.gtEq(0).and(year.ltEq(9999))).then(digits(year, 4)).otherwise(
      pl.concatString([
        pl.when(year.lt(0)).then(pl.lit("-")).otherwise(pl.lit("+")),
        digits(year.abs(), 6),
      ], ""),
    ),
    pl.lit("-"),
    digits(at.month(), 2),
    pl.lit("-"),
    digits(at.day(), 2),
    pl.lit("T"),
    digits(at.hour(), 2),
    pl.lit(":"),
    digits(at.minute(), 2),
    pl.lit(":"),
    digits(at.second(), 2),
    pl.lit("."),
    digits(at.nanosecond().cast(pl.Int64).div(int(1_000_000)), 3),
    pl.lit("Z"),
  ], "");
}

function toRows(table: pl.DataFrame): CustomerSummary[] {
  const [ids, firsts, lasts] = ["customer_id", "first_order_at", "last_order_at"]
    .map((name) => table.getColumn(name).toArray() as string[]);
  // Exact: every value is a safe integer. Typed arrays come out ~30× faster than toArray().
  const [orders, total, avg, max, high] = [
    "orders",
    "total_paise",
    "avg_paise",
    "max_paise",
    "high_value_orders",
  ].map((name) => table.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array);
  return ids.map((customer_id, i) => ({
    customer_id,
    orders: orders[i],
    total_amount: total[i] / 100,
    avg_amount: avg[i] / 100,
    max_amount: max[i] / 100,
    high_value_orders: high[i],
    first_order_at: firsts[i],
    last_order_at: lasts[i],
  }));
}

// ---- Reading with Polars -------------------------------------------------------------------------

/**
 * What a value of a string `customer_id` column looks like when Polars made
 * it from something that was not a string: a float (`1.5`, `1e+20`), an
 * integer too large to be exact in JS (16+ digits), a boolean, an object or
 * array (as JSON), a lone surrogate (as NUL). A real string id like this
 * only costs a second read.
 */
const COERCED_ID = String.raw`^-?[0-9]+\.[0-9]*([eE][-+]?[0-9]+)?$|^-?[0-9]+[eE][-+]?[0-9]+$` +
  String.raw`|^-?[0-9]{16,}$|^(true|false)$|^[\[{]|\x00`;

/** The shape of an ISO 8601 date-time with Z or an offset; the calendar is checked apart. */
const DATE_TIME = String.raw`^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]` +
  String.raw`(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`;

/**
 * The orders of NDJSON as Polars reads them, or undefined for a JSON array,
 * when Polars cannot read them, or when any value is not certainly what
 * `JSON.parse` and the checks would give.
 */
function readWithPolars(input: Uint8Array | string): pl.DataFrame | undefined {
  const bytes = typeof input === "string"
    ? Buffer.from(input, "utf8")
    : Buffer.from(input.buffer, input.byteOffset, input.byteLength); // no copy
  if (bytes[firstNonBlank(bytes)] === OPEN_BRACKET) return undefined;
  let raw: pl.DataFrame;
  try {
    raw = pl.readJSON(bytes, { format: "lines" });
  } catch {
    return undefined; // not JSON, not UTF-8, a type that changes after the first 50 records...
  }
  // pl.String, not its old name pl.Utf8: the two do not compare equal.
  const types = raw.schema;
  const idIsInteger = types.customer_id?.equals(pl.Int64);
  if (
    !(idIsInteger || types.customer_id?.equals(pl.String)) ||
    !(types.amount?.equals(pl.Float64) || types.amount?.equals(pl.Int64)) ||
    !types.created_at?.equals(pl.String)
  ) return undefined;
  const id = pl.col("customer_id");
  const amount = pl.col("amount").cast(pl.Float64);
  const createdAt = pl.col("created_at");
  const orders = raw.lazy()
    .select(id, amount, createdAt, ...dateTimeFields(createdAt))
    .select(
      id.cast(pl.String),
      amount,
      millis().cast(pl.Float64).alias("created_at"),
      (idIsInteger
        ? id.abs().ltEq(Number.MAX_SAFE_INTEGER)
        // pl.lit: a bare string here would name a column.
        : id.neq(pl.lit("")).and(id.str.contains(COERCED_ID).not()))
        .and(amount.gtEq(0))
        .and(paise(amount).ltEq(Number.MAX_SAFE_INTEGER))
        .and(createdAt.str.contains(DATE_TIME))
        .and(isCalendarDay())
        .fillNull(false)
        .alias("trusted"),
    )
    .collectSync();
  return orders.getColumn("trusted").all() ? orders.drop("trusted") : undefined;
}

/** Index of the first byte that is not JSON whitespace or a UTF-8 BOM. */
function firstNonBlank(bytes: Uint8Array): number {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && isJsonSpace(bytes[i])) i++;
  return i;
}

/**
 * The numbers of an ISO 8601 date-time, as columns `_year` … `_offset`
 * (minutes east of UTC); nonsense unless it matches DATE_TIME.
 */
function dateTimeFields(dateTime: pl.Expr): pl.Expr[] {
  const number = (from: number, length: number) => dateTime.str.slice(from, length).cast(pl.Int64);
  const sign = pl.when(dateTime.str.slice(-6, 1).eq(pl.lit("-"))).then(int(-1)).otherwise(int(1));
  return [
    number(0, 4).alias("_year"),
    number(5, 2).alias("_month"),
    number(8, 2).alias("_day"),
    number(11, 2).alias("_hour"),
    number(14, 2).alias("_minute"),
    number(17, 2).alias("_second"),
    // ".5Z" → 500, ".123456+05:30" → 123: the first 3 digits after a dot at position 19.
    dateTime.str.slice(19, 4).str.extract(String.raw`^\.([0-9]{1,3})`, 1).str.padEnd(3, "0")
      .cast(pl.Int64).fillNull(0).alias("_ms"),
    pl.when(dateTime.str.endsWith("Z")).then(int(0))
      .otherwise(number(-5, 2).mul(int(60)).add(number(-2, 2)).mul(sign))
      .alias("_offset"),
  ];
}

function isCalendarDay(): pl.Expr {
  const [year, month, day] = [pl.col("_year"), pl.col("_month"), pl.col("_day")];
  const divisible = (by: number) => year.rem(int(by)).eq(int(0));
  const leap = divisible(4).and(divisible(100).not().or(divisible(400)));
  const daysInMonth = pl.when(month.eq(int(2))).then(pl.when(leap).then(int(29)).otherwise(int(28)))
    .when(month.isIn([4, 6, 9, 11])).then(int(30))
    .otherwise(int(31));
  return month.gtEq(int(1)).and(month.ltEq(int(12))).and(day.gtEq(int(1)))
    .and(day.ltEq(daysInMonth));
}

/**
 * Milliseconds since the epoch, by arithmetic (H. Hinnant's days-from-civil).
 * Not `str.strptime`: in Polars 0.25 it reads `1900-02-29` as `0000-02-29`
 * instead of failing.
 */
function millis(): pl.Expr {
  const [year, month, day] = [pl.col("_year"), pl.col("_month"), pl.col("_day")];
  // Counted from 400 years earlier, so that every division is of a non-negative number.
  const y = year.sub(month.ltEq(int(2)).cast(pl.Int64)).add(int(400));
  const era = divide(y, 400);
  const yearOfEra = y.sub(era.mul(int(400)));
  const shiftedMonth = month.add(pl.when(month.gt(int(2))).then(int(-3)).otherwise(int(9)));
  const dayOfYear = divide(shiftedMonth.mul(int(153)).add(int(2)), 5).add(day).sub(int(1));
  const dayOfEra = yearOfEra.mul(int(365)).add(divide(yearOfEra, 4))
    .sub(divide(yearOfEra, 100)).add(dayOfYear);
  const days = era.mul(int(146097)).add(dayOfEra).sub(int(719468 + 146097));
  const minutes = days.mul(int(1440)).add(pl.col("_hour").mul(int(60))).add(pl.col("_minute"))
    .sub(pl.col("_offset"));
  return minutes.mul(int(60)).add(pl.col("_second")).mul(int(1000)).add(pl.col("_ms"));
}

/** Floor division of a non-negative Int64, exact whether `div` of integers truncates or not. */
function divide(dividend: pl.Expr, divisor: number): pl.Expr {
  return dividend.sub(dividend.rem(int(divisor))).div(int(divisor)).cast(pl.Int64);
}

// ---- Reading with TypeScript ---------------------------------------------------------------------

/** The checked orders, column by column: Polars takes columns, not objects. */
interface Columns {
  customerIds: string[];
  amounts: Float64Column;
  /** Milliseconds since the epoch. */
  createdAt: Float64Column;
}

/** A growable Float64Array: Polars copies it in one go, a `number[]` value by value. */
class Float64Column {
  #values = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.#values.length) {
      const grown = new Float64Array(this.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.length++] = value;
  }

  values(): Float64Array {
    return this.#values.subarray(0, this.length);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/** Parses and checks every order with `JSON.parse`; the first bad one throws. */
function readWithTypeScript(input: Uint8Array | string): pl.DataFrame {
  const text = decode(input);
  const columns: Columns = {
    customerIds: [],
    amounts: new Float64Column(),
    createdAt: new Float64Column(),
  };
  const add = (recordText: string, place: Place) => addOrder(columns, recordText, place);
  let start = 0;
  while (start < text.length && isJsonSpace(text.charCodeAt(start))) start++;
  if (text[start] === "[") eachArrayElement(text, start, add);
  else eachLine(text, add);
  return pl.DataFrame([
    pl.Series("customer_id", columns.customerIds, pl.String),
    pl.Series("amount", columns.amounts.values(), pl.Float64),
    pl.Series("created_at", columns.createdAt.values(), pl.Float64),
  ]);
}

/**
 * Bytes to text, dropping a leading BOM. The lenient decoder is ~3× faster
 * than the fatal one; a bad byte becomes U+FFFD, and only when one is there
 * (it may also be a real U+FFFD) are the lines checked strictly.
 */
function decode(input: Uint8Array | string): string {
  if (typeof input === "string") return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const text = lenientUtf8.decode(input);
  if (text.includes("\uFFFD")) checkUtf8(input);
  return text;
}

/** Throws naming the first line that is not UTF-8. UTF-8 never has a 0x0a inside a character. */
function checkUtf8(bytes: Uint8Array): void {
  for (let start = 0, line = 1; start < bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    try {
      utf8.decode(bytes.subarray(start, end));
    } catch {
      throw new TransformError("not valid UTF-8", { line });
    }
    start = end + 1;
  }
}

function eachLine(text: string, add: (recordText: string, place: Place) => void): void {
  let record = 0;
  let line = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    line++;
    if (!isBlank(text, start, end)) add(text.slice(start, end), { record: ++record, line });
    start = end + 1;
  }
}

/**
 * Cuts a top-level JSON array at the commas between its elements, tracking
 * strings and nesting, so each element is parsed (and named) on its own: no
 * tree of the whole file in memory.
 */
function eachArrayElement(
  text: string,
  open: number,
  add: (recordText: string, place: Place) => void,
): void {
  let record = 0;
  let depth = 0;
  let inString = false;
  let from = open + 1;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) depth--;
    else if (depth === 0 && (c === COMMA || c === CLOSE_BRACKET)) {
      const empty = isBlank(text, from, i);
      if (c === COMMA || !empty || record > 0) {
        record++;
        if (empty) throw new TransformError("not valid JSON: the record is empty", { record });
        add(text.slice(from, i), { record });
      }
      from = i + 1;
      if (c === CLOSE_BRACKET) {
        if (!isBlank(text, from, text.length)) {
          throw new TransformError(
            `not valid JSON: text after the end of the array: ${describe(text.slice(from).trim())}`,
          );
        }
        return;
      }
    }
  }
  if (!isBlank(text, from, text.length)) add(text.slice(from), { record: ++record });
  throw new TransformError(
    `not valid JSON: the array is not closed: the input ends after record ${record}`,
  );
}

function addOrder(columns: Columns, recordText: string, place: Place): void {
  let value: unknown;
  try {
    value = JSON.parse(recordText);
  } catch (err) {
    throw new TransformError(`not valid JSON: ${(err as Error).message}`, place);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TransformError(`an order must be a JSON object: got ${describe(value)}`, place);
  }
  const order = value as Record<string, unknown>;
  columns.customerIds.push(checkCustomerId(order.customer_id, place));
  columns.amounts.push(checkAmount(order.amount, place));
  columns.createdAt.push(checkCreatedAt(order.created_at, place));
}

function checkCustomerId(id: unknown, place: Place): string {
  if (id === undefined || id === null || id === "") {
    throw new TransformError("customer_id is missing", place);
  }
  if (typeof id === "number" && Number.isSafeInteger(id)) return String(id);
  if (typeof id !== "string") {
    throw new TransformError(
      `customer_id must be a string or an integer: got ${describe(id)}`,
      place,
    );
  }
  // Polars would store a lone surrogate as U+FFFD and merge customers that differ.
  if (!id.isWellFormed()) {
    throw new TransformError(`customer_id must be well-formed Unicode: got ${describe(id)}`, place);
  }
  return id;
}

function checkAmount(amount: unknown, place: Place): number {
  if (amount === undefined || amount === null) throw new TransformError("amount is missing", place);
  if (typeof amount !== "number") {
    throw new TransformError(`amount must be a number: got ${describe(amount)}`, place);
  }
  if (!Number.isFinite(amount)) {
    throw new TransformError(`amount must be finite: got ${amount}`, place);
  }
  if (amount < 0) throw new TransformError(`amount must not be negative: got ${amount}`, place);
  if (Math.round(amount * 100) > Number.MAX_SAFE_INTEGER) {
    throw new TransformError(
      `amount must be at most ${MAX_RUPEES}: got ${amount}`,
      place,
    );
  }
  return amount;
}

function checkCreatedAt(createdAt: unknown, place: Place): number {
  if (createdAt === undefined || createdAt === null) {
    throw new TransformError("created_at is missing", place);
  }
  const ms = typeof createdAt === "string" ? parseDateTime(createdAt) : NaN;
  if (Number.isNaN(ms)) {
    throw new TransformError(
      `created_at must be an ISO 8601 date-time with Z or an offset, ` +
        `like 2024-05-01T10:00:00+05:30: got ${describe(createdAt)}`,
      place,
    );
  }
  return ms;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or `±HH:MM`, strictly (a real
 * calendar day, hours 00–23, no leap second, 1–9 fraction digits cut to
 * milliseconds), to milliseconds since the epoch; NaN otherwise. A time
 * without an offset is rejected: it would be read as the Lambda's local time.
 */
function parseDateTime(s: string): number {
  const n = s.length;
  if (
    n < 20 || s[4] !== "-" || s[7] !== "-" || s[10] !== "T" || s[13] !== ":" || s[16] !== ":"
  ) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  let i = 19;
  let ms = 0;
  if (s[i] === ".") {
    let end = i + 1;
    while (end < n && s.charCodeAt(end) >= ZERO && s.charCodeAt(end) <= NINE) end++;
    if (end === i + 1 || end > i + 10) return NaN;
    ms = digits(s.slice(i + 1, Math.min(end, i + 4)).padEnd(3, "0"), 0, 3);
    i = end;
  }
  let offsetMinutes = 0;
  if (s[i] === "Z" && i === n - 1) offsetMinutes = 0;
  else if ((s[i] === "+" || s[i] === "-") && i === n - 6 && s[i + 3] === ":") {
    const hours = digits(s, i + 1, 2);
    const minutes = digits(s, i + 4, 2);
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
    offsetMinutes = (s[i] === "-" ? -1 : 1) * (hours * 60 + minutes);
  } else return NaN;
  if (
    year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59
  ) return NaN;
  const minutes = daysFromCivil(year, month, day) * 1440 + hour * 60 + minute - offsetMinutes;
  return (minutes * 60 + second) * 1000 + ms;
}

/** The decimal number in `s[from, from + length)`, or -1 if any of it is not a digit. */
function digits(s: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= ZERO && c <= NINE)) return -1;
    value = value * 10 + c - ZERO;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) +
    dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** JSON's whitespace only: a line of NBSPs is not blank, it is a bad record. */
function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isJsonSpace(text.charCodeAt(i))) return false;
  return true;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const [QUOTE, BACKSLASH, COMMA, ZERO, NINE] = [0x22, 0x5c, 0x2c, 0x30, 0x39];
const [OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] = [0x5b, 0x5d, 0x7b, 0x7d];
