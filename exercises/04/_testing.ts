/**
 * Test helpers for exercise 04: a user API on a free port, a cache with a key
 * prefix no other test uses (its keys deleted afterwards), and polling.
 *
 * @module
 */
import { Redis } from "ioredis";
import { closeRedis } from "../../infra/redis_client.ts";
import { uniqueName } from "../../infra/testing.ts";
import { type Config, readConfig } from "./config.ts";
import { startUserApi, type UserApi } from "./user_api.ts";
import { createUserCache, type UserCache } from "./user_cache.ts";

/** Runs `fn` with a user API on a free loopback port, then stops it. */
export async function withUserApi<T>(
  latencyMs: number,
  fn: (api: UserApi) => Promise<T>,
): Promise<T> {
  const api = startUserApi({ host: "127.0.0.1", port: 0, latencyMs, users: 1000 });
  try {
    return await fn(api);
  } finally {
    await api.close();
  }
}

/** The default config, pointed at `api`, with a unique key prefix and `vars` on top. */
export function testConfig(api: UserApi, vars: Record<string, string> = {}): Config {
  return readConfig({
    CACHE_PREFIX: uniqueName("test-ex04"),
    ...vars,
    USER_API_URL: api.url,
  });
}

/** A cache under test, the warnings it gave, and a plain client on the same Redis. */
export interface Harness {
  cache: UserCache;
  warnings: string[];
  /** A separate client for looking at keys (PTTL, GET) as an operator would. */
  redis: Redis;
}

/**
 * Runs `fn` with a cache for `config`, then deletes every key under its
 * prefix (on the shared Redis; never FLUSHDB) and closes both clients.
 */
export async function withCache<T>(
  config: Config,
  fn: (harness: Harness) => Promise<T>,
): Promise<T> {
  const warnings: string[] = [];
  const cache = await createUserCache(config, { warn: (m) => warnings.push(m) });
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    await redis.connect().catch(() => {});
    return await fn({ cache, warnings, redis });
  } finally {
    await cache.close();
    try {
      if (redis.status === "ready") await deleteKeys(redis, config.prefix);
    } finally {
      await closeRedis(redis);
    }
  }
}

/** Deletes every key under `prefix:` with SCAN + UNLINK. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** Commands Redis executed on keys under a prefix, seen through MONITOR. */
export interface KeyMonitor {
  /** Each command as `[name, key, ...args]`, names lower-case, in the order Redis ran them. */
  commands: string[][];
  stop(): Promise<void>;
}

/**
 * Watches, with MONITOR on a separate connection, every command Redis runs on
 * a key under `prefix:`: the proof of what the cache really sent (other
 * clients' commands on the shared Redis are filtered out).
 */
export async function monitorKeys(url: string, prefix: string): Promise<KeyMonitor> {
  // monitor() opens its own connection with the client's options.
  const client = new Redis(url, { lazyConnect: true });
  const monitor = await client.monitor();
  monitor.on("error", () => {});
  const commands: string[][] = [];
  monitor.on("monitor", (_time: string, args: string[]) => {
    if (typeof args[1] === "string" && args[1].startsWith(`${prefix}:`)) {
      commands.push([args[0].toLowerCase(), ...args.slice(1)]);
    }
  });
  return {
    commands,
    async stop() {
      const ended = new Promise((resolve) => monitor.once("end", resolve));
      monitor.disconnect();
      await ended;
    },
  };
}

export { until } from "../../infra/testing.ts";
