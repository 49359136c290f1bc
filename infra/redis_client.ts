/**
 * An ioredis client that fails fast while Redis is away, and closing one
 * cleanly: what a cache (04) and an API (07, 08's server) need, where a
 * request must get an answer (from the source, or a 503) instead of waiting
 * for Redis.
 *
 * @module
 */
import type { Redis, RedisOptions } from "ioredis";
import { describe } from "./describe.ts";

/** Options for {@linkcode failFastOptions}. */
export interface FailFastOptions {
  /**
   * How long a connection attempt, one command, and a disconnect may wait
   * for the server. Default 1000 ms.
   */
  timeoutMs?: number;
}

/**
 * ioredis options under which a command fails instead of waiting: at once
 * when there is no connection (no offline queue) or the connection drops
 * while it is in flight (no retry), after `timeoutMs` when Redis does not
 * answer (a hung server); a disconnect waits at most `timeoutMs` too.
 * ioredis's defaults suit a job queue, not a request: queued commands and
 * 20 retries per command made a request wait for many seconds. The client
 * keeps reconnecting in the background, at most a second apart, so it
 * recovers by itself. It connects when `connect()` is called (lazyConnect).
 * Throws a RangeError for a `timeoutMs` that is not a positive integer.
 *
 * @example
 * ```ts
 * const redis = new Redis("redis://127.0.0.1:6379", failFastOptions({ timeoutMs: 500 }));
 * redis.on("error", () => {}); // or report it: without a listener ioredis prints each one
 * await redis.connect();
 * await closeRedis(redis);
 * ```
 */
export function failFastOptions(options: FailFastOptions = {}): RedisOptions {
  const { timeoutMs = 1000 } = options;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(
      `Cannot make a fail-fast Redis client as timeoutMs is not a positive integer: got ${
        describe(timeoutMs)
      }`,
    );
  }
  return {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // How long a disconnect waits for the server to close its side (default
    // 2 s): a hung Redis never does.
    disconnectTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  };
}

/**
 * Closes an ioredis client: QUIT when connected (replies in flight arrive
 * first), else stops reconnecting; and waits until the socket is gone, so
 * Deno's test sanitizers see no leak.
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
