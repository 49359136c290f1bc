/**
 * Orders (the body of an S3 object) to one summary row per customer, with
 * Polars: amounts in integer paise, group by, sums, averages, sort, and the
 * output NDJSON made in Polars too.
 *
 * Two readers, one result. Polars's JSON reader (`polars_reader.ts`) is ~3×
 * faster than `JSON.parse` record by record and keeps the data out of the JS
 * heap, but it coerces silently (`1.5` becomes the id `"1.5"`) and cannot say
 * which record is wrong, and it keeps the first of a repeated field where
 * `JSON.parse` keeps the last. So its frame is used only when nothing in it
 * could be such a coercion and no record names a field twice; otherwise the
 * strict reader (`record_reader.ts`) reads
 * the input again, record by record, and either names the first bad record
 * or (a false alarm, e.g. a real string id `"1.5"`) gives the frame.
 * Everything is checked before any output exists, so a bad input never gives
 * half an output.
 *
 * @module
 */

import pl from "nodejs-polars";
import { int, millisOf, paise, readWithPolars } from "./polars_reader.ts";
import { MAX_RUPEES, readWithTypeScript } from "./record_reader.ts";
import {
  type CustomerSummary,
  HIGH_VALUE_PAISE,
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
 * (ms since the epoch, or ISO 8601 text of one length in UTC: see `readWithPolars`).
 */
function summarise(orders: pl.DataFrame): pl.DataFrame {
  const total = pl.col("total_paise");
  const count = pl.col("orders").cast(pl.Int64);
  const rest = total.rem(count);
  let grouped = orders.lazy()
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
    );
  if (orders.schema.created_at.equals(pl.String)) {
    // Date-times of one length in UTC, kept as text: only these become ms.
    grouped = grouped.withColumns(
      millisOf(pl.col("first_ms")).alias("first_ms"),
      millisOf(pl.col("last_ms")).alias("last_ms"),
    );
  }
  const summary = grouped
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

/** The summary as the objects of `rows`; built only when asked for. */
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
