// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 04: getUser(id) reads a user through a Redis cache: from Redis
 * when it is there, else from the user API, then kept in Redis for 60 s.
 *
 *   deno run -A exercises/04/user_api.ts &     # the slow source, on 127.0.0.1:8044
 *   deno run -A solution.ts 42 42 99999        # one JSON line per id: where it came from
 *
 * What decides it:
 * - Value and TTL in one command, `SET key value EX 60`: SET then EXPIRE
 *   leaves a key with no TTL (cached for ever) if the process dies between.
 * - JSON both ways: stored as JSON text, parsed on a hit, so a hit is the
 *   same object as the API's answer.
 * - Redis is an optimisation, not a dependency: a failed GET or SET is
 *   warned about once and the answer comes from the API. With no offline
 *   queue and no retries a command fails at once while Redis is down, and
 *   after REDIS_TIMEOUT_MS when it hangs (ioredis's defaults wait ~1 s a call).
 */
import { Redis } from "npm:ioredis@6.0.0";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const redisUrl = env("REDIS_URL", "redis://127.0.0.1:6379");
const apiUrl = env("USER_API_URL", "http://127.0.0.1:8044");
const prefix = env("CACHE_PREFIX", "users:v1");
const ttlText = env("CACHE_TTL_SECONDS", "60");
const ttl = Number(ttlText);
const redisTimeoutMs = Number(env("REDIS_TIMEOUT_MS", "500"));
const apiTimeoutMs = Number(env("USER_API_TIMEOUT_MS", "5000"));
// EX takes whole seconds >= 1; anything else would make every SET fail, i.e. never cache.
if (!Number.isSafeInteger(ttl) || ttl < 1) {
  throw new RangeError(`CACHE_TTL_SECONDS must be a whole number >= 1: got "${ttlText}"`);
}

export type User = { id: number; name: string; email: string; city: string };

// ioredis's defaults suit a job queue: a command waits in an offline queue while Redis is
// down and is retried 20 times. A cache should fail at once and ask the API instead.
const redis = new Redis(redisUrl, {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: redisTimeoutMs, // a hung Redis too
  connectTimeout: redisTimeoutMs,
});
// ioredis reports why it cannot connect as an event; the commands that fail then say so, once.
let cause = "";
redis.on("error", (err) => cause = err.message);
await redis.connect().catch(() => {}); // down: every command fails fast; ioredis reconnects
let warned = false;
const redisFailed = (err: Error) => {
  if (warned) return;
  warned = true;
  console.error(
    `Cannot use Redis at REDIS_URL=${redisUrl}, answering from the user API: ${
      cause || err.message
    }`,
  );
};

async function fetchUser(id: string): Promise<User | null> {
  const res = await fetch(`${apiUrl}/users/${id}`, { signal: AbortSignal.timeout(apiTimeoutMs) });
  if (res.status === 404) {
    await res.body?.cancel();
    return null; // not cached: the next call asks again
  }
  if (!res.ok) throw new Error(`Cannot fetch user ${id}: USER_API_URL answered ${res.status}`);
  return await res.json();
}

/** The user with this id (null if there is none), and where the answer came from. */
export async function getUser(id: string): Promise<{ source: string; user: User | null }> {
  // One user, one key: "042" or "42:*" would be another key (or another namespace).
  if (!/^[1-9][0-9]*$/.test(id) || !Number.isSafeInteger(Number(id))) {
    throw new RangeError(`Cannot look up user as the id is not a positive integer: got "${id}"`);
  }
  const key = `${prefix}:${id}`;
  let cached: string | null = null;
  try {
    cached = await redis.get(key);
  } catch (err) {
    redisFailed(err as Error);
  }
  if (cached !== null) return { source: "redis", user: JSON.parse(cached) };
  const user = await fetchUser(id);
  if (user !== null) await redis.set(key, JSON.stringify(user), "EX", ttl).catch(redisFailed);
  return { source: "api", user };
}

if (import.meta.main) {
  let failed = false;
  for (const id of Deno.args) {
    try {
      console.log(JSON.stringify({ id, ...await getUser(id) }));
    } catch (err) {
      failed = true;
      console.error(`${id}: ${(err as Error).message}`);
    }
  }
  redis.disconnect();
  Deno.exit(failed ? 1 : 0);
}
