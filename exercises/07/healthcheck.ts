/**
 * The container's HEALTHCHECK: `GET /healthz` on the server in this
 * container (same `HOST`/`PORT` settings); exit 0 on 200, else 1 with the
 * reason on stderr. It imports no npm package, so it starts in a blink and
 * runs with `--no-config`.
 *
 * @example
 * ```sh
 * deno run --no-config --allow-net --allow-env exercises/07/healthcheck.ts && echo healthy
 * ```
 * @module
 */
import { readConfig } from "./config.ts";

if (import.meta.main) {
  const { host, port } = readConfig();
  // Listening on every interface: ask over loopback.
  const target = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${target.includes(":") ? `[${target}]` : target}:${port}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = await res.text();
    if (res.ok) Deno.exit(0);
    console.error(`healthcheck: GET ${url} answered ${res.status} ${body}`);
  } catch (err) {
    console.error(`healthcheck: GET ${url} failed: ${(err as Error).message}`);
  }
  Deno.exit(1);
}
