/**
 * Exercise 10's worker: takes tasks from the queue and prints one JSON line
 * when it starts a task and one when it finishes, with its id
 * (`host:pid:name`). Run several; `supervisor.ts` starts and stops them.
 *
 * A worker killed mid-task holds a lock on the task that nobody renews: after
 * `LOCK_DURATION_MS` another worker's stalled-job check (every
 * `STALLED_INTERVAL_MS`) puts the task back on the queue, and it runs again,
 * up to `MAX_STALLED_COUNT` times; one more and the task fails.
 *
 * @example
 * ```sh
 * WORKER_NAME=w1 deno run -A exercises/10/worker.ts
 * ```
 * @module
 */
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { type Config, readConfig } from "./config.ts";
import { checkTask, type Done, runTask, type Task } from "./task.ts";

/** This process's worker id. */
export function workerId(name: string): string {
  return `${Deno.hostname()}:${Deno.pid}:${name}`;
}

/** Starts a worker; `close()` lets the running tasks finish first. */
export function startWorker(
  config: Config,
  report: (line: Record<string, unknown>) => void = (line) => console.log(JSON.stringify(line)),
): { id: string; close(): Promise<void> } {
  const id = workerId(config.workerName);
  // BullMQ blocks on this connection: it must never give up on a command.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker<Task, Done>(
    config.queue,
    async (job) => {
      const task = checkTask(job.data);
      const started_at = Date.now();
      report({ event: "start", worker: id, job: job.id, task });
      await runTask(task);
      const done = { worker: id, started_at, finished_at: Date.now() };
      report({ event: "done", worker: id, job: job.id, ms: done.finished_at - started_at });
      return done;
    },
    {
      connection,
      name: id,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
    },
  );
  worker.on(
    "stalled",
    (jobId) => console.error(`worker ${id}: job ${jobId} had stalled: back on the queue`),
  );
  worker.on(
    "failed",
    (job, err) => console.error(`worker ${id}: job ${job?.id} failed: ${err.message}`),
  );
  worker.on("error", (err) => console.error(`worker ${id}: ${err.message}`));
  return {
    id,
    async close() {
      await worker.close();
      await connection.quit();
    },
  };
}

if (import.meta.main) {
  let config;
  try {
    config = readConfig();
  } catch (err) {
    console.error(`worker: ${(err as Error).message}`);
    Deno.exit(1);
  }
  const running = startWorker(config);
  console.error(
    `worker ${running.id}: taking tasks from ${config.queue} (concurrency ${config.concurrency})`,
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await running.close();
      Deno.exit(0);
    });
  }
}
