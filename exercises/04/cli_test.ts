/**
 * Exercise 04 as a user runs it: `user_api.ts` and `user_cache.ts` as
 * processes, on the real Redis, with their stdout, stderr and exit codes.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { startScript } from "../../infra/script.ts";
import { makeUser } from "./user_api.ts";
import { closeRedis } from "../../infra/redis_client.ts";
import { deleteKeys } from "./_testing.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("user_cache.ts prints one line per id: from the API, then from Redis", async () => {
  await requireService("redis");
  const port = freePort();
  const api = startScript("exercises/04/user_api.ts", [], {
    USER_API_PORT: String(port),
    USER_API_LATENCY_MS: "100",
  });
  const prefix = uniqueName("test-ex04-cli");
  const redis = new Redis(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379");
  try {
    await api.stderr.waitFor((l) => l.some((x) => x.includes("listening")), 20_000, "the API");
    const lookup = startScript("exercises/04/user_cache.ts", ["42", "42", "99999", "042"], {
      USER_API_URL: `http://127.0.0.1:${port}`,
      CACHE_PREFIX: prefix,
    });
    const status = await lookup.status;
    assert.equal(status.code, 1, "a bad id makes the exit code 1");
    const lines = lookup.stdout.lines.map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map(({ id, source, cached, user }) => ({ id, source, cached, user })),
      [
        { id: "42", source: "api", cached: true, user: makeUser(42) },
        { id: "42", source: "redis", cached: true, user: makeUser(42) },
        { id: "99999", source: "api", cached: true, user: null },
      ],
    );
    assert.ok(lines[0].ms >= 100 && lines[1].ms < 100, JSON.stringify(lines));
    assert.match(
      lookup.stderr.tail(1),
      /^user-cache: Cannot look up user as the id is not a positive integer .*: current value is string "042"$/,
    );
    const stats = await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
    assert.deepEqual(stats, { calls: 2, found: 1, not_found: 1, bad_request: 0 });
  } finally {
    const stopped = await api.stop("SIGTERM");
    await deleteKeys(redis, prefix);
    await closeRedis(redis);
    assert.equal(stopped.code, 0, "SIGTERM is a clean shutdown");
  }
  assert.ok(
    api.stderr.lines.includes("user-api: GET /users/42 -> 200 (call 1)"),
    api.stderr.tail(),
  );
});

Deno.test("user_cache.ts rejects a bad setting before connecting, naming it", async () => {
  const bad = startScript("exercises/04/user_cache.ts", ["1"], { CACHE_TTL_SECONDS: "1m" });
  assert.equal((await bad.status).code, 1);
  assert.equal(
    bad.stderr.tail(1),
    `user-cache: Cannot use 'CACHE_TTL_SECONDS' as it is not a whole number of seconds from 1 ` +
      `to 2592000: current value is "1m"`,
  );
});

Deno.test("user_cache.ts refuses a REDIS_URL database that Redis does not have", async () => {
  await requireService("redis");
  const url = `${Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379"}/99`;
  const bad = startScript("exercises/04/user_cache.ts", ["1"], { REDIS_URL: url });
  assert.equal((await bad.status).code, 1);
  assert.equal(bad.stdout.lines.length, 0, "no answer, from Redis or the API");
  assert.equal(
    bad.stderr.tail(1),
    `user-cache: Cannot use 'REDIS_URL' as Redis has no database 99 ` +
      `(ERR DB index is out of range): current value is "${url}"`,
  );
});

Deno.test("user_api.ts fails clearly when its port is taken", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const api = startScript("exercises/04/user_api.ts", [], {
      USER_API_PORT: String(listener.addr.port),
    });
    assert.equal((await api.status).code, 1);
    assert.match(api.stderr.tail(1), /^user-api: Cannot listen on 127\.0\.0\.1:\d+: /);
  } finally {
    listener.close();
  }
});
