/**
 * Exercise 07 end to end, as `make demo` and `make ex07` run it: starts the
 * server as a process on a free port, writes records and reads them back over
 * HTTP, shows each error status, then a second server whose Redis is away
 * (503), and stops both with SIGTERM. Progress goes to stderr; the last line
 * on stdout is the one-line summary.
 *
 * @module
 */
import { Redis } from "ioredis";
import { env } from "../../infra/env.ts";
import { startScript } from "../../infra/script.ts";
import { deleteKeys } from "./store.ts";

const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const prefix = `demo-records-${stamp}`;
const json = { "Content-Type": "application/json" };
const failures: string[] = [];

/** Starts server.ts on a free port and returns it with its base URL. */
async function start(name: string, vars: Record<string, string>) {
  const server = startScript("exercises/07/server.ts", [], { PORT: "0", ...vars });
  server.stderr.onLine = (line) => console.error(`  ${name}: ${line}`);
  await server.stderr.waitFor(
    (lines) => lines.some((l) => l.includes("listening on http://")),
    30_000,
    `${name} listening`,
  );
  const line = server.stderr.lines.find((l) => l.includes("listening on http://"))!;
  return { server, url: /listening on (http:\/\/[^,]+)/.exec(line)![1] };
}

/** Sends one request, prints it with the answer, and checks the status. */
async function call(
  url: string,
  method: string,
  path: string,
  expected: number,
  init: RequestInit = {},
): Promise<Response> {
  const res = await fetch(`${url}${path}`, { method, ...init });
  const body = await res.clone().text();
  const sent = typeof init.body === "string"
    ? ` ${init.body.length > 80 ? `<${init.body.length} bytes>` : init.body}`
    : "";
  const location = res.headers.get("Location");
  console.error(
    `07: ${method} ${path}${sent} → ${res.status}${
      location ? ` Location: ${location}` : ""
    } ${body}`,
  );
  if (res.status !== expected) {
    failures.push(`${method} ${path} answered ${res.status}, expected ${expected}`);
  }
  return res;
}

const written: string[] = [];
let matched = 0;
const errors: number[] = [];
let stoppedCleanly = false;
let downAnswered = 0;
const { server, url } = await start("server", { RECORDS_PREFIX: prefix });
try {
  // Write three records and read each one back.
  const records = [
    { customer_id: "c-42", amount: 15999, tags: ["gift"] },
    { customer_id: "c-07", amount: 250.5, currency: "USD" },
    { customer_id: "c-99", amount: 0 },
  ];
  for (const record of records) {
    const created = await call(url, "POST", "/records", 201, {
      headers: json,
      body: JSON.stringify(record),
    });
    if (created.status !== 201) continue;
    const stored = await created.json();
    written.push(stored.id);
    const read = await call(url, "GET", created.headers.get("Location")!, 200);
    if (JSON.stringify(await read.json()) === JSON.stringify(stored)) matched++;
    else failures.push(`GET ${stored.id} did not return what POST stored`);
  }

  // Each error status, with its message.
  const bad: [string, string, number, RequestInit?][] = [
    ["POST", "/records", 400, { headers: json, body: '{"customer_id": "c-42",}' }],
    ["POST", "/records", 400, { headers: json, body: '{"customer_id":"c-42","amout":15999}' }],
    ["POST", "/records", 400, { headers: json, body: '{"customer_id":"c-42","amount":"15999"}' }],
    ["POST", "/records", 415, { body: '{"customer_id":"c-42","amount":15999}' }],
    ["POST", "/records", 413, { headers: json, body: `{"customer_id":"${"x".repeat(20_000)}"}` }],
    ["GET", "/records/42", 400],
    ["GET", `/records/${crypto.randomUUID()}`, 404],
    ["GET", "/healthz", 200],
  ];
  for (const [method, path, expected, init] of bad) {
    const res = await call(url, method, path, expected, init);
    await res.body?.cancel();
    if (res.status >= 400) errors.push(res.status);
  }
} catch (err) {
  failures.push((err as Error).message);
} finally {
  const status = await server.stop("SIGTERM");
  stoppedCleanly = status.code === 0;
  if (!stoppedCleanly) failures.push(`the server exited with ${status.code} on SIGTERM`);
}

// A second server whose Redis is away: a port where nothing listens. The
// shared Redis is left alone.
const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const closed = (probe.addr as Deno.NetAddr).port;
probe.close();
console.error(`07: a second server, with REDIS_URL=redis://127.0.0.1:${closed} (nothing there)`);
const down = await start("server 2", {
  RECORDS_PREFIX: prefix,
  REDIS_URL: `redis://127.0.0.1:${closed}`,
});
try {
  for (
    const [method, path, init] of [
      ["POST", "/records", { headers: json, body: '{"customer_id":"c-42","amount":1}' }],
      ["GET", `/records/${written[0] ?? crypto.randomUUID()}`, undefined],
      ["GET", "/healthz", undefined],
    ] as const
  ) {
    const res = await call(down.url, method, path, 503, init);
    await res.body?.cancel();
    if (res.status === 503) downAnswered++;
  }
} finally {
  const status = await down.server.stop("SIGTERM");
  if (status.code !== 0) failures.push(`the second server exited with ${status.code} on SIGTERM`);
}

// What is in Redis under the demo's prefix: exactly the records written. Then clean up.
const redis = new Redis(env("REDIS_URL"), { lazyConnect: true, maxRetriesPerRequest: 1 });
try {
  await redis.connect();
  const deleted = await deleteKeys(redis, prefix);
  console.error(`07: Redis had ${deleted} keys under ${prefix}:* (deleted now)`);
  if (deleted !== written.length) {
    failures.push(`${deleted} keys under ${prefix}:*, expected ${written.length}`);
  }
} finally {
  redis.disconnect();
}

if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
const counts = new Map<number, number>();
for (const status of errors) counts.set(status, (counts.get(status) ?? 0) + 1);
const shown = [...counts].map(([status, n]) => (n > 1 ? `${status} ×${n}` : `${status}`)).join(
  ", ",
);
console.log(
  `${written.length} records written to Redis over HTTP and read back identical (${matched}/${written.length}); ` +
    `bad input answered ${shown}; Redis away → 503 on all ${downAnswered} endpoints; ` +
    `SIGTERM drained and exited 0`,
);
