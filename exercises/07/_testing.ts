/**
 * Test helpers for exercise 07: a key prefix no other test uses (with its
 * keys deleted afterwards), a throwaway Redis of our own to stop and freeze
 * (the shared one is never touched), and the server as a real process.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { env } from "../../infra/env.ts";
import { type Script, startScript } from "../../infra/script.ts";
import { uniqueName } from "../../infra/testing.ts";
import { closeRedis } from "../../infra/redis_client.ts";
import { connectOrKeepTrying, deleteKeys } from "./store.ts";

/** A prefix for one test's records. */
export function testPrefix(): string {
  return uniqueName("test-records");
}

/**
 * Runs `fn` with a client on the shared Redis (`REDIS_URL`), then deletes the
 * keys under `prefix` and closes the client.
 */
export async function withRedis<T>(
  prefix: string,
  fn: (redis: Redis) => Promise<T>,
  url = env("REDIS_URL"),
): Promise<T> {
  const redis = await connectOrKeepTrying(url, { log: () => {} });
  if (redis.status !== "ready") {
    redis.disconnect();
    throw new Error(
      `Cannot reach Redis at REDIS_URL=${url} (start it with \`make services\`, or point REDIS_URL at a running Redis)`,
    );
  }
  try {
    return await fn(redis);
  } finally {
    await deleteKeys(redis, prefix);
    await closeRedis(redis);
  }
}

/** A loopback port nothing listens on (it was free a moment ago). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Init for a JSON POST. */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

/** The server as a process, and the URL it listens on. */
export interface ServerProcess {
  script: Script;
  url: string;
}

/**
 * Starts `exercises/07/server.ts` on a free port (PORT=0) and waits for its
 * "listening on" line.
 */
export async function startServer(vars: Record<string, string>): Promise<ServerProcess> {
  const script = startScript("exercises/07/server.ts", [], { PORT: "0", ...vars });
  const listening = (lines: string[]) => lines.some((l) => l.includes("listening on http://"));
  try {
    await script.stderr.waitFor(listening, 20_000, "the listening line");
  } catch (err) {
    await script.stop("SIGKILL");
    throw err;
  }
  const line = script.stderr.lines.find((l) => l.includes("listening on http://"))!;
  const url = /listening on (http:\/\/[^,]+)/.exec(line)![1];
  return { script, url };
}
