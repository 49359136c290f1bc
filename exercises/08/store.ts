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
 * The counts and the partition's next offset in one server-side step: Redis
 * runs a script to its end before any other command, so no reader sees one
 * without the other. It applies nothing, and answers 0, when the stored offset
 * is no longer the one the run was checked against (another process moved
 * it first). KEYS: the offset key, then one key per increment. ARGV: the
 * expected offset ("" for none), the new offset, then per increment its
 * amount and its expiry (epoch ms, "" for none).
 */
const APPLY_ONCE = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
for i = 2, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  if ARGV[2 * i] ~= '' then redis.call('PEXPIREAT', KEYS[i], ARGV[2 * i]) end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

type WithApplyOnce = Redis & {
  drillsApplyOnce(keys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * Applies the increments for a run of messages of ONE partition (in offset
 * order) and stores the partition's next offset, atomically (one Lua script,
 * {@linkcode APPLY_ONCE}). Messages before the stored offset are skipped: a
 * redelivered message is never counted twice. The script checks the stored
 * offset is still the one the run was read against, so the read-check-write
 * is atomic too: if another process (a member that lost the partition but
 * has not noticed yet) stores an offset first, nothing is applied and the run
 * is checked again.
 *
 * One script call per run, instead of a MULTI with a command per key
 * (INCRBY, PEXPIREAT: about three per click) and WATCH: the Redis client
 * encodes one command and parses one reply (the README's bench gives the
 * figures).
 *
 * `prepare` turns the fresh messages into increments; it runs before the
 * script, so anything it sends elsewhere (dead letters) is out before the
 * offset moves past it.
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
  const client = redis as WithApplyOnce;
  if (typeof client.drillsApplyOnce !== "function") {
    redis.defineCommand("drillsApplyOnce", { lua: APPLY_ONCE });
  }
  for (let retries = 0;; retries++) {
    const from = await readOffset(redis, offsetKey);
    const fresh = from === null ? messages : messages.filter((m) => BigInt(m.offset) >= from);
    const skipped = messages.length - fresh.length;
    if (fresh.length === 0) return { fresh, skipped, from, retries };
    const increments = await prepare(fresh);
    const keys = [offsetKey, ...increments.map((i) => i.key)];
    const args: (string | number)[] = [
      from === null ? "" : String(from),
      String(BigInt(fresh.at(-1)!.offset) + 1n),
    ];
    for (const { by, expireAt } of increments) args.push(by, expireAt ?? "");
    const applied = await client.drillsApplyOnce(keys.length, ...keys, ...args);
    if (applied === 1) return { fresh, skipped, from, retries };
    // The offset moved under us: check the run again against the new one.
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
