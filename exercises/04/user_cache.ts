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
import { shorten } from "../../infra/describe.ts";
import { closeRedis, failFastOptions } from "../../infra/redis_client.ts";
import { type Config, readConfig } from "./config.ts";
import { SingleFlight } from "./single_flight.ts";
import { Timeouts } from "./timeouts.ts";
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
  // A down or hung Redis fails each command at once or after the timeout, so
  // a lookup falls back to the API instead of waiting; caching resumes by itself.
  // The timeout of GET, SET and QUIT is kept by `timeouts` (one timer for all)
  // rather than ioredis's commandTimeout (a timer per command: see timeouts.ts).
  const timeouts = new Timeouts(config.redisTimeoutMs, TIMED_OUT);
  const redis = new Redis(config.redisUrl, {
    ...failFastOptions({ timeoutMs: config.redisTimeoutMs }),
    commandTimeout: undefined,
  });
  // Without a listener ioredis prints every failed reconnection itself; the
  // cache reports outages from the commands that fail.
  redis.on("error", () => {});

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

  // A SELECT of a database the server does not have is only an "error"
  // event: ioredis goes on to "ready" on database 0, and the cache would
  // write there. At start that is a bad REDIS_URL (thrown below); on a later
  // reconnection (Redis replaced by one with fewer databases) the client
  // stops, and every answer comes from the API.
  let badDb: Error | undefined;
  let started = false;
  redis.on("error", (err: Error) => {
    if (!/DB index is out of range/.test(err.message)) return;
    badDb = err;
    if (!started) return;
    warn(
      `Redis at REDIS_URL=${config.redisUrl} has no database ${redis.options.db} ` +
        `(${err.message}); answering from the user API without caching`,
    );
    redis.disconnect();
  });
  // connect() rejects with "Connection is closed."; the cause comes as an event.
  let cause: Error | undefined;
  const remember = (err: Error) => cause = err;
  redis.on("error", remember);
  // A hung Redis accepts the connection and never answers the handshake:
  // wait at most the timeout (ioredis goes on trying in the background).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), config.redisTimeoutMs);
  });
  const connecting = redis.connect();
  connecting.catch(() => {}); // Reported below, or by the first command after the timeout.
  try {
    if (await Promise.race([connecting, timedOut]) === "timeout") {
      redisFailed("connect", new Error(`no answer within ${config.redisTimeoutMs} ms`));
    }
  } catch (err) {
    redisFailed("connect", cause ?? err);
  } finally {
    clearTimeout(timer);
    redis.off("error", remember);
  }
  started = true;
  if (badDb) {
    await closeRedis(redis);
    throw new RangeError(
      `Cannot use 'REDIS_URL' as Redis has no database ${redis.options.db} ` +
        `(${badDb.message}): current value is "${config.redisUrl}"`,
    );
  }

  // One flight per key: GET, and on a miss the API call and the SET.
  const load = async (id: string, key: string): Promise<Answer> => {
    let stored: string | null = null;
    let hung = false;
    try {
      stored = await timeouts.run(redis.get(key));
      redisOk();
    } catch (err) {
      redisFailed(`GET ${key}`, err);
      hung = (err as Error).message === TIMED_OUT;
    }
    if (stored !== null) {
      const read = readCached(stored, id);
      if (read.problem === undefined) {
        stats.hits++;
        return { text: stored, user: read.user, source: "redis", cached: true };
      }
      warn(`ignoring ${key} as ${read.problem}: current value is ${preview(stored)}`);
    }

    stats.apiCalls++;
    const fetched = await fetchUser(config, id);
    // A Redis that did not answer the GET within the timeout would make the
    // SET wait as long again: skip it, and the call costs one timeout, not two.
    if (hung) {
      uncached++;
      return { text: fetched, user: JSON.parse(fetched), source: "api", cached: false };
    }
    // Value and TTL in one command: SET then EXPIRE would leave a key without
    // a TTL (cached for ever) if the process or the connection died between the two.
    // SET replaces whatever was there, also a key of another type (a hash: WRONGTYPE on GET).
    const ttl = fetched === NOT_FOUND ? config.notFoundTtlSeconds : config.ttlSeconds;
    let cached = false;
    try {
      await timeouts.run(redis.set(key, fetched, "EX", ttl));
      redisOk();
      cached = true;
    } catch (err) {
      redisFailed(`SET ${key}`, err);
    }
    if (!cached) uncached++;
    return { text: fetched, user: JSON.parse(fetched), source: "api", cached };
  };

  const lookup = async (id: unknown): Promise<Lookup> => {
    stats.lookups++;
    const userId = parseUserId(id);
    const key = userKey(config.prefix, userId);
    let led = false;
    const answer = await flight.do(key, () => {
      led = true;
      return load(userId, key);
    });
    // The caller that ran the flight takes the user it parsed; the others that
    // joined parse their own copy, so a caller that edits its user does not
    // change what the others got.
    return {
      user: led ? answer.user : JSON.parse(answer.text),
      source: answer.source,
      cached: answer.cached,
    };
  };

  return {
    lookup,
    getUser: (id) => lookup(id).then((answer) => answer.user),
    stats: () => ({ ...stats, joined: flight.joined }),
    redis,
    close: async () => {
      // QUIT waits for Redis's answer: from a hung Redis, none comes, so
      // after the timeout the connection is dropped instead.
      const closing = closeRedis(redis);
      await timeouts.run(closing).catch(() => redis.disconnect());
      await closing;
      timeouts.stop();
    },
  };
}

/** What a flight yields: the JSON text (a user, or `null` for "not found"). */
interface Answer {
  text: string;
  /** `text` parsed, for the caller that ran the flight. */
  user: User | null;
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
    return NOT_FOUND;
  }
  const body = await response.text();
  if (!response.ok) {
    throw new Error(`Cannot fetch ${where}: answered ${response.status}: ${preview(body)}`);
  }
  let user: unknown;
  try {
    user = JSON.parse(body);
  } catch {
    throw new Error(`Cannot cache ${where} as it is not JSON: current value is ${preview(body)}`);
  }
  const problem = whyNotUser(user, id);
  if (problem !== undefined) {
    throw new Error(`Cannot cache ${where} as ${problem}: current value is ${preview(body)}`);
  }
  return JSON.stringify(user);
}

/** What the cache stores for "no such user". */
const NOT_FOUND = "null";

/** The message of a command that got no answer within the timeout (ioredis's words for it). */
const TIMED_OUT = "Command timed out";

/**
 * Why `text`, read from the key of user `id`, is not what the cache writes
 * for that user; undefined when it is. The cache writes exactly `null` ("not
 * found") or the user as a JSON object with this id and the fields of
 * {@linkcode User}. Anything else under the key (an older format, a hand
 * edit, another user's record, `{}`) is a miss: fetched again and overwritten,
 * with its TTL.
 *
 * @example
 * ```ts
 * whyNotCached('{"id":42,"name":"A","email":"a@x","city":"Pune"}', "42"); // undefined
 * whyNotCached("null", "42"); // undefined
 * whyNotCached("{}", "42"); // "its id is not 42"
 * ```
 */
export function whyNotCached(text: string, id: string): string | undefined {
  return readCached(text, id).problem;
}

/** `text` parsed, when it passes {@linkcode whyNotCached}; else why not. */
function readCached(text: string, id: string): { user: User | null; problem?: undefined } | {
  problem: string;
} {
  if (text === NOT_FOUND) return { user: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "it is not JSON" };
  }
  // JSON.parse(" null") is null too, but the cache never writes that.
  if (value === null) return { problem: 'it is not the "not found" marker (exactly null)' };
  const problem = whyNotUser(value, id);
  return problem === undefined ? { user: value as User } : { problem };
}

/**
 * Why `value` is not user `id` (a JSON object with that numeric id and the
 * string fields of {@linkcode User}); undefined when it is.
 *
 * @example
 * ```ts
 * whyNotUser({ id: 7, name: "A", email: "a@x", city: "Pune" }, "42"); // "its id is not 42"
 * ```
 */
export function whyNotUser(value: unknown, id: string): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "it is not a JSON object";
  }
  const user = value as Record<string, unknown>;
  if (user.id !== Number(id)) return `its id is not ${id}`;
  for (const field of ["name", "email", "city"]) {
    if (typeof user[field] !== "string") return `its ${field} is not a string`;
  }
  return undefined;
}

/** A body or cached value in a message: its first 80 characters, never half a surrogate pair. */
function preview(text: string): string {
  return JSON.stringify(shorten(text, 80));
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
