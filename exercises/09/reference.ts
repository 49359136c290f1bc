/**
 * The transform of `transform.ts` in plain TypeScript, written apart from it
 * and differently where it can be: a `Map` instead of a group by, a regular
 * expression and `Date.parse` for dates, BigInt for the average and the
 * printed amounts, `JSON.stringify` for the lines. The tests hold the two
 * against each other byte for byte; the bench uses this one as the baseline.
 *
 * One difference on purpose: a JSON array is parsed whole, so for an array
 * that is not valid JSON the error quotes `JSON.parse` instead of naming the
 * record (the records of a valid array are named as in `transform.ts`).
 *
 * @module
 */

import { describe } from "../../infra/describe.ts";
import {
  type CustomerSummary,
  HIGH_VALUE_PAISE,
  type Place,
  TransformError,
  type TransformResult,
} from "./summary.ts";

interface Totals {
  orders: number;
  paise: number;
  maxPaise: number;
  highValue: number;
  firstMs: number;
  lastMs: number;
}

/**
 * Summarises orders per customer, like `transformOrders()`, without Polars.
 *
 * @throws {TransformError} naming the first bad record (and its line, for NDJSON)
 * @example
 * ```ts
 * const { rows } = transformOrdersPlain(
 *   '[{"customer_id":7,"amount":100,"created_at":"2024-05-01T10:00:00Z"}]',
 * );
 * rows[0].customer_id; // "7"
 * ```
 */
export function transformOrdersPlain(input: Uint8Array | string): TransformResult {
  const text = toText(input);
  const customers = new Map<string, Totals>();
  let orders = 0;
  const add = (value: unknown, place: Place) => {
    const [customerId, paise, ms] = check(value, place);
    orders++;
    const totals = customers.get(customerId);
    if (totals === undefined) {
      customers.set(customerId, {
        orders: 1,
        paise,
        maxPaise: paise,
        highValue: paise > HIGH_VALUE_PAISE ? 1 : 0,
        firstMs: ms,
        lastMs: ms,
      });
      return;
    }
    totals.orders++;
    totals.paise += paise; // exact while it stays a safe integer; checked below
    totals.maxPaise = Math.max(totals.maxPaise, paise);
    if (paise > HIGH_VALUE_PAISE) totals.highValue++;
    totals.firstMs = Math.min(totals.firstMs, ms);
    totals.lastMs = Math.max(totals.lastMs, ms);
  };

  if (/^[ \t\r\n]*\[/.test(text)) {
    let array: unknown[];
    try {
      array = JSON.parse(text);
    } catch (err) {
      throw new TransformError(`not valid JSON: ${(err as Error).message}`);
    }
    array.forEach((value, i) => add(value, { record: i + 1 }));
  } else {
    let record = 0;
    text.split("\n").forEach((lineText, i) => {
      if (/^[ \t\r]*$/.test(lineText)) return;
      record++;
      let value: unknown;
      try {
        value = JSON.parse(lineText);
      } catch (err) {
        throw new TransformError(`not valid JSON: ${(err as Error).message}`, {
          record,
          line: i + 1,
        });
      }
      add(value, { record, line: i + 1 });
    });
  }

  const ids = [...customers.keys()].sort(byCodePoint);
  const rows: CustomerSummary[] = [];
  let ndjson = "";
  for (const id of ids) {
    const t = customers.get(id)!;
    if (t.paise > Number.MAX_SAFE_INTEGER) {
      throw new TransformError(
        `total amount of customer ${JSON.stringify(id)} is too large to add up exactly: ` +
          `over ${rupees(BigInt(Number.MAX_SAFE_INTEGER))}`,
      );
    }
    const avgPaise = (2n * BigInt(t.paise) + BigInt(t.orders)) / (2n * BigInt(t.orders));
    const row: CustomerSummary = {
      customer_id: id,
      orders: t.orders,
      total_amount: Number(rupees(BigInt(t.paise))),
      avg_amount: Number(rupees(avgPaise)),
      max_amount: Number(rupees(BigInt(t.maxPaise))),
      high_value_orders: t.highValue,
      first_order_at: new Date(t.firstMs).toISOString(),
      last_order_at: new Date(t.lastMs).toISOString(),
    };
    rows.push(row);
    ndjson += JSON.stringify({
      ...row,
      total_amount: rawJSON(rupees(BigInt(t.paise))),
      avg_amount: rawJSON(rupees(avgPaise)),
      max_amount: rawJSON(rupees(BigInt(t.maxPaise))),
    }) + "\n";
  }
  return { rows, ndjson: new TextEncoder().encode(ndjson), customers: rows.length, orders };
}

function toText(input: Uint8Array | string): string {
  if (typeof input === "string") return input.replace(/^\uFEFF/, "");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    const lines = splitBytes(input, 0x0a);
    const bad = lines.findIndex((line) => {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(line);
        return false;
      } catch {
        return true;
      }
    });
    throw new TransformError("not valid UTF-8", { line: bad + 1 });
  }
}

function splitBytes(bytes: Uint8Array, separator: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  bytes.forEach((byte, i) => {
    if (byte === separator) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  });
  parts.push(bytes.subarray(start));
  return parts;
}

/** Checks one order: customer id, amount in paise, created_at in ms since the epoch. */
function check(value: unknown, place: Place): [string, number, number] {
  const fail = (reason: string) => new TransformError(reason, place);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw fail(`an order must be a JSON object: got ${describe(value)}`);
  }
  const { customer_id: id, amount, created_at: createdAt } = value as Record<string, unknown>;

  if (id === undefined || id === null || id === "") throw fail("customer_id is missing");
  const isInteger = Number.isSafeInteger(id);
  if (typeof id !== "string" && !isInteger) {
    throw fail(`customer_id must be a string or an integer: got ${describe(id)}`);
  }
  const customerId = String(id);
  if (!customerId.isWellFormed()) {
    throw fail(`customer_id must be well-formed Unicode: got ${describe(id)}`);
  }

  if (amount === undefined || amount === null) throw fail("amount is missing");
  if (typeof amount !== "number") throw fail(`amount must be a number: got ${describe(amount)}`);
  if (!Number.isFinite(amount)) throw fail(`amount must be finite: got ${amount}`);
  if (amount < 0) throw fail(`amount must not be negative: got ${amount}`);
  const paise = Math.round(amount * 100);
  if (!Number.isSafeInteger(paise)) {
    throw fail(`amount must be at most ${rupees(BigInt(Number.MAX_SAFE_INTEGER))}: got ${amount}`);
  }

  if (createdAt === undefined || createdAt === null) throw fail("created_at is missing");
  const ms = toMillis(createdAt);
  if (ms === undefined) {
    throw fail(
      `created_at must be an ISO 8601 date-time with Z or an offset, ` +
        `like 2024-05-01T10:00:00+05:30: got ${describe(createdAt)}`,
    );
  }
  return [customerId, paise, ms];
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Date.parse alone is lenient (`2024-02-30` is March 1st, `24:00` is allowed): check first. */
function toMillis(value: unknown): number | undefined {
  const match = typeof value === "string" ? DATE_TIME.exec(value) : null;
  if (match === null) return undefined;
  const [, year, month, day] = match;
  const midnight = new Date(Date.parse(`${year}-${month}-${day}T00:00:00Z`));
  if (
    Number.isNaN(midnight.getTime()) || midnight.getUTCMonth() + 1 !== Number(month) ||
    midnight.getUTCDate() !== Number(day)
  ) return undefined;
  return Date.parse(value as string);
}

function rupees(paise: bigint): string {
  return `${paise / 100n}.${String(paise % 100n).padStart(2, "0")}`;
}

function rawJSON(text: string): unknown {
  return (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);
}

/** UTF-8 byte order, as Polars sorts; plain `<` on UTF-16 puts U+FFFD after emoji. */
function byCodePoint(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (which encode U+10000 and up) above U+E000–U+FFFF. */
function rank(codeUnit: number): number {
  if (codeUnit >= 0xd800 && codeUnit <= 0xdfff) return codeUnit + 0x2000;
  return codeUnit >= 0xe000 ? codeUnit - 0x800 : codeUnit;
}
