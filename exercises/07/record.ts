/**
 * What a record is: the body `POST /records` accepts, and what it stores.
 *
 * ```json
 * { "customer_id": "c-42", "amount": 15999.5, "currency": "INR", "tags": ["gift"] }
 * ```
 *
 * `customer_id` and `amount` are required; `currency` defaults to `INR` and
 * `tags` to `[]`. Any other field is rejected, so a typo (`"amout"`) is a 400
 * naming it instead of a record silently stored without an amount.
 *
 * @module
 */
import { describe, shorten } from "../../infra/describe.ts";

/** A record as the client sends it, after validation and defaults. */
export interface NewRecord {
  /** 1 to 64 characters (code points: an emoji is one). */
  customer_id: string;
  /** A finite number, 0 or more. */
  amount: number;
  /** Three capital letters (ISO 4217). Default `INR`. */
  currency: string;
  /** Up to 10 strings of 1 to 32 characters (code points). Default `[]`. */
  tags: string[];
}

/** A record as stored and returned: the server adds its id and creation time. */
export interface StoredRecord extends NewRecord {
  /** A UUID the server chose (the client cannot set it). */
  id: string;
  /** ISO 8601, UTC, when the server stored it. */
  created_at: string;
}

/** The outcome of {@linkcode checkRecord}: the record, or why it is not one. */
export type Checked = { ok: true; record: NewRecord } | { ok: false; reason: string };

const FIELDS = ["customer_id", "amount", "currency", "tags"];
const MAX_ID = 64;
const MAX_TAGS = 10;
const MAX_TAG = 32;

/**
 * The length of a string in characters (Unicode code points), the unit of
 * every limit here: `"😀".length` is 2 (UTF-16 units), `characters("😀")` is 1.
 *
 * @example
 * ```ts
 * characters("c-42"); // 4
 * characters("😀".repeat(40)); // 40 (.length says 80)
 * ```
 */
export function characters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Checks a parsed JSON body and fills in the defaults. The reason names the
 * first field that is wrong and what it got.
 *
 * @example
 * ```ts
 * checkRecord({ customer_id: "c-42", amount: 15999 });
 * // { ok: true, record: { customer_id: "c-42", amount: 15999, currency: "INR", tags: [] } }
 * checkRecord({ customer_id: "c-42", amount: "15999" });
 * // { ok: false, reason: 'amount must be a number: got string "15999"' }
 * ```
 */
export function checkRecord(value: unknown): Checked {
  const fail = (reason: string): Checked => ({ ok: false, reason });
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(`a record must be a JSON object: got ${describe(value)}`);
  }
  const fields = value as Record<string, unknown>;
  // Object.keys sees an own "__proto__" key that JSON.parse created, too.
  const unknown = Object.keys(fields).find((name) => !FIELDS.includes(name));
  if (unknown !== undefined) {
    return fail(
      `unknown field ${JSON.stringify(shorten(unknown, 40))}: a record has ${FIELDS.join(", ")}`,
    );
  }

  const { customer_id, amount, currency = "INR", tags = [] } = fields;
  if (customer_id === undefined || customer_id === null) return fail("customer_id is missing");
  if (typeof customer_id !== "string") {
    return fail(`customer_id must be a string: got ${describe(customer_id)}`);
  }
  if (customer_id.trim() === "") return fail("customer_id must not be empty");
  if (characters(customer_id) > MAX_ID) {
    return fail(
      `customer_id must be at most ${MAX_ID} characters: got ${characters(customer_id)}`,
    );
  }

  if (amount === undefined || amount === null) return fail("amount is missing");
  if (typeof amount !== "number") return fail(`amount must be a number: got ${describe(amount)}`);
  // JSON.parse turns 1e999 into Infinity, and JSON.stringify would store it as null.
  if (!Number.isFinite(amount)) return fail(`amount must be finite: got ${amount}`);
  if (amount < 0) return fail(`amount must not be negative: got ${amount}`);

  if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency)) {
    return fail(`currency must be 3 capital letters (ISO 4217): got ${describe(currency)}`);
  }

  if (!Array.isArray(tags)) return fail(`tags must be an array of strings: got ${describe(tags)}`);
  if (tags.length > MAX_TAGS) {
    return fail(`tags must have at most ${MAX_TAGS} items: got ${tags.length}`);
  }
  for (const [i, tag] of tags.entries()) {
    if (typeof tag !== "string" || tag.trim() === "" || characters(tag) > MAX_TAG) {
      return fail(
        `tags[${i}] must be a non-empty string of at most ${MAX_TAG} characters: got ${
          describe(tag)
        }`,
      );
    }
  }
  return { ok: true, record: { customer_id, amount, currency, tags: tags as string[] } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * True for an id the server could have issued: a lowercase UUID (what
 * `crypto.randomUUID()` returns). Anything else never reaches Redis.
 *
 * @example
 * ```ts
 * isRecordId("0b5c6f0e-8d1e-4c3f-9a3e-2f1d4c5b6a79"); // true
 * isRecordId("records:*"); // false
 * ```
 */
export function isRecordId(id: string): boolean {
  return UUID.test(id);
}
