/**
 * Exercise 07's HTTP API (Hono), without a server: `server.ts` serves it,
 * tests call `app.request()`.
 *
 *   POST /records       JSON record → 201 + Location: /records/<id>, the stored record
 *   GET  /records/:id   200 the record, 404 unknown id, 400 not a UUID
 *   GET  /healthz       200 when Redis answers PING, else 503
 *
 * Every error is JSON, `{"error": "<message>"}`: 400 bad input, 404 unknown
 * id or route, 413 body over the limit, 414 URI over 8192 bytes, 415 not
 * JSON, 503 Redis unavailable, 500 anything else (details go to the log,
 * never to the client).
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Redis } from "ioredis";
import { shorten } from "../../infra/describe.ts";
import { checkRecord, isRecordId, type NewRecord, type StoredRecord } from "./record.ts";
import { isUnavailable, loadRecord, saveRecord } from "./store.ts";

/** Options for {@linkcode createApp}. */
export interface AppOptions {
  /** Records are stored at `<prefix>:<id>`. */
  prefix: string;
  /** The largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Where server-side errors (the 5xx causes) are written. Default `console.error`. */
  log?: (line: string) => void;
}

// application/json, or a +json type such as application/merge-patch+json, as Hono's validator.
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The longest request URI (path and query) the app answers, in bytes; longer
 * is a 414. Deno's HTTP server itself refuses a request head (request line
 * and headers) over about 64 KiB with an empty 400 before the app sees it.
 */
export const MAX_URI_BYTES = 8192;

/**
 * The Hono app.
 *
 * @example
 * ```ts
 * const app = createApp(redis, { prefix: "records", bodyLimit: 16384 });
 * const res = await app.request("/records", {
 *   method: "POST",
 *   headers: { "Content-Type": "application/json" },
 *   body: JSON.stringify({ customer_id: "c-42", amount: 15999 }),
 * });
 * res.status; // 201
 * res.headers.get("Location"); // "/records/0b5c6f0e-…"
 * ```
 */
export function createApp(redis: Redis, options: AppOptions): Hono {
  const { prefix, log = console.error } = options;
  const app = new Hono();

  /** Runs a Redis call; a failure to get an answer becomes a 503, anything else stays a 500. */
  const withRedis = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (isUnavailable(err)) {
        throw new HTTPException(503, { message: "Redis is unavailable", cause: err });
      }
      throw err;
    }
  };

  // Before routing: the URI is ASCII (percent-encoded), so its length is its size in bytes.
  app.use(async (c, next) => {
    const { pathname, search } = new URL(c.req.url);
    const size = pathname.length + search.length;
    if (size > MAX_URI_BYTES) {
      throw new HTTPException(414, {
        message: `Request URI is longer than ${MAX_URI_BYTES} bytes: got ${size}`,
      });
    }
    await next();
  });

  app.post("/records", async (c) => {
    const record: StoredRecord = {
      id: crypto.randomUUID(),
      ...await readRecord(c, options.bodyLimit),
      created_at: new Date().toISOString(),
    };
    await withRedis(() => saveRecord(redis, prefix, record));
    c.header("Location", `/records/${record.id}`);
    return c.json(record, 201);
  });

  app.get("/records/:id", async (c) => {
    const id = c.req.param("id");
    // Checked before Redis sees it: no key outside <prefix>:<uuid> can be read.
    if (!isRecordId(id)) {
      throw new HTTPException(400, {
        message: `id must be a lowercase UUID: got ${JSON.stringify(shorten(id, 64))}`,
      });
    }
    const stored = await withRedis(() => loadRecord(redis, prefix, id));
    if (stored === null) throw new HTTPException(404, { message: `No record with id ${id}` });
    // Parsed, not passed through: a corrupt value is a 500, never served as JSON.
    return c.json(JSON.parse(stored) as StoredRecord);
  });

  app.get("/healthz", async (c) => {
    await withRedis(() => redis.ping());
    return c.json({ status: "ok", redis: "up" });
  });

  app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      if (err.status >= 500) {
        const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
        log(`records-api: ${c.req.method} ${c.req.path}: ${err.message}: ${cause}`);
      }
      return c.json({ error: err.message }, err.status);
    }
    // Anything else is a bug or bad data: the details stay in the log.
    log(`records-api: ${c.req.method} ${c.req.path} failed: ${err.stack ?? err}`);
    return c.json({ error: "Internal server error" }, 500);
  });

  return app;
}

/**
 * The body of `POST /records` as a checked record, or an HTTPException: 415
 * unless it is declared as JSON, 413 over `limit` bytes, 400 when it is not
 * UTF-8, not JSON, or not a record.
 *
 * Read here rather than with Hono's `bodyLimit` and `validator("json")`:
 * `Request.json()` decodes invalid UTF-8 bytes as U+FFFD, so a record would
 * be stored with characters the client never sent; and `bodyLimit` rebuilds
 * the request around a chunked body with `new Request()`, which reads
 * `request.signal` and makes Deno print its "request.signal aborts on
 * successful responses (legacy behavior)" notice.
 */
async function readRecord(c: Context, limit: number): Promise<NewRecord> {
  // Checked before the body is read: a form or text post gets 415 (its label
  // is wrong), not a JSON error about a body it never meant as JSON.
  const type = c.req.header("Content-Type");
  if (!type || !JSON_TYPE.test(type.split(";")[0].trim())) {
    throw new HTTPException(415, {
      message: `Content-Type must be application/json: got ${
        type ? JSON.stringify(type.slice(0, 100)) : "none"
      }`,
    });
  }
  const tooLarge = () =>
    new HTTPException(413, { message: `Request body is larger than ${limit} bytes` });
  // A declared length over the limit is refused unread; a chunked body is
  // counted as it streams in, and dropped as soon as it is over.
  if (Number(c.req.header("Content-Length") ?? 0) > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of c.req.raw.body ?? []) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HTTPException(400, { message: "Request body is not valid UTF-8" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HTTPException(400, { message: "Malformed JSON in request body" });
  }
  const checked = checkRecord(value);
  if (!checked.ok) throw new HTTPException(400, { message: checked.reason });
  return checked.record;
}
