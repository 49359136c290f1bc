/**
 * The API in process (`app.request()`, no port, no server) against the real
 * Redis: every status it answers, and what ends up in Redis.
 */
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { requireService } from "../../infra/testing.ts";
import { createApp } from "./app.ts";
import type { StoredRecord } from "./record.ts";
import { keyOf } from "./store.ts";
import { postJson, testPrefix, withRedis } from "./_testing.ts";

const LIMIT = 1024;

/** Runs `fn` with an app on the shared Redis, a unique prefix, and the lines it logged. */
async function withApp(
  fn: (
    app: ReturnType<typeof createApp>,
    ctx: { redis: Redis; prefix: string; logged: string[] },
  ) => Promise<void>,
): Promise<void> {
  await requireService("redis");
  const prefix = testPrefix();
  await withRedis(prefix, async (redis) => {
    const logged: string[] = [];
    const app = createApp(redis, { prefix, bodyLimit: LIMIT, log: (l) => logged.push(l) });
    await fn(app, { redis, prefix, logged });
  });
}

/** The keys under `<prefix>:`, by SCAN (KEYS would block the shared Redis). */
async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found.toSorted();
}

Deno.test("POST /records stores the record and GET /records/:id reads it back", async () => {
  await withApp(async (app, { redis, prefix }) => {
    const before = Date.now();
    const created = await app.request(
      "/records",
      postJson({ customer_id: "c-42", amount: 15999.5, tags: ["gift"] }),
    );
    assert.equal(created.status, 201);
    const record: StoredRecord = await created.json();
    assert.match(record.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.headers.get("Location"), `/records/${record.id}`);
    assert.deepEqual(
      { ...record, id: "", created_at: "" },
      {
        id: "",
        customer_id: "c-42",
        amount: 15999.5,
        currency: "INR",
        tags: ["gift"],
        created_at: "",
      },
    );
    const at = Date.parse(record.created_at);
    assert.ok(at >= before - 1000 && at <= Date.now() + 1000, record.created_at);

    // In Redis, as JSON, at <prefix>:<id>, and nowhere else.
    assert.deepEqual(await keysUnder(redis, prefix), [keyOf(prefix, record.id)]);
    assert.deepEqual(JSON.parse((await redis.get(keyOf(prefix, record.id)))!), record);

    const read = await app.request(created.headers.get("Location")!);
    assert.equal(read.status, 200);
    assert.match(read.headers.get("Content-Type")!, /^application\/json/);
    assert.deepEqual(await read.json(), record);
  });
});

Deno.test("POST /records gives each record its own id", async () => {
  await withApp(async (app, { redis, prefix }) => {
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await app.request("/records", postJson({ customer_id: `c-${i}`, amount: i }));
        assert.equal(res.status, 201);
        return ((await res.json()) as StoredRecord).id;
      }),
    );
    assert.equal(new Set(ids).size, 20);
    assert.equal((await keysUnder(redis, prefix)).length, 20);
  });
});

Deno.test("POST /records answers 400 with the reason for a bad body, and stores nothing", async () => {
  await withApp(async (app, { redis, prefix }) => {
    const cases: [string, string][] = [
      ['{"customer_id": "c-42",}', "Malformed JSON in request body"],
      ["", "Malformed JSON in request body"],
      ["[1, 2]", "a record must be a JSON object: got an array"],
      [
        '{"customer_id":"c-42","amout":5}',
        'unknown field "amout": a record has customer_id, amount, currency, tags',
      ],
      ['{"customer_id":"c-42","amount":"15999"}', 'amount must be a number: got string "15999"'],
      ['{"customer_id":"c-42","amount":1e999}', "amount must be finite: got Infinity"],
      ['{"amount":5}', "customer_id is missing"],
      [
        '{"customer_id":"c","amount":1,"id":"mine"}',
        'unknown field "id": a record has customer_id, amount, currency, tags',
      ],
    ];
    for (const [body, error] of cases) {
      const res = await app.request("/records", postJson(body));
      assert.equal(res.status, 400, body);
      assert.deepEqual(await res.json(), { error }, body);
    }
    assert.deepEqual(await keysUnder(redis, prefix), []);
  });
});

Deno.test("POST /records answers 400 for a body that is not valid UTF-8, and stores nothing", async () => {
  await withApp(async (app, { redis, prefix }) => {
    const utf8 = (text: string) => [...new TextEncoder().encode(text)];
    const around = (bad: number[]) =>
      new Uint8Array([...utf8('{"customer_id":"c-'), ...bad, ...utf8('","amount":1}')]);
    const cases: [string, Uint8Array<ArrayBuffer>][] = [
      ["a lone continuation byte", around([0x80])],
      ["0xff", around([0xff])],
      ["an overlong '/'", around([0xc0, 0xaf])],
      ["an encoded surrogate", around([0xed, 0xa0, 0x80])],
      ["a sequence cut short", around([0xe2, 0x82])],
      ["above U+10FFFF", around([0xf4, 0x90, 0x80, 0x80])],
      [
        "cut short at the very end",
        new Uint8Array([...utf8('{"customer_id":"c","amount":1}'), 0xe2]),
      ],
    ];
    for (const [what, body] of cases) {
      const res = await app.request("/records", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      assert.equal(res.status, 400, what);
      assert.deepEqual(await res.json(), { error: "Request body is not valid UTF-8" }, what);
    }
    assert.deepEqual(await keysUnder(redis, prefix), []);
    // Real multi-byte characters are fine, and stored as sent.
    const res = await app.request("/records", postJson({ customer_id: "c-é😀", amount: 1 }));
    assert.equal(res.status, 201);
    assert.equal((await res.json()).customer_id, "c-é😀");
  });
});

Deno.test("POST /records counts customer_id in characters: 64 emoji fit", async () => {
  await withApp(async (app) => {
    const fits = await app.request(
      "/records",
      postJson({ customer_id: "😀".repeat(64), amount: 1 }),
    );
    assert.equal(fits.status, 201);
    const over = await app.request(
      "/records",
      postJson({ customer_id: "😀".repeat(65), amount: 1 }),
    );
    assert.equal(over.status, 400);
    assert.deepEqual(await over.json(), {
      error: "customer_id must be at most 64 characters: got 65",
    });
  });
});

Deno.test("a request URI over 8192 bytes answers 414 in JSON", async () => {
  await withApp(async (app) => {
    for (const path of [`/records/${"a".repeat(8192)}`, `/healthz?${"q".repeat(8192)}`]) {
      const res = await app.request(path);
      assert.equal(res.status, 414, path.slice(0, 20));
      assert.deepEqual(await res.json(), {
        error: `Request URI is longer than 8192 bytes: got ${path.length}`,
      });
    }
    // At the limit it is routed as usual: a bad id.
    const res = await app.request(`/records/${"a".repeat(8192 - "/records/".length)}`);
    assert.equal(res.status, 400);
  });
});

Deno.test("POST /records answers 415 unless the body is declared as JSON", async () => {
  await withApp(async (app, { redis, prefix }) => {
    const body = JSON.stringify({ customer_id: "c-42", amount: 1 });
    const cases: [Record<string, string>, string][] = [
      [{ "Content-Type": "text/plain" }, 'Content-Type must be application/json: got "text/plain"'],
      [
        { "Content-Type": "application/x-www-form-urlencoded" },
        'Content-Type must be application/json: got "application/x-www-form-urlencoded"',
      ],
      // fetch() labels a string body text/plain by itself: a client that forgets the header.
      [{}, 'Content-Type must be application/json: got "text/plain;charset=UTF-8"'],
    ];
    for (const [headers, error] of cases) {
      const res = await app.request("/records", { method: "POST", headers, body });
      assert.equal(res.status, 415, JSON.stringify(headers));
      assert.deepEqual(await res.json(), { error });
    }
    // Bytes get no type at all.
    {
      const bytes = new TextEncoder().encode(body);
      const res = await app.request("/records", { method: "POST", body: bytes });
      assert.equal(res.status, 415);
      assert.deepEqual(await res.json(), {
        error: "Content-Type must be application/json: got none",
      });
    }
    // With a charset, and +json types, it is JSON.
    for (const type of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
      const res = await app.request("/records", {
        method: "POST",
        headers: { "Content-Type": type },
        body,
      });
      assert.equal(res.status, 201, type);
    }
    assert.equal((await keysUnder(redis, prefix)).length, 2);
  });
});

Deno.test("POST /records answers 413 for a body over the limit, declared or streamed", async () => {
  await withApp(async (app, { redis, prefix }) => {
    const padded = (size: number) => {
      const base = JSON.stringify({ customer_id: "c-42", amount: 1 });
      return base.slice(0, -1) + " ".repeat(size - base.length) + "}";
    };
    const error = { error: `Request body is larger than ${LIMIT} bytes` };
    // Declared: refused on the Content-Length header alone.
    const declared = await app.request(
      "/records",
      postJson(padded(LIMIT + 1), { "Content-Length": `${LIMIT + 1}` }),
    );
    assert.equal(declared.status, 413);
    assert.deepEqual(await declared.json(), error);
    // Streamed (no length): counted as it arrives.
    const chunks = [padded(LIMIT + 1).slice(0, 600), padded(LIMIT + 1).slice(600)];
    const streamed = await app.request("/records", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: ReadableStream.from(chunks).pipeThrough(new TextEncoderStream()),
    });
    assert.equal(streamed.status, 413);
    assert.deepEqual(await streamed.json(), error);
    assert.deepEqual(await keysUnder(redis, prefix), []);
    // Exactly at the limit is fine.
    const atLimit = await app.request("/records", postJson(padded(LIMIT)));
    assert.equal(atLimit.status, 201);
  });
});

Deno.test("GET /records/:id answers 400 for an id that is not a UUID, 404 for an unknown one", async () => {
  await withApp(async (app) => {
    for (
      const id of [
        "abc",
        "records:*",
        encodeURIComponent("../x"),
        crypto.randomUUID().toUpperCase(),
      ]
    ) {
      const res = await app.request(`/records/${id}`);
      assert.equal(res.status, 400, id);
      assert.match((await res.json()).error, /^id must be a lowercase UUID: got "/);
    }
    const id = crypto.randomUUID();
    const res = await app.request(`/records/${id}`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: `No record with id ${id}` });
  });
});

Deno.test("an unknown route or method answers 404 in JSON", async () => {
  await withApp(async (app) => {
    for (
      const [method, path] of [["GET", "/nope"], ["DELETE", `/records/${crypto.randomUUID()}`]]
    ) {
      const res = await app.request(path, { method });
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { error: `No route for ${method} ${path}` });
    }
  });
});

Deno.test("GET /healthz answers 200 when Redis answers", async () => {
  await withApp(async (app) => {
    const res = await app.request("/healthz");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", redis: "up" });
  });
});

Deno.test("a Redis reply error or a corrupt value is a 500 that leaks nothing, logged in full", async () => {
  await withApp(async (app, { redis, prefix, logged }) => {
    // Someone else wrote a hash where a record should be: Redis answers WRONGTYPE.
    const hashId = crypto.randomUUID();
    await redis.hset(keyOf(prefix, hashId), "amount", "1");
    // Or a string that is not JSON.
    const junkId = crypto.randomUUID();
    await redis.set(keyOf(prefix, junkId), "{not json");
    for (const [id, cause] of [[hashId, /WRONGTYPE/], [junkId, /SyntaxError/]] as const) {
      const res = await app.request(`/records/${id}`);
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), { error: "Internal server error" });
      assert.doesNotMatch(text, /WRONGTYPE|Syntax|json|at |redis/i);
      assert.match(logged.at(-1)!, cause);
      assert.match(logged.at(-1)!, new RegExp(`GET /records/${id} failed`));
    }
  });
});
