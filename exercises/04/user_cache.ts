/**
 * Exercise 04: a read-through cache of user details in Redis. `getUser(id)`
 * answers from Redis when it can; otherwise it asks the user API and stores
 * the answer with `SET key value EX ttl` (value and TTL in one command).
 *
 * Beyond the brief: concurrent misses for one id make one API call (single
 * flight); "no such user" is cached too, for a shorter time; when Redis is
 * down or slow, answers come from the API (one warning per outage) and caching
 * resumes by itself when Redis is back.
 *
 * @example
 * ```sh
 * deno run -A exercises/04/user_api.ts &             # the slow source, on 127.0.0.1:8044
 * deno run -A exercises/04/user_cache.ts 42 42 99999  # one JSON line per id
 * ```
 * @module
 */
import { Redis } from "ioredis";
import { type Config, readConfig } from "./config.ts";
import { SingleFlight } from "./single_flight.ts";
import type { User } from "./user_api.ts";
import { parseUserId, userKey } from "./user_key.ts";

export type { User };

/** One answer of {@linkcode UserCache.lookup}. */
export interface Lookup {
  /** The user, or null when the API says there is no such user. */
  user: User | null;
  /** Where the answer came from. Calls that joined another's flight share its source. */
  source: "redis" | "api";
  /** True when the answer is in Redis now (a hit, or a miss that was stored). */
  cached: boolean;
}

/** Counters since the cache was created. */
export interface CacheStats {
  /** Calls to `getUser()` / `lookup()`, including bad ids. */
  lookups: number;
  /** Flights answered from Redis (user or cached "not found"). */
  hits: number;
  /** Calls to the user API (each a miss, or Redis unavailable). */
  apiCalls: number;
  /** Calls that joined a flight already running for the same id. */
  joined: number;
  /** Redis commands that failed (down, timed out, refused). */
  redisErrors: number;
}

/** The cache. Close it with `close()`. */
export interface UserCache {
  /**
   * The user with this id (a positive integer, or its decimal string), or
   * null if there is none. Throws RangeError for a bad id, and an Error when
   * the user API fails (an API failure is never cached).
   */
  getUser(id: unknown): Promise<User | null>;
  /** Like `getUser()`, and says where the answer came from. */
  lookup(id: unknown): Promise<Lookup>;
  stats(): CacheStats;
  /** The ioredis client, for tests and the curious. */
  readonly redis: Redis;
  close(): Promise<void>;
}

/** Options for {@linkcode createUserCache}. */
export interface CacheOptions {
  /** Where warnings go (Redis down, back up, a corrupt entry). Default: stderr. */
  warn?: (message: string) => void;
}

/**
 * An ioredis client that fails fast instead of waiting for Redis. ioredis's
 * defaults suit a job queue, not a cache: commands issued while disconnected
 * wait in an offline queue, and a command in flight when the connection drops
 * is retried up to 20 reconnects later, so a down Redis would hang every
 * lookup for seconds. Here a command fails at once when there is no
 * connection, or after `timeoutMs` when Redis does not answer; ioredis keeps
 * reconnecting in the background (every second at most), so caching resumes
 * by itself.
 *
 * @example
 * ```ts
 * const redis = cacheRedis("redis://127.0.0.1:6379", 500);
 * await redis.connect();
 * ```
 */
export function cacheRedis(url: string, timeoutMs: number): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  // Without a listener ioredis prints every failed reconnection itself; the
  // cache reports outages from the commands that fail.
  redis.on("error", () => {});
  return redis;
}

/**
 * Connects to Redis (if it can: the cache works without it) and returns the cache.
 *
 * @example
 * ```ts
 * const cache = await createUserCache(readConfig());
 * await cache.getUser(42); // from the API, now cached for 60 s
 * await cache.getUser("42"); // from Redis
 * await cache.close();
 * ```
 */
export async function createUserCache(
  config: Config,
  options: CacheOptions = {},
): Promise<UserCache> {
  const { warn = (message: string) => console.error(`user-cache: ${message}`) } = options;
  const stats: CacheStats = { lookups: 0, hits: 0, apiCalls: 0, joined: 0, redisErrors: 0 };
  const flight = new SingleFlight<Answer>();
  const redis = cacheRedis(config.redisUrl, config.redisTimeoutMs);

  // Redis health as the commands see it: one warning when it goes, one when it is back.
  let redisDown = false;
  let uncached = 0;
  const redisFailed = (command: string, err: unknown) => {
    stats.redisErrors++;
    let message = (err as Error).message;
    // ioredis's words for "no connection right now" (enableOfflineQueue: false).
    if (message.includes("enableOfflineQueue")) message = "not connected";
    if ((err as Error).name === "ReplyError") {
      // Redis answered, with an error about this command (WRONGTYPE, OOM...): not an outage.
      warn(`Redis refused ${command}: ${message}`);
      return;
    }
    if (!redisDown) {
      redisDown = true;
      warn(
        `Redis unavailable at REDIS_URL=${config.redisUrl} (${command}: ${message}); ` +
          "answering from the user API without caching",
      );
    }
  };
  const redisOk = () => {
    if (!redisDown) return;
    redisDown = false;
    warn(
      `Redis is back at REDIS_URL=${config.redisUrl}; caching again (${uncached} answers were not cached)`,
    );
    uncached = 0;
  };

  // connect() rejects with "Connection is closed."; the cause comes as an event.
  let cause: Error | undefined;
  const remember = (err: Error) => cause = err;
  redis.on("error", remember);
  try {
    await redis.connect();
  } catch (err) {
    redisFailed("connect", cause ?? err);
  } finally {
    redis.off("error", remember);
  }

  // One flight per key: GET, and on a miss the API call and the SET.
  const load = async (id: string, key: string): Promise<Answer> => {
    let stored: string | null = null;
    try {
      stored = await redis.get(key);
      redisOk();
    } catch (err) {
      redisFailed(`GET ${key}`, err);
    }
    if (stored !== null) {
      if (isCachedValue(stored)) {
        stats.hits++;
        return { text: stored, source: "redis", cached: true };
      }
      warn(`ignoring ${key} as it is not a cached user: current value is ${preview(stored)}`);
    }

    stats.apiCalls++;
    const fetched = await fetchUser(config, id);
    // Value and TTL in one command: SET then EXPIRE would leave a key without
    // a TTL (cached for ever) if the process or the connection died between the two.
    const ttl = fetched === "null" ? config.notFoundTtlSeconds : config.ttlSeconds;
    let cached = false;
    try {
      await redis.set(key, fetched, "EX", ttl);
      redisOk();
      cached = true;
    } catch (err) {
      redisFailed(`SET ${key}`, err);
    }
    if (!cached) uncached++;
    return { text: fetched, source: "api", cached };
  };

  const lookup = async (id: unknown): Promise<Lookup> => {
    stats.lookups++;
    const userId = parseUserId(id);
    const key = userKey(config.prefix, userId);
    const answer = await flight.do(key, () => load(userId, key));
    // Each caller parses its own copy: a caller that edits its user does not
    // change what the others sharing the flight got.
    return { user: JSON.parse(answer.text), source: answer.source, cached: answer.cached };
  };

  return {
    lookup,
    getUser: async (id) => (await lookup(id)).user,
    stats: () => ({ ...stats, joined: flight.joined }),
    redis,
    close: () => closeRedis(redis),
  };
}

/**
 * Closes an ioredis client: QUIT when connected, else stops reconnecting; and
 * waits until the socket is gone (so Deno's test sanitizers see no leak).
 *
 * @example
 * ```ts
 * await closeRedis(redis);
 * ```
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end" || redis.status === "wait") return;
  if (redis.status === "reconnecting") {
    // No socket, only the timer of the next attempt: disconnect() clears it,
    // and no "end" event follows.
    redis.disconnect();
    return;
  }
  const ended = new Promise((resolve) => redis.once("end", resolve));
  if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
  await ended;
}

/** What a flight yields: the JSON text (a user, or `null` for "not found"). */
interface Answer {
  text: string;
  source: Lookup["source"];
  cached: boolean;
}

/**
 * Asks the user API for one user. Returns the user as compact JSON text, or
 * `"null"` on 404 (that answer is cached too). Any other answer throws.
 *
 * @example
 * ```ts
 * await fetchUser(readConfig(), "42"); // '{"id":42,"name":"Meera Iyer",…}'
 * await fetchUser(readConfig(), "99999"); // "null"
 * ```
 */
export async function fetchUser(config: Config, id: string): Promise<string> {
  const where = `user ${id} from USER_API_URL=${config.userApiUrl}`;
  let response: Response;
  try {
    response = await fetch(`${config.userApiUrl}/users/${encodeURIComponent(id)}`, {
      signal: AbortSignal.timeout(config.apiTimeoutMs),
    });
  } catch (err) {
    const reason = (err as Error).name === "TimeoutError"
      ? `no answer within ${config.apiTimeoutMs} ms`
      : (err as Error).message;
    throw new Error(`Cannot fetch ${where}: ${reason}`);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return "null";
  }
  const body = await response.text();
  if (!response.ok) {
    throw new Error(`Cannot fetch ${where}: answered ${response.status}: ${preview(body)}`);
  }
  let user: unknown;
  try {
    user = JSON.parse(body);
  } catch {
    // Reported below.
  }
  if (typeof user !== "object" || user === null || Array.isArray(user)) {
    throw new Error(
      `Cannot cache ${where} as it is not a JSON object: current value is ${preview(body)}`,
    );
  }
  return JSON.stringify(user);
}

/**
 * True for what the cache writes: a user (a JSON object) or `null` ("not
 * found"). Anything else under our key (an older format, a hand-edited value)
 * is treated as a miss and overwritten.
 *
 * @example
 * ```ts
 * isCachedValue('{"id":42}'); // true
 * isCachedValue("null"); // true
 * isCachedValue("42"); // false
 * ```
 */
export function isCachedValue(text: string): boolean {
  try {
    const value = JSON.parse(text);
    return value === null || (typeof value === "object" && !Array.isArray(value));
  } catch {
    return false;
  }
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

if (import.meta.main) {
  let cache: UserCache | undefined;
  let failed = false;
  try {
    const config = readConfig();
    if (Deno.args.length === 0) {
      throw new TypeError("Cannot look up users as no id was given: usage: user_cache.ts ID...");
    }
    cache = await createUserCache(config);
    for (const id of Deno.args) {
      const started = performance.now();
      try {
        const { user, source, cached } = await cache.lookup(id);
        const ms = Math.round((performance.now() - started) * 10) / 10;
        console.log(JSON.stringify({ id, source, cached, ms, user }));
      } catch (err) {
        failed = true;
        console.error(`user-cache: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    failed = true;
    console.error(`user-cache: ${(err as Error).message}`);
  } finally {
    await cache?.close();
  }
  Deno.exit(failed ? 1 : 0);
}
