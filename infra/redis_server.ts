/**
 * A throwaway `redis-server` on a free loopback port, for the tests and
 * demos that take Redis down (exercises 04 and 07): they kill, freeze and
 * restart this one, never the shared Redis of `make services` (other tests
 * use it at the same time).
 *
 * @module
 */

/** A redis-server process this program started. */
export interface ThrowawayRedis {
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** SIGKILL: gone at once, like a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers, like a hung server. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
}

/** Options for {@linkcode startRedisServer}. */
export interface RedisServerOptions {
  /** More `redis-server` arguments, for every start (e.g. `["--databases", "4"]`). Default none. */
  args?: string[];
}

/**
 * Starts `redis-server` (from PATH) on a free port of 127.0.0.1, with no
 * persistence, and waits until it answers PING.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * try {
 *   await redis.kill(); // Redis down
 *   await redis.restart(); // back, same port, empty
 * } finally {
 *   await redis.kill();
 * }
 * ```
 */
export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<ThrowawayRedis> {
  const { args = [] } = options;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  let child: Deno.ChildProcess | undefined;

  const start = async () => {
    let spawned: Deno.ChildProcess;
    try {
      spawned = new Deno.Command("redis-server", {
        args: [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
          "--loglevel",
          "warning",
          ...args,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (err) {
      throw new Error(
        `Cannot start redis-server as it is not on PATH: ${(err as Error).message} ` +
          "(apt-get install redis-server; `make services` installs it too)",
      );
    }
    child = spawned;
    let exited: Deno.CommandStatus | undefined;
    spawned.status.then((status) => exited = status);
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (exited) {
        child = undefined;
        throw new Error(`Cannot start redis-server on port ${port}: it exited with ${exited.code}`);
      }
      if (Date.now() > deadline) {
        await stop(spawned);
        throw new Error(`Cannot start redis-server on port ${port}: no PONG within 10 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    async kill() {
      if (!child) return;
      const running = child;
      child = undefined;
      await stop(running);
    },
    async restart() {
      if (child) throw new Error(`Cannot restart redis-server on port ${port}: it is running`);
      await start();
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
  };
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    // SIGKILL ends a stopped (paused) process too.
    child.kill("SIGKILL");
  } catch {
    // Already exited.
  }
  await child.status;
}

/** One PING over a raw socket: true on `+PONG`. */
async function answersPing(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    return n !== null && new TextDecoder().decode(buffer.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}
