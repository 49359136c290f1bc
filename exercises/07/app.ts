/**
 * Exercise 07's HTTP API (Hono), without a server: `server.ts` serves it,
 * tests call `app.request()`.
 *
 *   POST /records       JSON record → 201 + Location: /records/<id>, the stored record
 *   GET  /records/:id   200 the record, 404 unknown id, 400 not a UUID
 *   GET  /healthz       200 when Redis answers PING, else 503
 *
 * Every error is JSON, `{"error": "<message>"}`: 400 bad input, 404 unknown
 * id or route, 413 body over the limit, 415 not JSON, 503 Redis unavailable,
 * 500 anything else (details go to the log, never to the client).
 *
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import type { Redis } from "ioredis";
import { checkRecord, isRecordId, type StoredRecord } from "./record.ts";
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

  app.post(
    "/records",
    // Before anything reads the body: a declared Content-Length over the limit
    // is refused unread; a chunked body is counted as it streams in.
    bodyLimit({
      maxSize: options.bodyLimit,
      onError: () => {
        throw new HTTPException(413, {
          message: `Request body is larger than ${options.bodyLimit} bytes`,
        });
      },
    }),
    // Hono's validator skips the body (and validates {}) when the type is not
    // JSON: without this check a form post would get "customer_id is missing".
    async (c, next) => {
      const type = c.req.header("Content-Type");
      if (!type || !JSON_TYPE.test(type.split(";")[0].trim())) {
        throw new HTTPException(415, {
          message: `Content-Type must be application/json: got ${
            type ? JSON.stringify(type.slice(0, 100)) : "none"
          }`,
        });
      }
      await next();
    },
    // Not JSON → 400 "Malformed JSON in request body" (from the validator).
    validator("json", (value) => {
      const checked = checkRecord(value);
      if (!checked.ok) throw new HTTPException(400, { message: checked.reason });
      return checked.record;
    }),
    async (c) => {
      const record: StoredRecord = {
        id: crypto.randomUUID(),
        ...c.req.valid("json"),
        created_at: new Date().toISOString(),
      };
      await withRedis(() => saveRecord(redis, prefix, record));
      c.header("Location", `/records/${record.id}`);
      return c.json(record, 201);
    },
  );

  app.get("/records/:id", async (c) => {
    const id = c.req.param("id");
    // Checked before Redis sees it: no key outside <prefix>:<uuid> can be read.
    if (!isRecordId(id)) {
      const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
      throw new HTTPException(400, {
        message: `id must be a lowercase UUID: got ${JSON.stringify(shown)}`,
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
