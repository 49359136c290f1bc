/**
 * Exercise 10's autoscaler, in the spirit of Celery's `--autoscale=max,min`:
 * every `TICK_MS` it reads the queue's backlog and starts or stops worker
 * processes to stay between `MIN_WORKERS` and `MAX_WORKERS`. It prints a
 * timeline: one JSON line per tick on stdout, a readable line on stderr when
 * something changes. Stopping a worker is graceful (SIGTERM: it finishes its
 * task first).
 *
 * @example
 * ```sh
 * MIN_WORKERS=1 MAX_WORKERS=4 deno run -A exercises/10/supervisor.ts
 * ```
 * @module
 */
import { type Config, readConfig } from "./config.ts";
import { desiredWorkers } from "./task.ts";
import { openQueue } from "./tasks_queue.ts";

/** One tick of the timeline. */
export interface Tick {
  t: number;
  waiting: number;
  active: number;
  /** Worker processes alive after this tick. */
  workers: number;
  /** Their process ids, oldest first. */
  pids: number[];
  action?: string;
}

const WORKER = new URL("./worker.ts", import.meta.url).pathname;

/** A worker process the supervisor started; `exit` is set once it has exited. */
interface Child {
  name: string;
  child: Deno.ChildProcess;
  exit?: Deno.CommandStatus;
}

/**
 * Runs the supervisor until `signal` aborts; then stops every worker it
 * started. A worker that exits on its own (killed, crashed) is noticed at the
 * next tick, dropped, and replaced if the backlog (or `MIN_WORKERS`) asks for
 * one.
 */
export async function supervise(
  config: Config,
  signal: AbortSignal,
  onTick: (tick: Tick) => void = (tick) => console.log(JSON.stringify(tick)),
): Promise<void> {
  const { queue, close } = openQueue(config);
  let workers: Child[] = [];
  const started = performance.now();
  let serial = 0;
  let idleFor = 0;
  const spawn = () => {
    const name = `${config.workerName}-${++serial}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...config.workerDenoFlags, WORKER],
      // The worker settings are the supervisor's own, wherever they came from.
      env: {
        WORKER_NAME: name,
        QUEUE_NAME: config.queue,
        REDIS_URL: config.redisUrl,
        CONCURRENCY: `${config.concurrency}`,
        LOCK_DURATION_MS: `${config.lockDurationMs}`,
        STALLED_INTERVAL_MS: `${config.stalledIntervalMs}`,
        MAX_STALLED_COUNT: `${config.maxStalledCount}`,
      },
      stdin: "null",
    }).spawn();
    const worker: Child = { name, child };
    child.status.then((status) => worker.exit = status);
    workers.push(worker);
  };
  const stopOne = async () => {
    const newest = workers.pop()!;
    if (!newest.exit) {
      try {
        newest.child.kill("SIGTERM");
      } catch {
        // It exited between the check and the kill: nothing to stop.
      }
    }
    await newest.child.status;
  };
  try {
    while (!signal.aborted) {
      const died = workers.filter((w) => w.exit);
      workers = workers.filter((w) => !w.exit);
      const counts = await queue.getJobCounts("waiting", "prioritized", "delayed", "active");
      const waiting = counts.waiting + counts.prioritized + counts.delayed;
      idleFor = waiting === 0 && counts.active === 0 ? idleFor + 1 : 0;
      const want = desiredWorkers(
        { waiting, active: counts.active, current: workers.length, idleFor },
        {
          min: config.minWorkers,
          max: config.maxWorkers,
          jobsPerWorker: config.jobsPerWorker,
          idleTicks: config.idleTicks,
        },
      );
      const actions = died.map((w) =>
        `${w.name} (pid ${w.child.pid}) exited: ${w.exit!.signal ?? `code ${w.exit!.code}`}`
      );
      if (want > workers.length) {
        actions.push(`scale up ${workers.length} → ${want}`);
        while (workers.length < want) spawn();
      } else if (want < workers.length) {
        actions.push(`scale down ${workers.length} → ${want}`);
        while (workers.length > want) await stopOne();
        idleFor = 0;
      }
      onTick({
        t: Math.round(performance.now() - started) / 1000,
        waiting,
        active: counts.active,
        workers: workers.length,
        pids: workers.map((w) => w.child.pid),
        ...(actions.length > 0 ? { action: actions.join("; ") } : {}),
      });
      await new Promise((r) => setTimeout(r, config.tickMs));
    }
  } finally {
    while (workers.length > 0) await stopOne();
    await close();
  }
}

if (import.meta.main) {
  let config;
  try {
    config = readConfig();
  } catch (err) {
    console.error(`supervisor: ${(err as Error).message}`);
    Deno.exit(1);
  }
  const stop = new AbortController();
  for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, () => stop.abort());
  console.error(
    `supervisor: ${config.queue}, ${config.minWorkers}–${config.maxWorkers} workers, one per ${config.jobsPerWorker} waiting`,
  );
  await supervise(config, stop.signal, (tick) => {
    console.log(JSON.stringify(tick));
    if (tick.action) {
      console.error(
        `supervisor: t=${tick.t}s waiting=${tick.waiting} active=${tick.active}: ${tick.action}`,
      );
    }
  });
}
