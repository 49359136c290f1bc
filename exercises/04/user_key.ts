/**
 * User ids and the Redis keys they are cached under. Pure functions: no Redis
 * here, so the rules are easy to read and to test.
 *
 * @module
 */
import { describe } from "../../infra/describe.ts";

/** Digits only, no leading zero; at most 16, so the value check below is exact. */
const ID = /^[1-9][0-9]{0,15}$/;

/**
 * The largest id, 2^53 - 1: above it a JSON number is not exact (16 digits
 * reach 9999999999999999), so "9007199254740993" would be read back from the
 * API or the cache as user 9007199254740992.
 */
const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * Checks a user id and returns it in its one canonical form, so that one user
 * is cached under one key: `42` and `"42"` are the same user; `"042"`,
 * `" 42"`, `"4.2e1"` and `"42:*"` are rejected rather than cached as other
 * users (and a `:` or `*` can never reach into another key's namespace).
 *
 * @example
 * ```ts
 * parseUserId(42); // "42"
 * parseUserId("42"); // "42"
 * parseUserId("042"); // throws RangeError
 * ```
 */
export function parseUserId(id: unknown): string {
  const text = typeof id === "number" && Number.isSafeInteger(id) ? String(id) : id;
  if (typeof text !== "string" || !ID.test(text) || Number(text) > MAX_ID) {
    throw new RangeError(
      `Cannot look up user as the id is not a positive integer without leading zeros, ` +
        `at most ${MAX_ID}: ` +
        `current value is ${describe(id)}`,
    );
  }
  return text;
}

/**
 * The Redis key of a user: `<prefix>:<id>`. The prefix namespaces the cache
 * (and versions it: `users:v2` after the cached shape changes leaves the old
 * entries to expire unread).
 *
 * @example
 * ```ts
 * userKey("users:v1", "42"); // "users:v1:42"
 * ```
 */
export function userKey(prefix: string, id: string): string {
  return `${prefix}:${id}`;
}
