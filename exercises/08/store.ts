/**
 * The Redis side of exercise 08: counts and consumed offsets written in one
 * transaction, and the counts read back for the HTTP endpoint.
 *
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";
import { bucketKey, type Increment, totalKey } from "./tally.ts";
import { windowBuckets } from "./window.ts";

/**
 * Connects to Redis and checks it answers, or throws a message naming
 * `REDIS_URL` and how to start Redis. Close the client with `quit()`.
 * `options` go to ioredis as they are.
 *
 * @example
 * ```ts
 * const redis = await connectRedis("redis://127.0.0.1:6379");
 * await redis.quit();
 * ```
 */
export async function connectRedis(url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { connectTimeout: 3_000, ...options, lazyConnect: true });
  // Without a listener ioredis prints every reconnection error itself. The
  // first one says why ("connect ECONNREFUSED …"); connect() only says
  // "Connection is closed."
  let cause: Error | undefined;
  redis.on("error", (err: Error) => (cause ??= err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `Cannot reach Redis at REDIS_URL=${url}: ${(cause ?? err as Error).message} ` +
        "(start it with `make services`, or point REDIS_URL at a running Redis)",
    );
  }
  return redis;
}

/**
 * The next offset to count in a partition, as stored with the counts; null if
 * nothing was ever counted from it.
 *
 * @example
 * ```ts
 * await readOffset(redis, offsetKey("clicks", "clicks", 0)); // 1234n
 * ```
 */
export async function readOffset(redis: Redis, key: string): Promise<bigint | null> {
  const stored = await redis.get(key);
  return stored === null ? null : BigInt(stored);
}

/** What {@linkcode applyOnce} did with a run of messages. */
export interface Applied<M> {
  /** The messages at or after the stored offset: these were counted now. */
  fresh: M[];
  /** The messages before the stored offset: counted before, left alone. */
  skipped: number;
  /** The stored offset the transaction started from (null: none yet). */
  from: bigint | null;
  /** Transactions retried because another process moved the offset first. */
  retries: number;
}

/**
 * Applies the increments for a run of messages of ONE partition (in offset
 * order) and stores the partition's next offset, in one MULTI/EXEC. Messages
 * before the stored offset are skipped: a redelivered message is never
 * counted twice. WATCH on the offset key makes the read-check-write atomic
 * too: if another process (a member that lost the partition but has not
 * noticed yet) stores an offset first, EXEC applies nothing and the run is
 * checked again.
 *
 * `prepare` turns the fresh messages into increments; it runs before the
 * transaction, so anything it sends elsewhere (dead letters) is out before
 * the offset moves past it.
 *
 * @example
 * ```ts
 * const applied = await applyOnce(redis, offsetKey("clicks", "clicks", 0), batch.messages,
 *   (fresh) => Promise.resolve(tally(fresh.map(toClick), options)));
 * applied.fresh.length; // counted now
 * ```
 */
export async function applyOnce<M extends { offset: string }>(
  redis: Redis,
  offsetKey: string,
  messages: M[],
  prepare: (fresh: M[]) => Promise<Increment[]>,
): Promise<Applied<M>> {
  for (let retries = 0;; retries++) {
    await redis.watch(offsetKey);
    let from: bigint | null;
    let fresh: M[];
    let increments: Increment[];
    try {
      from = await readOffset(redis, offsetKey);
      fresh = from === null ? messages : messages.filter((m) => BigInt(m.offset) >= from!);
      increments = fresh.length === 0 ? [] : await prepare(fresh);
    } catch (err) {
      await redis.unwatch();
      throw err;
    }
    const skipped = messages.length - fresh.length;
    if (fresh.length === 0) {
      await redis.unwatch();
      return { fresh, skipped, from, retries };
    }
    const transaction = redis.multi();
    for (const { key, by, expireAt } of increments) {
      transaction.incrby(key, by);
      if (expireAt !== undefined) transaction.pexpireat(key, expireAt);
    }
    transaction.set(offsetKey, String(BigInt(fresh.at(-1)!.offset) + 1n));
    const replies = await transaction.exec();
    if (replies === null) continue; // WATCH: the offset moved under us; check again.
    const failed = replies.find(([err]) => err !== null);
    if (failed) throw failed[0];
    return { fresh, skipped, from, retries };
  }
}

/** A user's counts at one moment. */
export interface Counts {
  total: number;
  /** Clicks in the buckets of the window. */
  rolling: number;
  /** Start (epoch ms) of the oldest bucket in the window. */
  since: number;
}

/**
 * Reads a user's total and rolling count in one MGET. A user never seen has
 * zeros.
 *
 * @example
 * ```ts
 * await readCounts(redis, "clicks", "u-1", { windowMs: 300_000, bucketMs: 60_000 });
 * // { total: 42, rolling: 7, since: 1793524260000 }
 * ```
 */
export async function readCounts(
  redis: Redis,
  prefix: string,
  user: string,
  options: { windowMs: number; bucketMs: number; now?: number },
): Promise<Counts> {
  const { windowMs, bucketMs, now = Date.now() } = options;
  const buckets = windowBuckets(now, windowMs, bucketMs);
  const values = await redis.mget(
    totalKey(prefix, user),
    ...buckets.map((start) => bucketKey(prefix, user, start)),
  );
  const [total, ...rolling] = values.map((v) => Number(v ?? 0));
  return { total, rolling: rolling.reduce((a, b) => a + b, 0), since: buckets.at(-1)! };
}
