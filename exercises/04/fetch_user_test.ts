import assert from "node:assert/strict";
import { readConfig } from "./config.ts";
import { fetchUser, isCachedValue } from "./user_cache.ts";

/** Runs `fn` with an HTTP server that answers every request with `respond()`. */
async function withServer(
  respond: () => Response | Promise<Response>,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, respond);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("fetchUser() returns compact JSON for a user and 'null' for a 404", async () => {
  let status = 200;
  await withServer(
    () =>
      status === 200 ? new Response('{ "id": 1,\n "name": "A" }') : new Response("no", { status }),
    async (url) => {
      const config = readConfig({ USER_API_URL: url });
      assert.equal(await fetchUser(config, "1"), '{"id":1,"name":"A"}');
      status = 404;
      assert.equal(await fetchUser(config, "1"), "null");
    },
  );
});

Deno.test("fetchUser() throws on a 5xx, naming the user, the URL and the status", async () => {
  await withServer(() => new Response("upstream down", { status: 503 }), async (url) => {
    await assert.rejects(fetchUser(readConfig({ USER_API_URL: url }), "7"), {
      message: `Cannot fetch user 7 from USER_API_URL=${url}: answered 503: "upstream down"`,
    });
  });
});

Deno.test("fetchUser() refuses to cache an answer that is not a JSON object", async () => {
  for (const body of ["[1,2]", "42", "<html>", "null"]) {
    await withServer(() => new Response(body), async (url) => {
      await assert.rejects(
        fetchUser(readConfig({ USER_API_URL: url }), "7"),
        /^Error: Cannot cache user 7 .* as it is not a JSON object: current value is /,
        body,
      );
    });
  }
});

Deno.test("fetchUser() gives up after USER_API_TIMEOUT_MS", async () => {
  await withServer(
    () => new Promise((r) => setTimeout(() => r(new Response("{}")), 300)),
    async (url) => {
      const config = readConfig({ USER_API_URL: url, USER_API_TIMEOUT_MS: "50" });
      await assert.rejects(fetchUser(config, "7"), {
        message: `Cannot fetch user 7 from USER_API_URL=${url}: no answer within 50 ms`,
      });
    },
  );
});

Deno.test("isCachedValue() accepts a JSON object or null, nothing else", () => {
  assert.equal(isCachedValue('{"id":42}'), true);
  assert.equal(isCachedValue("null"), true);
  for (const text of ["42", '"x"', "[1]", "not json", "", "true"]) {
    assert.equal(isCachedValue(text), false, text);
  }
});
