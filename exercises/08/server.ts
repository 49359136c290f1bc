/**
 * Exercise 08, the HTTP endpoint (Hono): a user's total clicks and rolling
 * count, read from Redis.
 *
 *   GET /users/:id/clicks?window=5m   200 {"user_id","total","rolling","window","since","as_of"}
 *   GET /health                       200 {"status":"ok"}, 503 when Redis does not answer
 *
 * A user never seen gets zeros; a bad window is a 400 that says why.
 *
 * @example
 * ```sh
 * deno run -A exercises/08/server.ts
 * curl -s '127.0.0.1:8080/users/u-01/clicks?window=15m'
 * ```
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Redis } from "ioredis";
import { failFastOptions } from "../../infra/redis_client.ts";
import { type Config, readConfig } from "./config.ts";
import { connectRedis, readCounts } from "./store.ts";
import { formatDuration, parseWindow } from "./window.ts";

/** Options for {@linkcode createApp}. */
export interface AppOptions {
  /** The clock the windows are read against. Default `Date.now`. */
  now?: () => number;
}

/**
 * The Hono app, without a server: tests call `app.request(path)`.
 *
 * @example
 * ```ts
 * const app = createApp(redis, readConfig());
 * const res = await app.request("/users/u-01/clicks?window=15m");
 * await res.json(); // { user_id: "u-01", total: 42, rolling: 7, window: "15m", … }
 * ```
 */
export function createApp(redis: Redis, config: Config, options: AppOptions = {}): Hono {
  const { now = Date.now } = options;
  const limits = {
    bucketMs: config.bucketMs,
    maxMs: config.retentionMs,
    defaultMs: config.defaultWindowMs,
  };
  const app = new Hono();

  app.get("/users/:id/clicks", async (c) => {
    const user = userIdOf(c.req.url);
    if (user.length > 128) {
      throw new HTTPException(400, {
        message: "Cannot use the user id as it is longer than 128 characters",
      });
    }
    let windowMs: number;
    try {
      windowMs = parseWindow(c.req.query("window"), limits);
    } catch (err) {
      throw new HTTPException(400, { message: (err as Error).message });
    }
    const at = now();
    let counts;
    try {
      counts = await readCounts(redis, config.prefix, user, {
        windowMs,
        bucketMs: config.bucketMs,
        now: at,
      });
    } catch (err) {
      throw new HTTPException(503, {
        message: "Cannot read the counts: Redis is unavailable",
        cause: err,
      });
    }
    return c.json({
      user_id: user,
      total: counts.total,
      rolling: counts.rolling,
      window: formatDuration(windowMs),
      since: new Date(counts.since).toISOString(),
      as_of: new Date(at).toISOString(),
    });
  });

  app.get("/health", async (c) => {
    try {
      await redis.ping();
    } catch (err) {
      throw new HTTPException(503, { message: "Redis is unavailable", cause: err });
    }
    return c.json({ status: "ok" });
  });

  app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      if (err.status >= 500) console.error(`server: ${err.message}: ${err.cause}`);
      return c.json({ error: err.message }, err.status);
    }
    console.error(`server: ${c.req.method} ${c.req.path} failed: ${err.stack ?? err}`);
    return c.json({ error: "Internal error" }, 500);
  });
  return app;
}

/**
 * The user id from the raw path, decoded strictly. Hono's `param()` keeps a
 * malformed escape (`%ZZ`, a cut UTF-8 sequence such as `%E2%82`) as literal
 * text, which would read the counts of a user "%ZZ": a 400 instead.
 */
function userIdOf(url: string): string {
  const raw = new URL(url).pathname.split("/")[2] ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
    throw new HTTPException(400, {
      message: `Cannot use the user id as it is not valid percent-encoded UTF-8: got "${shown}"`,
    });
  }
}

if (import.meta.main) {
  try {
    const config = readConfig();
    // Fail fast while Redis is away or hung (a 503 within a second) instead
    // of queueing requests; unreachable at start is still exit 1.
    const redis = await connectRedis(config.redisUrl, failFastOptions());
    const app = createApp(redis, config);
    const server = Deno.serve({
      hostname: config.httpHost,
      port: config.httpPort,
      onListen: ({ hostname, port }) => {
        console.error(
          `server: listening on http://${hostname}:${port}, counts under ${config.prefix}:* ` +
            `(buckets of ${formatDuration(config.bucketMs)}, default window ${
              formatDuration(config.defaultWindowMs)
            })`,
        );
      },
    }, app.fetch);
    const stop = async () => {
      await server.shutdown();
      await redis.quit();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch (err) {
    console.error(`server: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
