/**
 * solution.ts copied alone into an empty folder (no deno.json, no import
 * map) and run there against the real Redis, with the exercise's user API as
 * the source: its call counter says when the solution went to the source.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { copyAlone, startScript } from "../../infra/script.ts";
import { requireService, uniqueName, until } from "../../infra/testing.ts";
import { deleteKeys, monitorKeys, withUserApi } from "./_testing.ts";
import { makeUser, type UserApi } from "./user_api.ts";
import { closeRedis } from "../../infra/redis_client.ts";

/** Runs the copied solution once with `ids`; its JSON lines, stderr and exit code. */
async function run(dir: string, ids: string[], env: Record<string, string>) {
  const script = startScript("solution.ts", ids, env, dir);
  const { code } = await script.status;
  return { code, answers: script.stdout.lines.map((l) => JSON.parse(l)), stderr: script.stderr };
}

/** A copied solution, a user API and a client on the shared Redis; all cleaned up after. */
async function withSolution(
  fn: (dir: string, api: UserApi, env: Record<string, string>, redis: Redis) => Promise<void>,
) {
  await requireService("redis");
  const dir = await copyAlone(["exercises/04/solution.ts"]);
  const prefix = uniqueName("test-solution-ex04");
  const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
  try {
    await redis.connect();
    await withUserApi(
      50,
      (api) => fn(dir, api, { CACHE_PREFIX: prefix, USER_API_URL: api.url }, redis),
    );
  } finally {
    await deleteKeys(redis, prefix);
    await closeRedis(redis);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("solution.ts, copied alone, asks the API once and answers from Redis within the 60 s TTL", async () => {
  await withSolution(async (dir, api, env, redis) => {
    const monitor = await monitorKeys("redis://127.0.0.1:6379", env.CACHE_PREFIX);
    let first;
    try {
      first = await run(dir, ["42", "42", "7"], env);
    } finally {
      await monitor.stop();
    }
    assert.equal(first.code, 0, first.stderr.tail());
    assert.deepEqual(first.answers, [
      { id: "42", source: "api", user: makeUser(42) },
      { id: "42", source: "redis", user: makeUser(42) },
      { id: "7", source: "api", user: makeUser(7) },
    ]);
    assert.equal(api.stats().calls, 2, "the second call for 42 did not reach the API");
    const [k42, k7] = [`${env.CACHE_PREFIX}:42`, `${env.CACHE_PREFIX}:7`];
    // Value and TTL in one command: no SET then EXPIRE, no SET without a TTL.
    assert.deepEqual(monitor.commands, [
      ["get", k42],
      ["set", k42, JSON.stringify(makeUser(42)), "EX", "60"],
      ["get", k42],
      ["get", k7],
      ["set", k7, JSON.stringify(makeUser(7)), "EX", "60"],
    ]);

    const pttl = await redis.pttl(k42);
    assert.ok(pttl > 58_000 && pttl <= 60_000, `PTTL ${pttl} ms`);
    assert.deepEqual(JSON.parse((await redis.get(k42))!), makeUser(42), "stored as JSON");

    // Another process, within the TTL: still Redis, still no call.
    const again = await run(dir, ["42"], env);
    assert.deepEqual(again.answers.map((a) => a.source), ["redis"]);
    assert.equal(api.stats().calls, 2);

    const bad = await run(dir, ["042"], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr.tail(), /^042: .*not a positive integer: got "042"$/);
    assert.equal(api.stats().calls, 2, "a bad id reaches neither Redis nor the API");
  });
});

Deno.test("solution.ts, copied alone, goes back to the API once the key has expired", async () => {
  await withSolution(async (dir, api, env, redis) => {
    const short = { ...env, CACHE_TTL_SECONDS: "1" };
    const key = `${env.CACHE_PREFIX}:7`;
    assert.deepEqual((await run(dir, ["7"], short)).answers.map((a) => a.source), ["api"]);
    const pttl = await redis.pttl(key);
    assert.ok(pttl > 0 && pttl <= 1000, `PTTL ${pttl} ms`);
    await until(async () => await redis.exists(key) === 0, 5_000, "the key to expire");
    const after = await run(dir, ["7"], short);
    assert.deepEqual(after.answers, [{ id: "7", source: "api", user: makeUser(7) }]);
    assert.equal(api.stats().calls, 2);
  });
});

Deno.test("solution.ts, copied alone, answers from the API while Redis is down", async () => {
  await withSolution(async (dir, api, env) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = `redis://127.0.0.1:${listener.addr.port}`;
    listener.close();
    const down = await run(dir, ["42", "42"], { ...env, REDIS_URL: closed });
    assert.equal(down.code, 0, down.stderr.tail());
    assert.deepEqual(down.answers, [
      { id: "42", source: "api", user: makeUser(42) },
      { id: "42", source: "api", user: makeUser(42) },
    ]);
    assert.equal(api.stats().calls, 2);
    assert.deepEqual(down.stderr.lines, [
      `Cannot use Redis at REDIS_URL=${closed}, answering from the user API: ` +
      `connect ECONNREFUSED ${closed.slice("redis://".length)}`,
    ]);
  });
});
