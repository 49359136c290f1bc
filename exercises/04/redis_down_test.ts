/**
 * Redis down, hung, and back: against a throwaway redis-server this test
 * starts on a free port, kills and restarts (never the shared Redis of `make
 * services`, which other tests use at the same time).
 */
import assert from "node:assert/strict";
import { makeUser } from "./user_api.ts";
import { startRedisServer, type ThrowawayRedis } from "../../infra/redis_server.ts";
import { testConfig, until, withCache, withUserApi } from "./_testing.ts";
import { createUserCache } from "./user_cache.ts";

const LATENCY_MS = 50;

async function withThrowawayRedis<T>(
  fn: (server: ThrowawayRedis) => Promise<T>,
  args: string[] = [],
): Promise<T> {
  const server = await startRedisServer({ args });
  try {
    return await fn(server);
  } finally {
    server.resume();
    await server.kill();
  }
}

/**
 * Runs `call` and returns its result with how long it took, in ms; fails
 * after 3 s rather than hang the test run when the call waits for ever.
 */
async function timed<T>(call: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 3 s: it waits for Redis")), 3_000);
  });
  try {
    const result = await Promise.race([call(), deadline]);
    return [result, performance.now() - started];
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("getUser() answers from the API with a warning while Redis is down, and caches again when it is back", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(LATENCY_MS, async (api) => {
      const config = testConfig(api, { REDIS_URL: server.url });
      await withCache(config, async ({ cache, warnings }) => {
        assert.equal((await cache.lookup(1)).source, "api");
        assert.equal((await cache.lookup(1)).source, "redis");

        await server.kill();
        const [down, ms] = await timed(() => cache.lookup(1));
        assert.deepEqual(down, { user: makeUser(1), source: "api", cached: false });
        assert.ok(
          ms < LATENCY_MS + 300,
          `answered in ${ms.toFixed(0)} ms: a down Redis fails fast`,
        );
        assert.equal(warnings.length, 1, warnings.join("\n"));
        assert.match(
          warnings[0],
          new RegExp(
            `^Redis unavailable at REDIS_URL=${server.url} \\(GET ${config.prefix}:1: .+\\); ` +
              "answering from the user API without caching$",
          ),
        );
        // The outage is reported once, not on every call; the answers keep coming.
        const users = await Promise.all([1, 2, 3].map((id) => cache.getUser(id)));
        assert.deepEqual(users, [makeUser(1), makeUser(2), makeUser(3)]);
        assert.equal(warnings.length, 1);
        assert.equal(api.stats().calls, 5);

        await server.restart();
        // ioredis reconnects by itself (within a second): the next answers are cached again.
        await until(async () => (await cache.lookup(4)).cached, 5_000, "caching to resume", 100);
        assert.match(
          warnings.at(-1)!,
          /^Redis is back at REDIS_URL=.*; caching again \(\d+ answers were not cached\)$/,
        );
        const calls = api.stats().calls;
        assert.deepEqual(await cache.lookup(4), {
          user: makeUser(4),
          source: "redis",
          cached: true,
        });
        assert.equal(api.stats().calls, calls, "answered from Redis again");
        assert.ok(cache.stats().redisErrors >= 2);
      });
    });
  });
});

Deno.test("createUserCache() starts while Redis is down and caches once it is up", async () => {
  await withThrowawayRedis(async (server) => {
    await server.kill();
    await withUserApi(LATENCY_MS, async (api) => {
      const config = testConfig(api, { REDIS_URL: server.url });
      await withCache(config, async ({ cache, warnings }) => {
        assert.deepEqual(await cache.lookup(6), {
          user: makeUser(6),
          source: "api",
          cached: false,
        });
        assert.match(warnings[0], /^Redis unavailable at REDIS_URL=.* \(connect: .+\)/);
        await server.restart();
        await until(async () => (await cache.lookup(6)).cached, 5_000, "caching to start", 100);
        assert.equal((await cache.lookup(6)).source, "redis");
      });
    });
  });
});

Deno.test("getUser() gives up on a Redis that does not answer after REDIS_TIMEOUT_MS", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(LATENCY_MS, async (api) => {
      const config = testConfig(api, { REDIS_URL: server.url, REDIS_TIMEOUT_MS: "200" });
      await withCache(config, async ({ cache, warnings }) => {
        await cache.getUser(1);
        // Hung, not dead: the connection stays open and nothing answers.
        server.pause();
        try {
          const errors = cache.stats().redisErrors;
          const [hung, ms] = await timed(() => cache.lookup(1));
          assert.deepEqual(hung, { user: makeUser(1), source: "api", cached: false });
          // GET times out (200 ms), the API answers (50 ms), and no SET is sent
          // to wait another 200 ms: one timeout per call, not two.
          assert.equal(cache.stats().redisErrors, errors + 1, "only the GET waited for Redis");
          assert.ok(ms < 200 + LATENCY_MS + 300, `answered in ${ms.toFixed(0)} ms`);
          assert.match(warnings[0], /\(GET .*: Command timed out\)/);
        } finally {
          // Before the clean-up, whose client would wait for a paused Redis for ever.
          server.resume();
        }
        await until(
          async () => (await cache.lookup(1)).source === "redis",
          5_000,
          "hits again",
          100,
        );
      });
    });
  });
});

Deno.test("createUserCache() returns within REDIS_TIMEOUT_MS when Redis is hung", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(LATENCY_MS, async (api) => {
      server.pause();
      const config = testConfig(api, { REDIS_URL: server.url, REDIS_TIMEOUT_MS: "200" });
      const warnings: string[] = [];
      // The connection is accepted (by the kernel) and the handshake never answered.
      const [cache, ms] = await timed(() =>
        createUserCache(config, { warn: (m) => warnings.push(m) })
      );
      try {
        assert.ok(ms < 200 + 300, `returned after ${ms.toFixed(0)} ms, timeout 200 ms`);
        assert.match(warnings[0], /\(connect: no answer within 200 ms\)/);
        assert.deepEqual(await cache.lookup(2), {
          user: makeUser(2),
          source: "api",
          cached: false,
        });
      } finally {
        server.resume();
        await cache.close();
      }
    });
  });
});

Deno.test("close() returns within REDIS_TIMEOUT_MS when Redis hangs", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(0, async (api) => {
      const config = testConfig(api, { REDIS_URL: server.url, REDIS_TIMEOUT_MS: "200" });
      const cache = await createUserCache(config, { warn: () => {} });
      try {
        await cache.getUser(1);
        // QUIT gets no answer from a hung Redis: the connection is dropped after the timeout.
        server.pause();
        const [, ms] = await timed(() => cache.close());
        assert.ok(ms < 200 + 300, `closed after ${ms.toFixed(0)} ms, timeout 200 ms`);
        assert.equal(cache.redis.status, "end");
      } finally {
        server.resume();
        await cache.close();
      }
    });
  });
});

Deno.test("createUserCache() refuses a REDIS_URL database the server does not have", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(0, async (api) => {
      for (const db of [4, 99]) {
        const config = testConfig(api, { REDIS_URL: `${server.url}/${db}` });
        await assert.rejects(createUserCache(config, { warn: () => {} }), {
          name: "RangeError",
          message: `Cannot use 'REDIS_URL' as Redis has no database ${db} ` +
            `(ERR DB index is out of range): current value is "${server.url}/${db}"`,
        });
      }
      await withCache(testConfig(api, { REDIS_URL: `${server.url}/3` }), async ({ cache }) => {
        await cache.getUser(1);
        assert.equal((await cache.lookup(1)).source, "redis", "database 3 of 4 is fine");
      });
    });
  }, ["--databases", "4"]);
});

Deno.test("getUser() stops caching when Redis comes back without its database", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(0, async (api) => {
      await server.kill();
      const config = testConfig(api, { REDIS_URL: `${server.url}/3` });
      await withCache(config, async ({ cache, redis, warnings }) => {
        await server.restart();
        await until(
          () => warnings.some((w) => w.includes("has no database 3")),
          5_000,
          "the reconnection's SELECT to fail",
          50,
        );
        assert.match(
          warnings.at(-1)!,
          new RegExp(
            `^Redis at REDIS_URL=${server.url}/3 has no database 3 \\(ERR DB index is out of range\\); ` +
              "answering from the user API without caching$",
          ),
        );
        for (let i = 0; i < 2; i++) {
          assert.deepEqual(await cache.lookup(7), {
            user: makeUser(7),
            source: "api",
            cached: false,
          });
        }
        // Nothing went to database 0 instead (the plain client is on database 0,
        // as ioredis falls back to it).
        assert.equal(await redis.dbsize(), 0);
      });
    });
  }, ["--databases", "2"]);
});

Deno.test("getUser() makes one API call for 50 concurrent calls while Redis is down", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(200, async (api) => {
      const config = testConfig(api, { REDIS_URL: server.url });
      await withCache(config, async ({ cache }) => {
        await server.kill();
        const users = await Promise.all(Array.from({ length: 50 }, () => cache.getUser(13)));
        for (const user of users) assert.deepEqual(user, makeUser(13));
        assert.equal(api.stats().calls, 1, "single flight protects the API when Redis cannot");
      });
    });
  });
});

Deno.test("getUser() still answers when a full Redis refuses the SET (noeviction)", async () => {
  await withThrowawayRedis(async (server) => {
    await withUserApi(0, async (api) => {
      const config = testConfig(api, { REDIS_URL: server.url });
      await withCache(config, async ({ cache, redis, warnings }) => {
        // Full, with the policy BullMQ needs: writes fail with OOM, reads still work.
        await redis.config("SET", "maxmemory-policy", "noeviction");
        await redis.config("SET", "maxmemory", "1");
        assert.deepEqual(await cache.lookup(1), {
          user: makeUser(1),
          source: "api",
          cached: false,
        });
        assert.match(warnings[0], new RegExp(`^Redis refused SET ${config.prefix}:1: OOM `));
        assert.equal(await cache.getUser(1).then((u) => u?.id), 1);
        assert.equal(api.stats().calls, 2, "nothing cached, so every call asks the API");
      });
    });
  });
});
