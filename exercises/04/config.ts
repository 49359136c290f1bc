/**
 * Exercise 04's settings, read from env vars in one place. Each has a default
 * that works with `make services` and `user_api.ts` started as it is; a bad
 * value stops the program with a message naming the variable and its value.
 *
 * @module
 */

/** Settings of the read-through cache (`user_cache.ts`). */
export interface Config {
  /** `REDIS_URL`. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `USER_API_URL`: where the user API answers `GET /users/:id`. Default `http://127.0.0.1:8044`. */
  userApiUrl: string;
  /** `CACHE_TTL_SECONDS`: how long a user stays in Redis. Default 60. */
  ttlSeconds: number;
  /** `CACHE_NOT_FOUND_TTL_SECONDS`: how long "no such user" stays in Redis. Default 10. */
  notFoundTtlSeconds: number;
  /** `CACHE_PREFIX`: keys are `<prefix>:<id>`. Default `users:v1`. */
  prefix: string;
  /** `REDIS_TIMEOUT_MS`: connect and command timeout; past it the cache asks the API. Default 500. */
  redisTimeoutMs: number;
  /** `USER_API_TIMEOUT_MS`: give up on the user API after this long. Default 5000. */
  apiTimeoutMs: number;
}

/** Settings of the slow user API (`user_api.ts`). */
export interface ApiConfig {
  /** `USER_API_HOST`: the address it listens on. Default `127.0.0.1`. */
  host: string;
  /** `USER_API_PORT`. Default 8044; 0 picks a free port. */
  port: number;
  /** `USER_API_LATENCY_MS`: how long each `GET /users/:id` takes. Default 200. */
  latencyMs: number;
  /** `USER_API_USERS`: users 1..N exist, every other id is 404. Default 1000. */
  users: number;
}

type Vars = Record<string, string | undefined>;

/**
 * Reads the cache's config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ CACHE_TTL_SECONDS: "1" }).ttlSeconds; // 1
 * readConfig({ CACHE_TTL_SECONDS: "60s" }); // throws RangeError
 * ```
 */
export function readConfig(vars: Vars = Deno.env.toObject()): Config {
  const prefix = text(vars, "CACHE_PREFIX", "users:v1");
  if (!/^[A-Za-z0-9_.:-]+$/.test(prefix) || prefix.endsWith(":")) {
    throw new TypeError(
      `Cannot use 'CACHE_PREFIX' as it is not letters, digits, "_.:-" without a trailing ":": ` +
        `current value is "${prefix}"`,
    );
  }
  const redisUrl = url(vars, "REDIS_URL", "redis://127.0.0.1:6379", ["redis:", "rediss:"]);
  checkRedisDb(redisUrl);
  return {
    redisUrl,
    userApiUrl: url(vars, "USER_API_URL", "http://127.0.0.1:8044", ["http:", "https:"])
      .replace(/\/+$/, ""),
    ttlSeconds: parseSeconds("CACHE_TTL_SECONDS", text(vars, "CACHE_TTL_SECONDS", "60")),
    notFoundTtlSeconds: parseSeconds(
      "CACHE_NOT_FOUND_TTL_SECONDS",
      text(vars, "CACHE_NOT_FOUND_TTL_SECONDS", "10"),
    ),
    prefix,
    redisTimeoutMs: integer(vars, "REDIS_TIMEOUT_MS", 500, 1),
    apiTimeoutMs: integer(vars, "USER_API_TIMEOUT_MS", 5000, 1),
  };
}

/**
 * Reads the user API's config from the environment (or from `vars`).
 *
 * @example
 * ```ts
 * readApiConfig({ USER_API_LATENCY_MS: "50" }).latencyMs; // 50
 * ```
 */
export function readApiConfig(vars: Vars = Deno.env.toObject()): ApiConfig {
  return {
    host: text(vars, "USER_API_HOST", "127.0.0.1"),
    port: integer(vars, "USER_API_PORT", 8044, 0, 65535),
    latencyMs: integer(vars, "USER_API_LATENCY_MS", 200, 0),
    users: integer(vars, "USER_API_USERS", 1000, 0),
  };
}

/**
 * Parses a TTL in whole seconds, as `SET key value EX <seconds>` takes it:
 * an integer from 1 to 30 days. A unit ("60s"), a fraction or 0 is an error
 * rather than a guess (`EX 0` is an error in Redis, and no TTL means forever).
 *
 * @example
 * ```ts
 * parseSeconds("CACHE_TTL_SECONDS", "60"); // 60
 * parseSeconds("CACHE_TTL_SECONDS", "1.5"); // throws RangeError
 * ```
 */
export function parseSeconds(name: string, raw: string): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(value >= 1 && value <= MAX_TTL_SECONDS)) {
    throw new RangeError(
      `Cannot use '${name}' as it is not a whole number of seconds from 1 to ${MAX_TTL_SECONDS}: ` +
        `current value is "${raw}"`,
    );
  }
  return value;
}

/** 30 days: a cache entry meant to live longer is a database row. */
export const MAX_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Checks the database part of a `redis://host:port/<db>` URL. ioredis reads
 * it with `parseInt`: `/abc` would silently be database 0, `/1.5` database 1,
 * and `/-1` (or a `?db=` it also reads) is only refused at connect. So only
 * `/<digits>` (or nothing: database 0) is accepted; whether the server has
 * that database is checked at connect (`createUserCache()`).
 */
function checkRedisDb(raw: string): void {
  const parsed = new URL(raw);
  if (/^(\/(0|[1-9][0-9]{0,8}))?\/?$/.test(parsed.pathname) && !parsed.searchParams.has("db")) {
    return;
  }
  throw new TypeError(
    `Cannot use 'REDIS_URL' as its database is not a whole number from 0 ` +
      `written as redis://host:port/<db>: ` +
      `current value is "${raw}"`,
  );
}

function text(vars: Vars, name: string, fallback: string): string {
  const value = (vars[name] ?? fallback).trim();
  if (value === "") {
    throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
  }
  return value;
}

function integer(vars: Vars, name: string, fallback: number, min: number, max = 2 ** 31): number {
  const raw = text(vars, name, String(fallback));
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new RangeError(
      `Cannot use '${name}' as it is not an integer from ${min} to ${max}: current value is "${raw}"`,
    );
  }
  return value;
}

function url(vars: Vars, name: string, fallback: string, schemes: string[]): string {
  const raw = text(vars, name, fallback);
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    // Reported below.
  }
  if (!parsed || !schemes.includes(parsed.protocol) || parsed.hostname === "") {
    throw new TypeError(
      `Cannot use '${name}' as it is not a ${
        schemes.map((s) => `${s}//`).join(" or ")
      } URL: current value is "${raw}"`,
    );
  }
  return raw;
}
