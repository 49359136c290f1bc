/**
 * Exercise 07's settings, read from env vars in one place. Each has a default
 * that works with `make services`; a bad value stops the server before it
 * listens, with a message naming the variable and its value.
 *
 * @module
 */

/** Everything the API server can be told. */
export interface Config {
  /** `HOST`: the address to listen on. Default `127.0.0.1` (`0.0.0.0` in the container). */
  host: string;
  /** `PORT`: 0 picks a free port (the server prints the one it got). Default 3000. */
  port: number;
  /** `REDIS_URL`: `redis://[[user]:password@]host[:port][/db]` or `rediss://…`. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `RECORDS_PREFIX`: a record is stored at `<prefix>:<id>`. Default `records`. */
  prefix: string;
  /** `RECORDS_BODY_LIMIT`: the largest request body accepted, in bytes (else 413). Default 16384. */
  bodyLimit: number;
  /** `REDIS_TIMEOUT_MS`: connect timeout, and how long one Redis command may take (else 503). Default 1000. */
  redisTimeoutMs: number;
  /** `SHUTDOWN_TIMEOUT_MS`: how long SIGINT/SIGTERM waits for requests in flight. Default 8000. */
  shutdownTimeoutMs: number;
}

/**
 * The URL with its password (if any) replaced by `***`, for logs and messages.
 *
 * @example
 * ```ts
 * redactUrl("redis://:s3cret@cache:6379/0"); // "redis://:***@cache:6379/0"
 * ```
 */
export function redactUrl(url: string): string {
  // By hand, not with `new URL()`: a value that does not parse must not leak either.
  const at = url.lastIndexOf("@");
  if (at === -1) return url;
  const start = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0].length ?? 0;
  const colon = url.indexOf(":", start);
  if (colon === -1 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ PORT: "8081" }).port; // 8081
 * readConfig({ PORT: "http" }); // throws RangeError naming PORT and "http"
 * ```
 */
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const text = (name: string, fallback: string): string => {
    const value = vars[name] ?? fallback;
    if (value.trim() === "") {
      throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
    }
    return value.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new RangeError(
        `Cannot use '${name}' as it is not an integer from ${min} to ${max}: current value is "${raw}"`,
      );
    }
    return value;
  };

  const redisUrl = text("REDIS_URL", "redis://127.0.0.1:6379");
  let parsed: URL | undefined;
  try {
    parsed = new URL(redisUrl);
  } catch {
    // Reported below.
  }
  if (!parsed || !["redis:", "rediss:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new TypeError(
      `Cannot use 'REDIS_URL' as it is not a redis:// or rediss:// URL: current value is "${
        redactUrl(redisUrl)
      }"`,
    );
  }
  // ioredis reads the database with parseInt: "/abc" would silently be
  // database 0, "/1.5" database 1; "/-1" (or a "?db=" it also reads) fails
  // only at connect. Whether the server has the database is checked there
  // (connectOrKeepTrying()).
  if (!/^(\/(0|[1-9][0-9]{0,8}))?\/?$/.test(parsed.pathname) || parsed.searchParams.has("db")) {
    throw new TypeError(
      `Cannot use 'REDIS_URL' as its database is not a whole number from 0 written as ` +
        `redis://host:port/<db>: current value is "${redactUrl(redisUrl)}"`,
    );
  }

  const prefix = text("RECORDS_PREFIX", "records");
  // SCAN MATCH "<prefix>:*" must mean what it says: no glob characters, no spaces.
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new TypeError(
      `Cannot use 'RECORDS_PREFIX' as it is not 1 to 64 letters, digits or _.:- characters: ` +
        `current value is "${prefix}"`,
    );
  }

  return {
    host: text("HOST", "127.0.0.1"),
    port: integer("PORT", 3000, 0, 65535),
    redisUrl,
    prefix,
    bodyLimit: integer("RECORDS_BODY_LIMIT", 16384, 1, 64 * 1024 * 1024),
    redisTimeoutMs: integer("REDIS_TIMEOUT_MS", 1000, 1, 60_000),
    shutdownTimeoutMs: integer("SHUTDOWN_TIMEOUT_MS", 8000, 1, 3_600_000),
  };
}
