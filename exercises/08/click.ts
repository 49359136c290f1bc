/**
 * What a click event is. Pure functions: the processor counts what
 * {@linkcode parseClick} accepts and dead-letters the rest with its reason.
 *
 * @module
 */
import { describe } from "../../infra/describe.ts";

/** A valid click, as counted. */
export interface Click {
  user_id: string;
  url: string;
  /** When the click happened, epoch milliseconds (event time: it picks the bucket). */
  ts: number;
}

/** A checked message: the click, or why it is not one. */
export type CheckedClick = { ok: true; click: Click } | { ok: false; reason: string };

/** Options for {@linkcode parseClick}. */
export interface ParseOptions {
  /**
   * The Kafka record's timestamp (epoch ms), if known. A click may not claim
   * to be from more than `maxSkewMs` after it: a client with a wrong clock
   * would otherwise park clicks in future buckets. Comparing with the record,
   * not with the wall clock, gives the same verdict when a message is read
   * again after a crash.
   */
  recordTimestamp?: number;
  /** Default 300000 (5 minutes). */
  maxSkewMs?: number;
}

const MAX_ID_LENGTH = 128;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses and checks one message value.
 *
 * @example
 * ```ts
 * parseClick('{"user_id":"u-1","url":"/cart","ts":"2026-11-01T09:15:00Z"}');
 * // { ok: true, click: { user_id: "u-1", url: "/cart", ts: 1793524500000 } }
 * parseClick('{"url":"/cart","ts":1793524500000}');
 * // { ok: false, reason: "user_id is missing" }
 * ```
 */
export function parseClick(text: string | null, options: ParseOptions = {}): CheckedClick {
  if (text === null) return { ok: false, reason: "the message has no value" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
  return checkClick(value, options);
}

/**
 * Checks a parsed JSON value against the click rules. Integer user ids become
 * strings; `ts` may be epoch milliseconds or an ISO 8601 date-time with a zone.
 *
 * @example
 * ```ts
 * checkClick({ user_id: 7, url: "/", ts: 0 }); // { ok: true, click: { user_id: "7", url: "/", ts: 0 } }
 * checkClick({ user_id: "u", url: "/", ts: "yesterday" }).ok; // false
 * ```
 */
export function checkClick(value: unknown, options: ParseOptions = {}): CheckedClick {
  const { recordTimestamp, maxSkewMs = 300_000 } = options;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `a click must be a JSON object: got ${describe(value)}` };
  }
  const record = value as Record<string, unknown>;

  let user = record.user_id;
  if (user === undefined || user === null || user === "") {
    return { ok: false, reason: "user_id is missing" };
  }
  if (Number.isSafeInteger(user)) user = String(user);
  if (typeof user !== "string") {
    return { ok: false, reason: `user_id must be a string or an integer: got ${describe(user)}` };
  }
  if (user.length > MAX_ID_LENGTH) {
    return { ok: false, reason: `user_id is longer than ${MAX_ID_LENGTH} characters` };
  }

  const url = record.url;
  if (url === undefined || url === null || url === "") {
    return { ok: false, reason: "url is missing" };
  }
  if (typeof url !== "string") {
    return { ok: false, reason: `url must be a string: got ${describe(url)}` };
  }

  const ts = parseTs(record.ts);
  if (ts === undefined) return { ok: false, reason: "ts is missing" };
  if (ts === null) {
    return {
      ok: false,
      reason: `ts must be epoch milliseconds or an ISO 8601 date-time with a zone: got ${
        describe(record.ts)
      }`,
    };
  }
  if (recordTimestamp !== undefined && ts > recordTimestamp + maxSkewMs) {
    return {
      ok: false,
      reason: `ts is more than ${maxSkewMs} ms after the record's Kafka timestamp ${
        new Date(recordTimestamp).toISOString()
      }: got ${describe(record.ts)}`,
    };
  }
  return { ok: true, click: { user_id: user, url, ts } };
}

/** Epoch ms from a `ts` field; undefined when absent, null when not a time. */
function parseTs(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== "string" || !ISO_DATE_TIME.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
