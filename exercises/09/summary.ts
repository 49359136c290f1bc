/**
 * What a transform of orders gives back, and how it fails. Both transforms
 * (Polars in `transform.ts`, plain TypeScript in `reference.ts`) share these
 * shapes so the tests can compare them; the rules themselves are written
 * twice, on purpose.
 *
 * @module
 */

/**
 * One output row: the orders of one customer. Amounts are in INR, computed
 * in integer paise and given back with 2 decimals.
 */
export interface CustomerSummary {
  customer_id: string;
  orders: number;
  total_amount: number;
  /** total / orders, rounded half up to the paisa. */
  avg_amount: number;
  max_amount: number;
  /** Orders strictly above ₹10,000.00, as in exercise 01. */
  high_value_orders: number;
  /** The earliest `created_at`, as `2024-05-01T04:30:00.000Z` (UTC, milliseconds). */
  first_order_at: string;
  last_order_at: string;
}

/** The rows sorted by customer_id (UTF-8 byte order), and the same as NDJSON bytes. */
export interface TransformResult {
  rows: CustomerSummary[];
  /** One JSON object per row, each ending in `\n`; empty (0 bytes) for no orders. */
  ndjson: Uint8Array;
  customers: number;
  orders: number;
}

/** ₹10,000.00 in paise: an order is high value when its amount is strictly above it. */
export const HIGH_VALUE_PAISE = 1_000_000;

/** Where in the input a problem is: 1-based record number, and the line for NDJSON. */
export interface Place {
  record?: number;
  line?: number;
}

/**
 * The input cannot be transformed; thrown before any output exists, so a
 * handler that catches it has nothing half written to clean up.
 *
 * @example
 * ```ts
 * new TransformError('amount must be a number: got string "25000"', { record: 3, line: 3 })
 *   .message;
 * // 'Cannot transform orders: record 3 (line 3): amount must be a number: got string "25000"'
 * ```
 */
export class TransformError extends Error {
  readonly record?: number;
  readonly line?: number;
  readonly reason: string;

  constructor(reason: string, place: Place = {}) {
    super(`Cannot transform orders: ${where(place)}${reason}`);
    this.name = "TransformError";
    this.reason = reason;
    this.record = place.record;
    this.line = place.line;
  }
}

function where({ record, line }: Place): string {
  if (record !== undefined && line !== undefined) return `record ${record} (line ${line}): `;
  if (record !== undefined) return `record ${record}: `;
  if (line !== undefined) return `line ${line}: `;
  return "";
}
