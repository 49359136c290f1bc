/**
 * The cache against the real Redis of `make services` (shared with other
 * tests: every test has its own key prefix and deletes its keys) and a real
 * user API on a free port, whose call counter is the proof.
 */
import assert from "node:assert/strict";
import { requireService } from "../../infra/testing.ts";
import { makeUser } from "./user_api.ts";
import { monitorKeys, testConfig, until, withCache, withUserApi } from "./_testing.ts";

Deno.test("getUser() calls the API on the first call and answers from Redis on the second", async () => {
  await requireService("redis");
  await withUserApi(100, async (api) => {
    const config = testConfig(api);
    await withCache(config, async ({ cache, redis }) => {
      assert.deepEqual(await cache.getUser(42), makeUser(42));
      assert.equal(api.stats().calls, 1, "a miss goes to the API");
      const started = performance.now();
      assert.deepEqual(await cache.getUser("42"), makeUser(42));
      assert.ok(performance.now() - started < 100, "a hit does not wait for the slow API");
      assert.equal(api.stats().calls, 1, "a hit does not");
      assert.deepEqual(JSON.parse((await redis.get(`${config.prefix}:42`))!), makeUser(42));
      assert.deepEqual(await cache.lookup(42), {
        user: makeUser(42),
        source: "redis",
        cached: true,
      });
      assert.deepEqual(cache.stats(), {
        lookups: 3,
        hits: 2,
        apiCalls: 1,
        joined: 0,
        redisErrors: 0,
      });
    });
  });
});

Deno.test("getUser() stores the user with a 60 s TTL, in the same SET command", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    const config = testConfig(api);
    const monitor = await monitorKeys(config.redisUrl, config.prefix);
    try {
      await withCache(config, async ({ cache, redis }) => {
        await cache.getUser(7);
        const key = `${config.prefix}:7`;
        await until(() => monitor.commands.length >= 2, 2_000, "MONITOR to show the SET");
        // A moment more, so that an EXPIRE sent after the SET would show.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(monitor.commands, [
          ["get", key],
          ["set", key, JSON.stringify(makeUser(7)), "EX", "60"],
        ], "one GET, then value and TTL in one SET: no SET-then-EXPIRE window without a TTL");
        const ttl = await redis.pttl(key);
        assert.ok(ttl > 59_000 && ttl <= 60_000, `PTTL ${key} is ${ttl} ms, expected about 60000`);
      });
    } finally {
      await monitor.stop();
    }
  });
});

Deno.test("getUser() calls the API again once the TTL has expired", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    const config = testConfig(api, { CACHE_TTL_SECONDS: "1" });
    await withCache(config, async ({ cache, redis }) => {
      const key = `${config.prefix}:5`;
      await cache.getUser(5);
      await cache.getUser(5);
      assert.equal(api.stats().calls, 1);
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= 1_000, `PTTL ${key} is ${ttl} ms, expected at most 1000`);
      // Redis expires the key (lazily on access, or by its active sweep): wait until it is gone.
      await until(async () => (await redis.exists(key)) === 0, 3_000, `${key} to expire`, 50);
      assert.deepEqual(await cache.lookup(5), { user: makeUser(5), source: "api", cached: true });
      assert.equal(api.stats().calls, 2, "after expiry the API is asked again");
      assert.ok((await redis.pttl(key)) > 0, "and the fresh answer has a TTL again");
    });
  });
});

Deno.test("getUser() makes one API call for 50 concurrent calls for a cold id", async () => {
  await requireService("redis");
  await withUserApi(200, async (api) => {
    const config = testConfig(api);
    await withCache(config, async ({ cache }) => {
      const users = await Promise.all(Array.from({ length: 50 }, () => cache.getUser(11)));
      assert.equal(api.stats().calls, 1, "single flight: one API call for the whole storm");
      for (const user of users) assert.deepEqual(user, makeUser(11));
      assert.equal(cache.stats().joined, 49);
      // Each caller got its own copy: one caller editing it does not change the others'.
      users[0]!.name = "changed";
      assert.equal(users[1]!.name, makeUser(11).name);
      // The storm after the first one is answered from Redis, still one call in all.
      await Promise.all(Array.from({ length: 50 }, () => cache.getUser(11)));
      assert.equal(api.stats().calls, 1);
    });
  });
});

Deno.test("getUser() caches 'not found' with its own shorter TTL", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    const config = testConfig(api, { CACHE_NOT_FOUND_TTL_SECONDS: "1" });
    await withCache(config, async ({ cache, redis }) => {
      const key = `${config.prefix}:99999`;
      assert.equal(await cache.getUser(99999), null);
      assert.equal(await cache.getUser(99999), null);
      assert.equal(api.stats().calls, 1, "the second 'not found' comes from Redis");
      assert.equal(await redis.get(key), "null");
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= 1_000, `PTTL ${key} is ${ttl} ms, expected at most 1000`);
      await cache.getUser(1);
      assert.ok((await redis.pttl(`${config.prefix}:1`)) > 59_000, "found users keep 60 s");
      await until(async () => (await redis.exists(key)) === 0, 3_000, `${key} to expire`, 50);
      assert.equal(await cache.getUser(99999), null);
      assert.equal(api.stats().not_found, 2, "after its TTL the API is asked again");
    });
  });
});

Deno.test("getUser() uses a 10 s TTL for 'not found' by default", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    const config = testConfig(api);
    await withCache(config, async ({ cache, redis }) => {
      await cache.getUser(5000);
      const ttl = await redis.pttl(`${config.prefix}:5000`);
      assert.ok(ttl > 9_000 && ttl <= 10_000, `PTTL is ${ttl} ms, expected about 10000`);
    });
  });
});

Deno.test("getUser() rejects bad ids before asking Redis or the API", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    const config = testConfig(api);
    const monitor = await monitorKeys(config.redisUrl, config.prefix);
    try {
      await withCache(config, async ({ cache }) => {
        for (const id of ["042", "abc", "", "1:*", -1, 1.5, null]) {
          await assert.rejects(cache.getUser(id), {
            name: "RangeError",
            message: /^Cannot look up user as the id is not a positive integer/,
          });
        }
        await cache.getUser(3);
        assert.equal(api.stats().calls, 1, "only the good id reached the API");
        await until(() => monitor.commands.length >= 2, 2_000, "MONITOR to show the good id");
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(monitor.commands.map((c) => c.slice(0, 2)), [
          ["get", `${config.prefix}:3`],
          ["set", `${config.prefix}:3`],
        ], "only the good id reached Redis");
      });
    } finally {
      await monitor.stop();
    }
  });
});

Deno.test("getUser() treats a value that is not this user as a miss, and overwrites it with the TTL", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    const config = testConfig(api);
    await withCache(config, async ({ cache, redis, warnings }) => {
      // Each written without a TTL, as a hand edit or an older version would:
      // served as a hit, it would stay for ever.
      const cases: [string, (key: string) => Promise<unknown>, RegExp][] = [
        [
          "not JSON",
          (key) => redis.set(key, "not json"),
          /as it is not JSON: current value is "not json"$/,
        ],
        ["{}", (key) => redis.set(key, "{}"), /as its id is not \d+: current value is "{}"$/],
        [
          "another user",
          (key) => redis.set(key, JSON.stringify(makeUser(1))),
          /as its id is not \d+/,
        ],
        [
          "a user without a name",
          (key) => redis.set(key, '{"id":23,"email":"e","city":"c"}'),
          /as its name is not a string/,
        ],
        ["a JSON array", (key) => redis.set(key, "[23]"), /as it is not a JSON object/],
        ["a bad not-found marker", (key) => redis.set(key, " null"), /"not found" marker/],
        [
          "a hash (WRONGTYPE)",
          (key) => redis.hset(key, "id", String(20 + 6)),
          /^Redis refused GET .*: WRONGTYPE /,
        ],
        ["a list (WRONGTYPE)", (key) => redis.rpush(key, "x"), /^Redis refused GET .*: WRONGTYPE /],
      ];
      for (const [i, [what, write, warned]] of cases.entries()) {
        const id = 20 + i;
        const key = `${config.prefix}:${id}`;
        await write(key);
        assert.equal(await redis.pttl(key), -1, `${what}: written without a TTL`);
        const before = warnings.length;
        assert.deepEqual(
          await cache.lookup(id),
          { user: makeUser(id), source: "api", cached: true },
          what,
        );
        assert.match(warnings[before], warned, what);
        assert.equal(warnings.length, before + 1, what);
        assert.deepEqual(JSON.parse((await redis.get(key))!), makeUser(id), what);
        const ttl = await redis.pttl(key);
        assert.ok(ttl > 59_000 && ttl <= 60_000, `${what}: PTTL ${ttl} ms, expected about 60000`);
        assert.equal((await cache.lookup(id)).source, "redis", `${what}: a hit once rewritten`);
      }
      assert.equal(api.stats().calls, cases.length);
    });
  });
});

Deno.test("getUser() fails when the user API is unreachable, and caches nothing", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    // Port 1 never answers: the API is down.
    const config = { ...testConfig(api), userApiUrl: "http://127.0.0.1:1" };
    await withCache(config, async ({ cache, redis }) => {
      await assert.rejects(
        cache.getUser(9),
        /^Error: Cannot fetch user 9 from USER_API_URL=http:\/\/127\.0\.0\.1:1: /,
      );
      assert.equal(await redis.exists(`${config.prefix}:9`), 0, "a failure is not cached");
    });
  });
});

Deno.test("getUser() keeps caches with different CACHE_PREFIX apart", async () => {
  await requireService("redis");
  await withUserApi(0, async (api) => {
    const a = testConfig(api);
    const b = testConfig(api);
    await withCache(a, async ({ cache: first, redis }) => {
      await withCache(b, async ({ cache: second }) => {
        await first.getUser(12);
        await second.getUser(12);
        assert.equal(api.stats().calls, 2, "the second prefix does not see the first's entry");
        assert.equal(await redis.exists(`${a.prefix}:12`, `${b.prefix}:12`), 2);
      });
    });
  });
});
