import assert from "node:assert/strict";
import { readConfig } from "./config.ts";
import { makeUser } from "./user_api.ts";
import { fetchUser, whyNotCached, whyNotUser } from "./user_cache.ts";

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
      status === 200
        ? new Response('{ "id": 1,\n "name": "A", "email": "a@x", "city": "Pune" }')
        : new Response("no", { status }),
    async (url) => {
      const config = readConfig({ USER_API_URL: url });
      assert.equal(
        await fetchUser(config, "1"),
        '{"id":1,"name":"A","email":"a@x","city":"Pune"}',
      );
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

Deno.test("fetchUser() refuses to cache an answer that is not user 7", async () => {
  const cases: [string, string][] = [
    ["[1,2]", "it is not a JSON object"],
    ["42", "it is not a JSON object"],
    ["null", "it is not a JSON object"],
    ["<html>", "it is not JSON"],
    ["{}", "its id is not 7"],
    [JSON.stringify(makeUser(8)), "its id is not 7"],
    [JSON.stringify({ ...makeUser(7), id: "7" }), "its id is not 7"],
    [JSON.stringify({ ...makeUser(7), name: null }), "its name is not a string"],
  ];
  for (const [body, reason] of cases) {
    await withServer(() => new Response(body), async (url) => {
      await assert.rejects(fetchUser(readConfig({ USER_API_URL: url }), "7"), {
        message: `Cannot cache user 7 from USER_API_URL=${url} as ${reason}: ` +
          `current value is ${JSON.stringify(body)}`,
      }, body);
    });
  }
});

Deno.test("fetchUser() cuts a long answer in its message between characters", async () => {
  // One ASCII character first: a cut at 80 UTF-16 units would split the 40th emoji.
  const body = `x${"😀".repeat(5000)}`;
  await withServer(() => new Response(body), async (url) => {
    await assert.rejects(fetchUser(readConfig({ USER_API_URL: url }), "7"), {
      message: `Cannot cache user 7 from USER_API_URL=${url} as it is not JSON: ` +
        `current value is "x${"😀".repeat(79)}…"`,
    });
  });
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

Deno.test("whyNotCached() accepts user 42 or exactly null, nothing else", () => {
  const user = makeUser(42);
  assert.equal(whyNotCached(JSON.stringify(user), "42"), undefined);
  assert.equal(whyNotCached(JSON.stringify({ ...user, extra: [1] }), "42"), undefined);
  assert.equal(whyNotCached("null", "42"), undefined);
  const cases: [string, string][] = [
    ["not json", "it is not JSON"],
    ["", "it is not JSON"],
    ["{}", "its id is not 42"],
    [JSON.stringify(makeUser(43)), "its id is not 42"],
    [JSON.stringify({ ...user, id: "42" }), "its id is not 42"],
    [JSON.stringify({ ...user, email: 5 }), "its email is not a string"],
    [JSON.stringify({ id: 42, name: "A", email: "a@x" }), "its city is not a string"],
    ["[42]", "it is not a JSON object"],
    ["42", "it is not a JSON object"],
    ['"x"', "it is not a JSON object"],
    ["true", "it is not a JSON object"],
    [" null", 'it is not the "not found" marker (exactly null)'],
    ["null\n", 'it is not the "not found" marker (exactly null)'],
    ["NULL", "it is not JSON"],
  ];
  for (const [text, reason] of cases) assert.equal(whyNotCached(text, "42"), reason, text);
});

Deno.test("whyNotUser() compares the id as a number", () => {
  assert.equal(whyNotUser(makeUser(9007199254740991), "9007199254740991"), undefined);
  assert.equal(whyNotUser(makeUser(1), "10"), "its id is not 10");
});
