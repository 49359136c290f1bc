/**
 * solution.ts copied alone into an empty folder (no deno.json, no import
 * map), started there on a free port against the real Redis: a record
 * written is read back identical, bad input is a 400, an unknown id a 404,
 * and with nothing at REDIS_URL both endpoints answer 503.
 */
import assert from "node:assert/strict";
import { copyAlone, type Script, startScript } from "../../infra/script.ts";
import { requireService } from "../../infra/testing.ts";
import { closedPort, postJson, testPrefix, withRedis } from "./_testing.ts";

/** Starts the copied solution with PORT=0 and returns its URL once it listens. */
async function start(dir: string, env: Record<string, string>): Promise<[Script, string]> {
  const server = startScript("solution.ts", [], { PORT: "0", ...env }, dir);
  try {
    await server.stderr.waitFor((l) => l.some((x) => x.startsWith("listening on ")), 30_000);
  } catch (err) {
    await server.stop("SIGKILL");
    throw err;
  }
  const line = server.stderr.lines.find((x) => x.startsWith("listening on "))!;
  return [server, line.slice("listening on ".length)];
}

/** The status and JSON body of a request. */
async function call(url: string, init?: RequestInit): Promise<[number, Record<string, unknown>]> {
  const res = await fetch(url, init);
  return [res.status, await res.json()];
}

Deno.test("solution.ts, copied alone, writes a record to Redis and reads it back; 400 and 404 for bad requests", async () => {
  await requireService("redis");
  const dir = await copyAlone(["exercises/07/solution.ts"]);
  const prefix = testPrefix();
  try {
    await withRedis(prefix, async (redis) => {
      const [server, url] = await start(dir, { RECORDS_PREFIX: prefix });
      try {
        const sent = { customer_id: "c-42", amount: 15999.5, tags: ["gift"] };
        const res = await fetch(`${url}/records`, postJson(sent));
        assert.equal(res.status, 201);
        const written = await res.json();
        assert.deepEqual(
          { ...written, id: "", created_at: "" },
          { ...sent, currency: "INR", id: "", created_at: "" },
        );
        assert.equal(res.headers.get("Location"), `/records/${written.id}`);
        assert.deepEqual(JSON.parse((await redis.get(`${prefix}:${written.id}`))!), written);

        assert.deepEqual(await call(`${url}/records/${written.id}`), [200, written]);
        const unknown = crypto.randomUUID();
        assert.deepEqual(await call(`${url}/records/${unknown}`), [
          404,
          { error: `No record with id ${unknown}` },
        ]);
        assert.deepEqual(await call(`${url}/records/${prefix}:*`), [
          400,
          { error: `id must be a lowercase UUID: got "${prefix}:*"` },
        ]);

        const bad: [string, RegExp][] = [
          ['{"customer_id":"c-42",', /^Malformed JSON/],
          ["[1,2]", /^a record must be a JSON object$/],
          ['{"customer_id":"c-42","amout":15999}', /^unknown field "amout"$/],
          [
            '{"customer_id":"c-42","amount":"15999"}',
            /^amount must be a number >= 0: got "15999"$/,
          ],
          ['{"customer_id":"c-42","amount":1e999}', /^amount must be a number >= 0: got Infinity$/],
          ['{"customer_id":"c-42","amount":-1}', /^amount must be a number >= 0: got -1$/],
          ['{"amount":5}', /^customer_id must be a string .*: got undefined$/],
          ['{"customer_id":"c-42","amount":5,"currency":"inr"}', /^currency must be 3 capital/],
          ['{"customer_id":"c-42","amount":5,"tags":"gift"}', /^tags must be/],
          ['{"customer_id":"c-42","amount":5,"id":"mine"}', /^unknown field "id"$/],
        ];
        for (const [body, reason] of bad) {
          const [status, answer] = await call(`${url}/records`, postJson(body));
          assert.equal(status, 400, body);
          assert.match(String(answer.error), reason, body);
        }
        // Every key under the prefix: one SCAN call covers only part of a big keyspace.
        const keys: string[] = [];
        let cursor = "0";
        do {
          const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          keys.push(...found);
          cursor = next;
        } while (cursor !== "0");
        assert.deepEqual(keys, [`${prefix}:${written.id}`], "bad input stored nothing");
      } finally {
        assert.equal((await server.stop("SIGTERM")).code, 0);
      }
    });

    // Nothing at REDIS_URL: it still starts, and answers 503 rather than hanging.
    const [server, url] = await start(dir, { REDIS_URL: `redis://127.0.0.1:${closedPort()}` });
    try {
      const [status, answer] = await call(
        `${url}/records`,
        postJson({ customer_id: "c", amount: 1 }),
      );
      assert.deepEqual([status, answer], [503, { error: "Redis is unavailable" }]);
      assert.equal((await call(`${url}/records/${crypto.randomUUID()}`))[0], 503);
    } finally {
      assert.equal((await server.stop("SIGTERM")).code, 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
