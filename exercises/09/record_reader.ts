/**
 * The strict reader: `JSON.parse` one record at a time, every field checked,
 * and the first bad record named (with its line, for NDJSON). Slower than
 * Polars's reader, which is why `transform.ts` calls it only when that one
 * fails or is in doubt, or when asked to.
 *
 * @module
 */

import pl from "nodejs-polars";
import { describe } from "../../infra/describe.ts";
import { type Place, TransformError } from "./summary.ts";

/** The largest amount kept exact: Number.MAX_SAFE_INTEGER paise. */
export const MAX_RUPEES = "90071992547409.91";

/**
 * Parses and checks every order of a JSON array or NDJSON; the first bad one
 * throws. The frame has `customer_id` (string), `amount` (rupees) and
 * `created_at` (ms since the epoch).
 *
 * @throws {TransformError} naming the first bad record (and its line, for NDJSON)
 * @example
 * ```ts
 * readWithTypeScript('{"customer_id":7,"amount":5,"created_at":"1970-01-01T00:00:01Z"}').toRecords();
 * // [{ customer_id: "7", amount: 5, created_at: 1000 }]
 * ```
 */
export function readWithTypeScript(input: Uint8Array | string): pl.DataFrame {
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
 * Whether a character code is JSON whitespace. Only these four: a line of
 * NBSPs is not blank, it is a bad record.
 *
 * @example
 * ```ts
 * isJsonSpace(0x0d); // true
 * isJsonSpace(0xa0); // false
 * ```
 */
export function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

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

// ---- Text and records ----------------------------------------------------------------------------

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

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

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isJsonSpace(text.charCodeAt(i))) return false;
  return true;
}

const [QUOTE, BACKSLASH, COMMA, ZERO, NINE] = [0x22, 0x5c, 0x2c, 0x30, 0x39];
const [OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] = [0x5b, 0x5d, 0x7b, 0x7d];

// ---- Fields --------------------------------------------------------------------------------------

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
    throw new TransformError(`amount must be at most ${MAX_RUPEES}: got ${amount}`, place);
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

// ---- Dates ---------------------------------------------------------------------------------------

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
  if ((s[i] === "+" || s[i] === "-") && i === n - 6 && s[i + 3] === ":") {
    const hours = digits(s, i + 1, 2);
    const minutes = digits(s, i + 4, 2);
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
    offsetMinutes = (s[i] === "-" ? -1 : 1) * (hours * 60 + minutes);
  } else if (s[i] !== "Z" || i !== n - 1) return NaN;
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
