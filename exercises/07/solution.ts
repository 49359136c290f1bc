// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 07: a Hono API with two endpoints: POST /records writes a record
 * to Redis, GET /records/:id reads it back.
 *
 *   deno run -A solution.ts                     # listens on HOST:PORT (127.0.0.1:3000)
 *   curl -si 127.0.0.1:3000/records -H 'Content-Type: application/json' \
 *     -d '{"customer_id":"c-42","amount":15999}'
 *   curl -s 127.0.0.1:3000/records/<id from the Location header>
 *
 * What decides it:
 * - Config only from env (HOST, PORT, REDIS_URL, RECORDS_PREFIX,
 *   REDIS_TIMEOUT_MS), so one image runs anywhere: in compose REDIS_URL is
 *   redis://redis:6379.
 * - The body is checked field by field (unknown fields too): a bad one is a
 *   400 naming the field, an unknown id a 404; the server picks the id.
 * - Redis down or hung is a 503 within REDIS_TIMEOUT_MS, not a hang: no
 *   offline queue, no retries.
 */
import { Hono } from "npm:hono@4.13.19";
import { HTTPException } from "npm:hono@4.13.19/http-exception";
import { Redis } from "npm:ioredis@6.0.0";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const host = env("HOST", "127.0.0.1");
const port = Number(env("PORT", "3000"));
const prefix = env("RECORDS_PREFIX", "records");
const timeoutMs = Number(env("REDIS_TIMEOUT_MS", "1000"));
const redis = new Redis(env("REDIS_URL", "redis://127.0.0.1:6379"), {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: timeoutMs,
  connectTimeout: timeoutMs,
});
redis.on("error", (err) => console.error(`Redis: ${err.message}`));
await redis.connect().catch(() => {}); // down: 503 until ioredis has reconnected

// JSON.parse reads 1e999 as Infinity, which JSON.stringify would show (and store) as null.
const show = (value: unknown) => typeof value === "number" ? String(value) : JSON.stringify(value);
type NewRecord = { customer_id: string; amount: number; currency: string; tags: string[] };

/** The record in a parsed body, with its defaults, or why it is not one. */
function checkRecord(body: unknown): NewRecord | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return "a record must be a JSON object";
  }
  const fields = body as Record<string, unknown>;
  const { customer_id, amount, currency = "INR", tags = [], ...rest } = fields;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return `unknown field ${JSON.stringify(unknown[0])}`;
  if (typeof customer_id !== "string" || customer_id.trim() === "" || customer_id.length > 64) {
    return `customer_id must be a string of 1 to 64 characters: got ${show(customer_id)}`;
  }
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) {
    return `amount must be a number >= 0: got ${show(amount)}`;
  }
  if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency)) {
    return `currency must be 3 capital letters: got ${show(currency)}`;
  }
  if (!Array.isArray(tags) || tags.length > 10 || !tags.every((t) => typeof t === "string")) {
    return "tags must be at most 10 strings";
  }
  return { customer_id, amount, currency, tags };
}

/** A Redis call; Redis not answering is a 503, not a 500. */
const store = <T>(call: Promise<T>) =>
  call.catch((err) => {
    throw new HTTPException(503, { message: "Redis is unavailable", cause: err });
  });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const app = new Hono();

app.post("/records", async (c) => {
  const body = await c.req.json().catch(() => {
    throw new HTTPException(400, { message: "Malformed JSON in request body" });
  });
  const checked = checkRecord(body);
  if (typeof checked === "string") throw new HTTPException(400, { message: checked });
  const record = { id: crypto.randomUUID(), ...checked, created_at: new Date().toISOString() };
  await store(redis.set(`${prefix}:${record.id}`, JSON.stringify(record)));
  c.header("Location", `/records/${record.id}`);
  return c.json(record, 201);
});

app.get("/records/:id", async (c) => {
  const id = c.req.param("id");
  // Only ids the server could have issued reach Redis: no "records:*", no other key.
  if (!UUID.test(id)) {
    throw new HTTPException(400, { message: `id must be a lowercase UUID: got "${id}"` });
  }
  const stored = await store(redis.get(`${prefix}:${id}`));
  if (stored === null) throw new HTTPException(404, { message: `No record with id ${id}` });
  return c.json(JSON.parse(stored));
});

app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));
app.onError((err, c) => {
  if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
  console.error(`${c.req.method} ${c.req.path}: ${err.stack}`); // the cause stays in the log
  return c.json({ error: "Internal server error" }, 500);
});

const server = Deno.serve({
  hostname: host,
  port,
  onListen: (addr) => console.error(`listening on http://${addr.hostname}:${addr.port}`),
}, app.fetch);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await server.shutdown(); // lets the requests in flight finish
    redis.disconnect();
    Deno.exit(0);
  });
}
