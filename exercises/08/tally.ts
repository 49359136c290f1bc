/**
 * The Redis key layout, and what one batch of clicks adds to it. Pure
 * functions: the processor sends the increments in one transaction.
 *
 * | key                                  | type    | expires                           |
 * | ------------------------------------ | ------- | --------------------------------- |
 * | `<prefix>:user:<user_id>:total`      | integer | never                             |
 * | `<prefix>:user:<user_id>:<bucket>`   | integer | when the bucket leaves the window |
 * | `<prefix>:offset:<topic>:<partition>`| integer | never: the next offset to count   |
 *
 * `<bucket>` is the bucket's start in epoch ms. A user id may contain `:`;
 * the keys stay unambiguous because the last segment is `total` or a number.
 *
 * @module
 */
import type { Click } from "./click.ts";
import { bucketExpiry, bucketStart } from "./window.ts";

/**
 * The key holding a user's total.
 *
 * @example
 * ```ts
 * totalKey("clicks", "u-1"); // "clicks:user:u-1:total"
 * ```
 */
export function totalKey(prefix: string, user: string): string {
  return `${prefix}:user:${user}:total`;
}

/**
 * The key holding a user's clicks in the bucket starting at `start`.
 *
 * @example
 * ```ts
 * bucketKey("clicks", "u-1", 1793524500000); // "clicks:user:u-1:1793524500000"
 * ```
 */
export function bucketKey(prefix: string, user: string, start: number): string {
  return `${prefix}:user:${user}:${start}`;
}

/**
 * The key holding the next offset to count in one partition: stored in the
 * same transaction as the counts, so the two never disagree.
 *
 * @example
 * ```ts
 * offsetKey("clicks", "clicks", 2); // "clicks:offset:clicks:2"
 * ```
 */
export function offsetKey(prefix: string, topic: string, partition: number): string {
  return `${prefix}:offset:${topic}:${partition}`;
}

/** One INCRBY, and the PEXPIREAT that goes with it for a bucket key. */
export interface Increment {
  key: string;
  by: number;
  /** Epoch ms; absent for totals, which never expire. */
  expireAt?: number;
}

/** Options for {@linkcode tally}. */
export interface TallyOptions {
  prefix: string;
  bucketMs: number;
  /** The longest window: how long a bucket is kept. */
  retentionMs: number;
  /** Bucket increments that would already have expired at `now` are left out. Default: keep all. */
  now?: number;
}

/**
 * Sums a batch of clicks into one increment per key: a user with 300 clicks
 * in the batch costs one INCRBY, not 300 INCRs.
 *
 * @example
 * ```ts
 * tally([{ user_id: "u", url: "/", ts: 61_000 }, { user_id: "u", url: "/a", ts: 62_000 }], {
 *   prefix: "c", bucketMs: 60_000, retentionMs: 300_000,
 * });
 * // [{ key: "c:user:u:total", by: 2 }, { key: "c:user:u:60000", by: 2, expireAt: 420000 }]
 * ```
 */
export function tally(clicks: Click[], options: TallyOptions): Increment[] {
  const { prefix, bucketMs, retentionMs, now = -Infinity } = options;
  const increments = new Map<string, Increment>();
  const add = (key: string, expireAt?: number) => {
    const found = increments.get(key);
    if (found) found.by++;
    else increments.set(key, expireAt === undefined ? { key, by: 1 } : { key, by: 1, expireAt });
  };
  for (const click of clicks) {
    add(totalKey(prefix, click.user_id));
    const start = bucketStart(click.ts, bucketMs);
    const expireAt = bucketExpiry(start, bucketMs, retentionMs);
    if (expireAt > now) add(bucketKey(prefix, click.user_id, start), expireAt);
  }
  return [...increments.values()];
}
