/**
 * The source the cache sits in front of: a small, deliberately slow HTTP API
 * of user details that counts its calls, so a test or the demo can see
 * exactly how often the cache went to it.
 *
 *   GET /users/:id  the user as JSON after `USER_API_LATENCY_MS` (200 ms);
 *                   404 for an id above `USER_API_USERS`, 400 for a bad id
 *   GET /stats      {"calls":…,"found":…,"not_found":…,"bad_request":…}
 *   GET /healthz    {"ok":true}, at once (not counted)
 *
 * @example
 * ```sh
 * deno run -A exercises/04/user_api.ts
 * curl -s 127.0.0.1:8044/users/42; curl -s 127.0.0.1:8044/stats
 * ```
 * @module
 */
import { type ApiConfig, readApiConfig } from "./config.ts";

/** A user as the API returns it. */
export interface User {
  id: number;
  name: string;
  email: string;
  city: string;
  [field: string]: unknown;
}

/** What `GET /stats` returns: calls to `GET /users/:id`, by outcome. */
export interface ApiStats {
  calls: number;
  found: number;
  not_found: number;
  bad_request: number;
}

/** A running user API. */
export interface UserApi {
  /** Its base URL, e.g. `http://127.0.0.1:8044`. */
  url: string;
  /** The counters behind `GET /stats`, read in process. */
  stats(): ApiStats;
  /** Stops listening, once the requests in progress have been answered. */
  close(): Promise<void>;
}

/** Options for {@linkcode startUserApi}. */
export interface UserApiOptions {
  /** Called after each `GET /users/:id` with the id as given, the status sent and the call's number. */
  onCall?: (id: string, status: number, call: number) => void;
}

const FIRST = ["Asha", "Ravi", "Meera", "Arjun", "Kavya", "Rohan", "Isha", "Vikram"];
const LAST = ["Rao", "Iyer", "Shah", "Nair", "Gupta", "Das", "Menon", "Kapoor"];
const CITY = ["Pune", "Chennai", "Kolkata", "Jaipur", "Kochi", "Indore", "Mysuru"];

/**
 * The made-up user with this id: the same every time, so a test can compare.
 *
 * @example
 * ```ts
 * makeUser(42); // { id: 42, name: "Meera Iyer", email: "user42@example.com", city: "Pune" }
 * ```
 */
export function makeUser(id: number): User {
  return {
    id,
    name: `${FIRST[id % FIRST.length]} ${LAST[(id * 7 + 3) % LAST.length]}`,
    email: `user${id}@example.com`,
    city: CITY[(id * 3) % CITY.length],
  };
}

/**
 * Starts the API on `config.host:config.port` (port 0: a free one).
 *
 * @example
 * ```ts
 * const api = startUserApi({ ...readApiConfig(), port: 0, latencyMs: 50 });
 * await fetch(`${api.url}/users/42`);
 * api.stats().calls; // 1
 * await api.close();
 * ```
 */
export function startUserApi(config: ApiConfig, options: UserApiOptions = {}): UserApi {
  const stats: ApiStats = { calls: 0, found: 0, not_found: 0, bad_request: 0 };
  const json = (body: unknown, status = 200) => Response.json(body, { status });
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: () => {},
  }, async (request) => {
    const { pathname } = new URL(request.url);
    if (request.method !== "GET") return json({ error: "only GET" }, 405);
    if (pathname === "/healthz") return json({ ok: true });
    if (pathname === "/stats") return json(stats);
    const match = /^\/users\/([^/]*)$/.exec(pathname);
    if (!match) return json({ error: `no route ${pathname}` }, 404);

    // Counted when the request arrives: a cache storm shows even before the answers.
    const call = ++stats.calls;
    const id = decodeURIComponent(match[1]);
    if (config.latencyMs > 0) await new Promise((r) => setTimeout(r, config.latencyMs));
    let status = 200;
    let body: unknown;
    if (!/^[1-9][0-9]{0,15}$/.test(id)) {
      status = 400;
      stats.bad_request++;
      body = { error: `bad user id ${JSON.stringify(id)}` };
    } else if (Number(id) > config.users) {
      status = 404;
      stats.not_found++;
      body = { error: `user ${id} not found` };
    } else {
      stats.found++;
      body = makeUser(Number(id));
    }
    options.onCall?.(id, status, call);
    return json(body, status);
  });
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${server.addr.port}`,
    stats: () => ({ ...stats }),
    close: () => server.shutdown(),
  };
}

if (import.meta.main) {
  let config: ApiConfig;
  try {
    config = readApiConfig();
  } catch (err) {
    console.error(`user-api: ${(err as Error).message}`);
    Deno.exit(1);
  }
  let api: UserApi;
  try {
    api = startUserApi(config, {
      onCall: (id, status, call) =>
        console.error(`user-api: GET /users/${id} -> ${status} (call ${call})`),
    });
  } catch (err) {
    console.error(
      `user-api: Cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`,
    );
    Deno.exit(1);
  }
  console.error(
    `user-api: listening on ${api.url} (latency ${config.latencyMs} ms, users 1..${config.users})`,
  );
  const stop = async () => {
    await api.close();
    console.error(`user-api: stopped after ${api.stats().calls} calls`);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
