/**
 * The fast reader: Polars's NDJSON reader, and checks that its frame holds
 * exactly what `JSON.parse` and the strict reader (`record_reader.ts`) would
 * give. Polars coerces silently (a `customer_id` of `1.5`, `true` or `{}`
 * becomes the string `"1.5"`, `"true"`, `'{"x": 1}'`), so any value that
 * could be such a coercion, or is out of bounds, makes it give up, and the
 * strict reader reads the input again.
 *
 * A JSON array is never read here: Polars's array reader turns `true`/`false`
 * into 1/0 in a number column, which no check after the fact can see. Its
 * NDJSON reader refuses them.
 *
 * A record that names a field twice (`{"amount": 5, "amount": 7}`, or
 * `"\u0061mount"`, which both readers unescape to `amount`) is where they
 * differ most quietly: Polars keeps the first value, `JSON.parse` (and
 * pandas) the last. So the frame is used only when each of the three field
 * names occurs exactly once per record in the raw bytes and no name could be
 * escaped; a name that also occurs as a value or in a nested object only
 * costs a second read.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import { isJsonSpace } from "./record_reader.ts";

/**
 * What a value of a string `customer_id` column looks like when Polars made
 * it from something that was not a string: a float (`1.5`, `1e+20`), an
 * integer too large to be exact in JS (16+ digits), a boolean, an object or
 * array (as JSON), the integer `-0` (`"-0"`, where `String(-0)` is `"0"`);
 * or a lone surrogate, which it makes a NUL (looked for apart, as a literal:
 * in this pattern it would make every id be scanned to its end, 4× slower).
 * A real string id like this only costs a second read.
 */
const COERCED_ID = String.raw`^(-?[0-9]+\.[0-9]*([eE][-+]?[0-9]+)?|-?[0-9]+[eE][-+]?[0-9]+` +
  String.raw`|-?[0-9]{16,}|-0|true|false)$|^[\[{]`;
const NUL = "\x00";

/** The shape of an ISO 8601 date-time with Z or an offset; the calendar is checked apart. */
const DATE_TIME = String.raw`^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]` +
  String.raw`(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`;

/**
 * The orders of NDJSON as Polars reads them, in the frame that
 * `readWithTypeScript` gives; or undefined for a JSON array, when Polars
 * cannot read them, or when any value is not certainly what `JSON.parse` and
 * the checks would give. One difference: when every `created_at` is in UTC
 * (`Z`) and of one length, they stay text. Their text then sorts as their
 * times do, so a group by can take the first and last as they are and
 * convert only those (`millisOf()`), and each calendar day is checked once
 * instead of per order: the date-time arithmetic below is most of the
 * checks' time.
 *
 * @example
 * ```ts
 * readWithPolars('{"customer_id":"c1","amount":5,"created_at":"1970-01-01T00:00:01+00:00"}')
 *   ?.toRecords(); // [{ customer_id: "c1", amount: 5, created_at: 1000 }]
 * readWithPolars('{"customer_id":"c1","amount":5,"created_at":"1970-01-01T00:00:01Z"}')
 *   ?.toRecords(); // [{ customer_id: "c1", amount: 5, created_at: "1970-01-01T00:00:01Z" }]
 * readWithPolars('{"customer_id":1.5,"amount":5,"created_at":"1970-01-01T00:00:01Z"}');
 * // undefined: "1.5" may have been a number
 * ```
 */
export function readWithPolars(input: Uint8Array | string): pl.DataFrame | undefined {
  const bytes = typeof input === "string"
    ? Buffer.from(input, "utf8")
    : Buffer.from(input.buffer, input.byteOffset, input.byteLength); // no copy
  if (bytes[firstNonBlank(bytes)] === OPEN_BRACKET) return undefined;
  let raw: pl.DataFrame;
  let idIsInteger: boolean;
  try {
    raw = pl.readJSON(bytes, { format: "lines" });
    // pl.String, not its old name pl.Utf8: the two do not compare equal. An
    // integer beyond 64 bits makes an Int128 column, whose schema throws.
    const types = raw.schema;
    idIsInteger = types.customer_id?.equals(pl.Int64);
    if (
      !(idIsInteger || types.customer_id?.equals(pl.String)) ||
      !(types.amount?.equals(pl.Float64) || types.amount?.equals(pl.Int64)) ||
      !types.created_at?.equals(pl.String)
    ) return undefined;
  } catch {
    return undefined; // not JSON, not UTF-8, a type that changes after the first 50 records...
  }
  if (!eachNameOncePerRecord(input, raw.height)) return undefined;
  const id = pl.col("customer_id");
  const amount = pl.col("amount").cast(pl.Float64);
  const createdAt = pl.col("created_at");
  const trusted = (idIsInteger
    ? id.abs().ltEq(Number.MAX_SAFE_INTEGER)
    // pl.lit: a bare string here would name a column.
    : id.neq(pl.lit("")).and(id.str.contains(COERCED_ID).or(id.str.contains(NUL, true)).not()))
    .and(amount.gtEq(0))
    .and(paise(amount).ltEq(Number.MAX_SAFE_INTEGER))
    .and(createdAt.str.contains(DATE_TIME));
  if (inOneLengthUtc(raw)) {
    const orders = raw.lazy()
      .select(id.cast(pl.String), amount, createdAt, trusted.fillNull(false).alias("trusted"))
      .collectSync();
    const trustedDays = orders.getColumn("trusted").all() && allCalendarDays(raw);
    return trustedDays ? orders.drop("trusted") : undefined;
  }
  const fields = FIELD_NAMES.map((name) => pl.col(`_${name}`));
  const parts = Object.fromEntries(FIELD_NAMES.map((name, i) => [name, fields[i]])) as Parts;
  const orders = raw.lazy()
    .select(id, amount, createdAt, ...dateTimeFields(createdAt))
    .select(
      id.cast(pl.String),
      amount,
      millis(parts).cast(pl.Float64).alias("created_at"),
      trusted.and(isCalendarDay(parts)).fillNull(false).alias("trusted"),
    )
    .collectSync();
  return orders.getColumn("trusted").all() ? orders.drop("trusted") : undefined;
}

/** Whether every non-null `created_at` ends in `Z` and all have one length. */
function inOneLengthUtc(raw: pl.DataFrame): boolean {
  const createdAt = pl.col("created_at");
  const length = createdAt.str.lengths();
  const shape = raw.select(
    length.min().eq(length.max()).and(createdAt.str.endsWith("Z").all()).fillNull(false)
      .alias("shape"),
  );
  return Boolean(shape.getColumn("shape").all()); // typed as a number, is a boolean
}

/** Whether the date of every `created_at` is a real calendar day, each date checked once. */
function allCalendarDays(raw: pl.DataFrame): boolean {
  const days = raw.lazy()
    .select(pl.col("created_at").str.slice(0, 10).unique().alias("day"))
    .select(isCalendarDay(dateTimeParts(pl.col("day"))).fillNull(false).alias("ok"))
    .collectSync();
  return Boolean(days.getColumn("ok").all());
}

/**
 * Rupees to integer paise, as `Math.round(amount * 100)` does for amounts of
 * 0 or more. Not Polars's default rounding, which is half to even.
 *
 * @example
 * ```ts
 * pl.DataFrame({ amount: [0.005, 12000.5] }).select(paise(pl.col("amount"))); // 1, 1200050
 * ```
 */
export function paise(amount: pl.Expr): pl.Expr {
  return amount.mul(100).round(0, "halfawayfromzero").cast(pl.Int64);
}

/**
 * An Int64 literal. A bare JS number is a Float64 literal: `col.rem(100)` of
 * an Int64 column gives floats that print as `7.0`.
 *
 * @example
 * ```ts
 * pl.col("paise").rem(int(100)); // stays Int64
 * ```
 */
export function int(value: number): pl.Expr {
  return pl.lit(value).cast(pl.Int64);
}

// The field names the transform reads, where they occur raw, and where one
// of them could be escaped (`\u005f` to `\u007f`, any case of hex: `_`, a-z).
const NAME = /"(?:customer_id|amount|created_at)"/g;
const ESCAPED_NAME_CHARACTER = /\\u00[5-7][0-9a-f]/i;

/**
 * Whether the names the transform reads occur 3 × `records` times in the
 * input and none is escaped: Polars made a value of each name in each
 * record, so no record lacks one, and more means a record has one twice.
 * One regular expression over the text: about as long as Polars' own read.
 */
function eachNameOncePerRecord(input: Uint8Array | string, records: number): boolean {
  const text = typeof input === "string" ? input : new TextDecoder().decode(input);
  if (ESCAPED_NAME_CHARACTER.test(text)) return false;
  NAME.lastIndex = 0;
  let count = 0;
  while (NAME.exec(text) !== null) if (++count > 3 * records) return false;
  return count === 3 * records;
}

/** Index of the first byte that is not JSON whitespace or a UTF-8 BOM. */
function firstNonBlank(bytes: Uint8Array): number {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && isJsonSpace(bytes[i])) i++;
  return i;
}

const OPEN_BRACKET = 0x5b;

// ---- Dates, as the strict reader reads them ------------------------------------------------------

const FIELD_NAMES = ["year", "month", "day", "hour", "minute", "second", "ms", "offset"] as const;
/** The numbers of an ISO 8601 date-time; `offset` is in minutes east of UTC. */
type Parts = Record<(typeof FIELD_NAMES)[number], pl.Expr>;

/** The numbers of an ISO 8601 date-time as expressions; nonsense unless it matches DATE_TIME. */
function dateTimeParts(dateTime: pl.Expr): Parts {
  const number = (from: number, length: number) => dateTime.str.slice(from, length).cast(pl.Int64);
  const sign = pl.when(dateTime.str.slice(-6, 1).eq(pl.lit("-"))).then(int(-1)).otherwise(int(1));
  return {
    year: number(0, 4),
    month: number(5, 2),
    day: number(8, 2),
    hour: number(11, 2),
    minute: number(14, 2),
    second: number(17, 2),
    // ".5Z" → 500, ".123456+05:30" → 123: the first 3 digits after a dot at position 19.
    ms: dateTime.str.slice(19, 4).str.extract(String.raw`^\.([0-9]{1,3})`, 1).str.padEnd(3, "0")
      .cast(pl.Int64).fillNull(0),
    offset: pl.when(dateTime.str.endsWith("Z")).then(int(0))
      .otherwise(number(-5, 2).mul(int(60)).add(number(-2, 2)).mul(sign)),
  };
}

/** The parts as columns `_year` … `_offset`, computed once for the checks and the arithmetic. */
function dateTimeFields(dateTime: pl.Expr): pl.Expr[] {
  const parts = dateTimeParts(dateTime);
  return FIELD_NAMES.map((name) => parts[name].alias(`_${name}`));
}

/**
 * An ISO 8601 date-time (text that matches DATE_TIME) as milliseconds since
 * the epoch.
 *
 * @example
 * ```ts
 * pl.DataFrame({ at: ["1970-01-01T00:00:01Z"] }).select(millisOf(pl.col("at"))); // 1000
 * ```
 */
export function millisOf(dateTime: pl.Expr): pl.Expr {
  return millis(dateTimeParts(dateTime));
}

function isCalendarDay({ year, month, day }: Pick<Parts, "year" | "month" | "day">): pl.Expr {
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
function millis({ year, month, day, hour, minute, second, ms, offset }: Parts): pl.Expr {
  // Counted from 400 years earlier, so that every division is of a non-negative number.
  const y = year.sub(month.ltEq(int(2)).cast(pl.Int64)).add(int(400));
  const era = divide(y, 400);
  const yearOfEra = y.sub(era.mul(int(400)));
  const shiftedMonth = month.add(pl.when(month.gt(int(2))).then(int(-3)).otherwise(int(9)));
  const dayOfYear = divide(shiftedMonth.mul(int(153)).add(int(2)), 5).add(day).sub(int(1));
  const dayOfEra = yearOfEra.mul(int(365)).add(divide(yearOfEra, 4))
    .sub(divide(yearOfEra, 100)).add(dayOfYear);
  const days = era.mul(int(146097)).add(dayOfEra).sub(int(719468 + 146097));
  const minutes = days.mul(int(1440)).add(hour.mul(int(60))).add(minute).sub(offset);
  return minutes.mul(int(60)).add(second).mul(int(1000)).add(ms);
}

/** Floor division of a non-negative Int64, exact whether `div` of integers truncates or not. */
function divide(dividend: pl.Expr, divisor: number): pl.Expr {
  return dividend.sub(dividend.rem(int(divisor))).div(int(divisor)).cast(pl.Int64);
}
