/**
 * Exercise 07's server: the Hono app of `app.ts` on `Deno.serve`, with Redis
 * behind it. Settings come from env vars (`config.ts`); it starts even when
 * Redis is down (answering 503 until Redis is back).
 *
 * SIGINT/SIGTERM: stop taking requests (new ones get 503 and the connection
 * is closed), let the requests in flight finish (up to `SHUTDOWN_TIMEOUT_MS`),
 * close the listener, then Redis, exit 0. Exit 1, with one line naming the
 * setting, on a bad setting, a `REDIS_URL` database Redis does not have, or
 * an address it cannot listen on (`HOST` does not resolve, `PORT` in use);
 * exit 1 too when requests are still running at the timeout.
 *
 * @example
 * ```sh
 * deno run -A exercises/07/server.ts
 * curl -si 127.0.0.1:3000/records -H 'Content-Type: application/json' \
 *   -d '{"customer_id":"c-42","amount":15999}'
 * ```
 * @module
 */
import { createApp } from "./app.ts";
import { type Config, readConfig, redactUrl } from "./config.ts";
import { closeRedis } from "../../infra/redis_client.ts";
import { connectOrKeepTrying } from "./store.ts";

/**
 * Serves the API until SIGINT or SIGTERM, then shuts down gracefully and
 * exits the process. Throws, with Redis closed, when it cannot start.
 */
export async function serve(config: Config): Promise<void> {
  const redisAt = `REDIS_URL=${redactUrl(config.redisUrl)}`;
  const redis = await connectOrKeepTrying(config.redisUrl, { timeoutMs: config.redisTimeoutMs });
  if (redis.status !== "ready") {
    console.error(
      `records-api: no answer from Redis at ${redisAt} yet: answering 503 until it does`,
    );
  }
  const app = createApp(redis, config);

  // Requests being handled, and who waits for them to be done.
  let inFlight = 0;
  let draining = false;
  let drained = () => {};
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: ({ hostname, port }) => {
        console.error(
          `records-api: listening on http://${hostname}:${port}, Redis at ${redisAt}, ` +
            `records under ${config.prefix}:*, body limit ${config.bodyLimit} bytes`,
        );
      },
    }, async (request) => {
      if (draining) {
        return Response.json({ error: "Server is shutting down" }, {
          status: 503,
          headers: { Connection: "close" },
        });
      }
      inFlight++;
      try {
        return await app.fetch(request);
      } finally {
        inFlight--;
        if (draining && inFlight === 0) drained();
      }
    });
  } catch (err) {
    // Deno.serve throws at once: AddrInUse, a name that does not resolve, a bad address.
    await closeRedis(redis);
    throw new Error(
      `Cannot listen on HOST=${config.host} PORT=${config.port}: ${(err as Error).message}`,
    );
  }

  let stopping = false;
  const stop = async (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    console.error(
      `records-api: ${signal}: shutting down, ${inFlight} request(s) in flight (new requests get 503)`,
    );
    const timer = setTimeout(() => {
      console.error(
        `records-api: ${inFlight} request(s) still running after ${config.shutdownTimeoutMs} ms ` +
          "(SHUTDOWN_TIMEOUT_MS): exiting without them",
      );
      Deno.exit(1);
    }, config.shutdownTimeoutMs);
    // Drain first, then shut down: on Deno 2.9, server.shutdown() makes the
    // body of a request still being received unreadable (denoland/deno#36809),
    // so it is called only once no handler is running.
    draining = true;
    if (inFlight > 0) await new Promise<void>((resolve) => drained = resolve);
    // Closes the listener and the idle keep-alive connections.
    await server.shutdown();
    clearTimeout(timer);
    // Only now: the requests that just finished still needed Redis.
    await closeRedis(redis);
    console.error("records-api: stopped");
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stop(signal));
  }
  await server.finished;
}

if (import.meta.main) {
  try {
    await serve(readConfig());
  } catch (err) {
    console.error(`records-api: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
