/**
 * What an order is, and which orders the consumer prints. Pure functions: no
 * Kafka here, so the rules are easy to read and to test.
 *
 * @module
 */
import { decodeUtf8 } from "../../infra/dead_letter.ts";
import { describe } from "../../infra/describe.ts";

/** An order as published to the topic. Extra fields are kept as they are. */
export interface Order {
  order_id: string;
  customer_id: string;
  /** In Indian rupees (INR). */
  amount: number;
  created_at?: string;
  [field: string]: unknown;
}

/** A checked record: the order, or why it is not one. */
export type Checked = { ok: true; order: Order } | { ok: false; reason: string };

/**
 * Parses and checks one record: the bytes of one JSON value (decoded as
 * strict UTF-8: invalid bytes are a rejection, never U+FFFD), or its text.
 *
 * @example
 * ```ts
 * parseOrder('{"order_id":"o1","customer_id":"c1","amount":12000}');
 * // { ok: true, order: { order_id: "o1", customer_id: "c1", amount: 12000 } }
 * parseOrder('{"order_id":"o1","customer_id":"c1","amount":"12000"}');
 * // { ok: false, reason: 'amount must be a number: got string "12000"' }
 * ```
 */
export function parseOrder(record: string | Uint8Array | null): Checked {
  if (record === null) return { ok: false, reason: "the message has no value" };
  let text = record as string;
  if (typeof record !== "string") {
    const decoded = decodeUtf8(record);
    if (!decoded.ok) return decoded;
    text = decoded.text;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
  return checkOrder(value);
}

/** Checks a parsed JSON value against the order rules. */
export function checkOrder(value: unknown): Checked {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `an order must be a JSON object: got ${describe(value)}` };
  }
  const record = value as Record<string, unknown>;
  for (const field of ["order_id", "customer_id"]) {
    const id = record[field];
    if (id === undefined || id === null || id === "") {
      return { ok: false, reason: `${field} is missing` };
    }
    if (typeof id !== "string" && !Number.isSafeInteger(id)) {
      return { ok: false, reason: `${field} must be a string or an integer: got ${describe(id)}` };
    }
  }
  const amount = record.amount;
  if (amount === undefined || amount === null) return { ok: false, reason: "amount is missing" };
  if (typeof amount !== "number") {
    return { ok: false, reason: `amount must be a number: got ${describe(amount)}` };
  }
  if (!Number.isFinite(amount)) {
    return { ok: false, reason: `amount must be finite: got ${amount}` };
  }
  if (amount < 0) return { ok: false, reason: `amount must not be negative: got ${amount}` };
  if ("currency" in record && record.currency !== "INR") {
    return { ok: false, reason: `currency must be INR: got ${describe(record.currency)}` };
  }
  const createdAt = record.created_at;
  if (createdAt !== undefined && (typeof createdAt !== "string" || isNaN(Date.parse(createdAt)))) {
    return { ok: false, reason: `created_at must be an ISO 8601 date: got ${describe(createdAt)}` };
  }
  return {
    ok: true,
    order: {
      ...record,
      order_id: String(record.order_id),
      customer_id: String(record.customer_id),
      amount,
    },
  };
}

/**
 * True when the order's amount is strictly above the threshold: an order of
 * exactly ₹10,000 is not "over ₹10,000".
 *
 * @example
 * ```ts
 * isAbove({ order_id: "o1", customer_id: "c1", amount: 10000 }, 10000); // false
 * isAbove({ order_id: "o2", customer_id: "c1", amount: 10000.01 }, 10000); // true
 * ```
 */
export function isAbove(order: Order, threshold: number): boolean {
  return order.amount > threshold;
}
