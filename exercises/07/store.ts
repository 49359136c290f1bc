/**
 * The Redis side of exercise 07: a client that fails fast instead of queueing
 * while Redis is away, and the two commands the API needs.
 *
 * @module
 */
import { Redis, ReplyError } from "ioredis";
import { closeRedis, failFastOptions } from "../../infra/redis_client.ts";
import { redactUrl } from "./config.ts";
import type { StoredRecord } from "./record.ts";

/** Options for {@linkcode connectOrKeepTrying}. */
export interface ConnectOptions {
  /** Connect timeout, and how long one command may take. Default 1000 ms. */
  timeoutMs?: number;
  /** Where connection changes are reported ("down", "back"). Default `console.error`. */
  log?: (line: string) => void;
}

/**
 * A client for the API that does not wait for Redis, at start or later:
 * while Redis is unreachable every command fails at once, a command that
 * gets no answer fails after `timeoutMs`, and the client keeps reconnecting
 * in the background so the API recovers by itself when Redis is back
 * (`failFastOptions()`, `infra/redis_client.ts`).
 *
 * Resolves after the first connection attempt, whether it worked or not:
 * `redis.status === "ready"` tells which. It never throws for Redis being
 * down; it throws a RangeError naming `REDIS_URL` when Redis answers that
 * it has no such database (`redis://…/99`, `ERR DB index is out of range`).
 *
 * @example
 * ```ts
 * const redis = await connectOrKeepTrying("redis://127.0.0.1:6379", { timeoutMs: 500 });
 * redis.status; // "ready", or "reconnecting" when Redis is down
 * await closeRedis(redis);
 * ```
 */
export async function connectOrKeepTrying(
  url: string,
  options: ConnectOptions = {},
): Promise<Redis> {
  const { timeoutMs = 1000, log = console.error } = options;
  const redis = new Redis(url, failFastOptions({ timeoutMs }));
  // One line per change, not one per reconnection attempt.
  let down = false;
  const lost = (why: string) => {
    if (down) return;
    down = true;
    log(`records-api: Redis is unavailable: ${why}`);
  };
  // A SELECT of a database the server does not have is only an "error"
  // event: ioredis goes on to "ready" on database 0, and the API would write
  // there (and call itself healthy). At start that is a bad REDIS_URL
  // (thrown below); on a later reconnection (Redis replaced by one with fewer
  // databases) the client stops for good, and the API answers 503.
  let badDb: Error | undefined;
  let started = false;
  redis.on("error", (err: Error) => {
    if (!/DB index is out of range/.test(err.message)) return lost(err.message);
    badDb = err;
    if (!started) return;
    log(
      `records-api: Redis at REDIS_URL=${redactUrl(url)} has no database ${redis.options.db} ` +
        `(${err.message}): answering 503 until restarted with a database it has`,
    );
    redis.disconnect();
  });
  // A server that goes away closes the socket without an error event.
  redis.on("reconnecting", () => lost("connection lost, reconnecting"));
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    log("records-api: Redis is back");
  });
  try {
    await redis.connect();
  } catch {
    // Logged by the error listener; the client keeps retrying.
  }
  started = true;
  if (badDb) {
    await closeRedis(redis);
    throw new RangeError(
      `Cannot use 'REDIS_URL' as Redis has no database ${redis.options.db} (${badDb.message}): ` +
        `current value is "${redactUrl(url)}"`,
    );
  }
  return redis;
}

/**
 * True when the error means Redis could not answer (connection refused or
 * lost, command timed out, server busy or out of memory): the API answers
 * 503. A reply error such as WRONGTYPE is false: Redis answered, the problem
 * is the data or the code, and the API answers 500.
 *
 * @example
 * ```ts
 * isUnavailable(new Error("Command timed out")); // true
 * ```
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ReplyError) {
    return /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|OOM|READONLY|MISCONF)\b/.test(
      (err as Error).message,
    );
  }
  return err instanceof Error;
}

/** The Redis key of a record. */
export function keyOf(prefix: string, id: string): string {
  return `${prefix}:${id}`;
}

/** Stores the record as JSON at `<prefix>:<id>`. */
export async function saveRecord(
  redis: Redis,
  prefix: string,
  record: StoredRecord,
): Promise<void> {
  await redis.set(keyOf(prefix, record.id), JSON.stringify(record));
}

/** The stored JSON of a record, or null if there is none. */
export async function loadRecord(redis: Redis, prefix: string, id: string): Promise<string | null> {
  return await redis.get(keyOf(prefix, id));
}

/**
 * Deletes every key under `<prefix>:` (SCAN, then UNLINK in batches; never
 * KEYS or FLUSHDB on a shared Redis). For tests, the demo and the bench.
 *
 * @example
 * ```ts
 * await deleteKeys(redis, "test-records-3f9c2a1b"); // 12
 * ```
 */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
  return deleted;
}
