/**
 * Exercise 04 end to end, as `make demo` and `make ex04` run it: the slow
 * user API as a process, then the cache in front of it: miss, hit, the key's
 * TTL, expiry, a storm of concurrent misses, "not found", and Redis killed and
 * restarted (a throwaway redis-server, never the shared one). The user API's
 * own call counter checks every step. Progress goes to stderr; the last line
 * on stdout is the one-line summary.
 *
 * @module
 */
import { Redis } from "ioredis";
import { startScript } from "../../infra/script.ts";
import { readConfig } from "./config.ts";
import { startRedisServer, type ThrowawayRedis } from "../../infra/redis_server.ts";
import { deleteKeys } from "./_testing.ts";
import { type ApiStats, makeUser } from "./user_api.ts";
import { closeRedis } from "../../infra/redis_client.ts";
import { createUserCache, type UserCache } from "./user_cache.ts";

const LATENCY_MS = 200;
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const prefix = `demo-ex04-${stamp}`;
const port = (() => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
})();
const apiUrl = `http://127.0.0.1:${port}`;
const say = (line: string) => console.error(`04: ${line}`);
const warn = (message: string) => console.error(`  user-cache: ${message}`);
const ms = (start: number) => `${(performance.now() - start).toFixed(1)} ms`;

const failures: string[] = [];
const expect = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};
// The API calls each step should make; compared with the API's own counter.
let expectedCalls = 0;
const apiCalls = async (): Promise<number> =>
  ((await (await fetch(`${apiUrl}/stats`)).json()) as ApiStats).calls;
const checkCalls = async (step: string, more: number) => {
  expectedCalls += more;
  const calls = await apiCalls();
  expect(
    calls === expectedCalls,
    `${step}: the API counted ${calls} calls, expected ${expectedCalls}`,
  );
};

const api = startScript("exercises/04/user_api.ts", [], {
  USER_API_PORT: String(port),
  USER_API_LATENCY_MS: String(LATENCY_MS),
});
api.stderr.onLine = (line) => console.error(`  ${line}`);
const caches: UserCache[] = [];
const open = async (vars: Record<string, string>) => {
  const cache = await createUserCache(
    readConfig({ ...Deno.env.toObject(), USER_API_URL: apiUrl, CACHE_PREFIX: prefix, ...vars }),
    { warn },
  );
  caches.push(cache);
  return cache;
};
const redis = new Redis(readConfig().redisUrl, { lazyConnect: true });
let throwaway: ThrowawayRedis | undefined;
const facts: string[] = [];
try {
  await api.stderr.waitFor((lines) => lines.some((l) => l.includes("listening")), 20_000, "API");
  await redis.connect();

  // 1. Miss, then hit, and the TTL Redis holds for the key.
  const cache = await open({});
  say(`cache on ${readConfig().redisUrl}, keys ${prefix}:<id>, TTL 60 s`);
  let t = performance.now();
  const first = await cache.lookup(42);
  const missMs = ms(t);
  say(`getUser(42): ${first.source} in ${missMs} (a miss: the API takes ${LATENCY_MS} ms)`);
  t = performance.now();
  const second = await cache.lookup(42);
  const hitMs = ms(t);
  say(`getUser(42): ${second.source} in ${hitMs} (a hit)`);
  const ttl = await redis.pttl(`${prefix}:42`);
  say(`PTTL ${prefix}:42 = ${ttl} ms`);
  expect(first.source === "api" && second.source === "redis", "miss then hit");
  expect(
    JSON.stringify(second.user) === JSON.stringify(makeUser(42)),
    "the cached user is the API's",
  );
  expect(ttl > 59_000 && ttl <= 60_000, `the key's TTL is ${ttl} ms, expected about 60000`);
  await checkCalls("miss and hit", 1);
  facts.push(`miss ${missMs} then hit ${hitMs}, key TTL ${(ttl / 1000).toFixed(1)} s`);

  // 2. Expiry, with a 1 s TTL so the demo does not wait a minute.
  const short = await open({ CACHE_TTL_SECONDS: "1" });
  await short.getUser(7);
  say("getUser(7) with CACHE_TTL_SECONDS=1: from the API; waiting 1.2 s for the key to expire");
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const expired = await short.lookup(7);
  say(`getUser(7) after expiry: ${expired.source}`);
  expect(expired.source === "api", "after expiry the API is asked again");
  await checkCalls("expiry", 2);
  facts.push("expired after 1 s and went back to the API");

  // 3. A storm: 50 concurrent calls for an id nobody asked for yet.
  t = performance.now();
  const storm = await Promise.all(Array.from({ length: 50 }, () => cache.getUser(11)));
  say(
    `50 concurrent getUser(11) on a cold key: answered in ${
      ms(t)
    }, ${cache.stats().joined} joined the first`,
  );
  expect(storm.every((u) => u?.id === 11), "every caller in the storm got user 11");
  await checkCalls("storm", 1);
  facts.push("50 concurrent cold calls made 1 API call");

  // 4. A user who does not exist: cached too, for CACHE_NOT_FOUND_TTL_SECONDS.
  const missing = [await cache.lookup(99999), await cache.lookup(99999)];
  const notFoundTtl = await redis.pttl(`${prefix}:99999`);
  say(
    `getUser(99999): null from ${missing[0].source}, then null from ${
      missing[1].source
    }; PTTL ${notFoundTtl} ms`,
  );
  expect(
    missing.every((m) => m.user === null) && missing[1].source === "redis",
    "not-found cached",
  );
  expect(notFoundTtl > 9_000 && notFoundTtl <= 10_000, `not-found TTL is ${notFoundTtl} ms`);
  await checkCalls("not found", 1);
  facts.push(`not-found cached ${Math.round(notFoundTtl / 1000)} s`);

  // 5. Redis down and back, on a redis-server of our own.
  throwaway = await startRedisServer();
  say(`started a throwaway redis-server on ${throwaway.url} to kill`);
  const fragile = await open({ REDIS_URL: throwaway.url });
  await fragile.getUser(1);
  const before = await fragile.lookup(1);
  await throwaway.kill();
  say(`killed it (SIGKILL); getUser(1) was from ${before.source} before`);
  t = performance.now();
  const down = await Promise.all([1, 2, 3].map((id) => fragile.lookup(id)));
  say(
    `getUser(1, 2, 3) with Redis down: ${down.map((d) => d.source)} in ${ms(t)}, cached: ${
      down.map((d) => d.cached)
    }`,
  );
  expect(down.every((d, i) => d.user?.id === i + 1 && !d.cached), "answers while Redis is down");
  await checkCalls("Redis down", 1 + 3);
  await throwaway.restart();
  t = performance.now();
  while (fragile.redis.status !== "ready" && performance.now() - t < 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  say(`restarted it; ioredis reconnected in ${ms(t)}`);
  const back = [await fragile.lookup(1), await fragile.lookup(1)];
  say(`getUser(1) twice: ${back.map((b) => b.source)}`);
  expect(back[0].cached && back[1].source === "redis", "caching resumed after the restart");
  await checkCalls("Redis back", 1);
  facts.push("Redis killed: 3 answers from the API with one warning; restarted: caching resumed");
} catch (err) {
  failures.push((err as Error).message);
} finally {
  for (const cache of caches) await cache.close();
  await throwaway?.kill();
  if (redis.status === "ready") await deleteKeys(redis, prefix);
  await closeRedis(redis);
  await api.stop();
}

if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
console.log(`${facts.join("; ")}; the user API counted ${expectedCalls} calls, as expected`);
