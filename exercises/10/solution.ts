// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 10: several workers share one queue; each task prints the id of
 * the worker that ran it.
 *
 *   WORKER_NAME=w1 deno run -A solution.ts worker     # start as many as you like
 *   WORKER_NAME=w2 deno run -A solution.ts worker
 *   deno run -A solution.ts enqueue 60 50             # 60 tasks of 50 ms
 *   deno run -A solution.ts report                    # tasks per worker
 *
 * What decides it:
 * - No dispatcher: every worker blocks on the same Redis queue and takes the
 *   next task when it is free, so work spreads by itself and a faster worker
 *   takes more. Adding a worker process is all scaling out takes.
 * - The id is host:pid:name, unique per process (and per container, whose
 *   host name is its own), and kept with the task's result for the report.
 * - SIGTERM closes the worker, which first lets its running task finish.
 */
import { Queue, Worker } from "npm:bullmq@6.7.0";
import { Redis } from "npm:ioredis@6.0.0";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const redisUrl = env("REDIS_URL", "redis://127.0.0.1:6379");
const queueName = env("QUEUE_NAME", "tasks");
const workerId = `${Deno.hostname()}:${Deno.pid}:${env("WORKER_NAME", "worker")}`;
const concurrency = Number(env("CONCURRENCY", "1"));
// One connection per BullMQ object; a worker blocks on it, so it must never give up on a command.
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });

function work() {
  const worker = new Worker(queueName, async (job) => {
    const ms = job.data.ms;
    if (!Number.isSafeInteger(ms) || ms < 0 || ms > 600_000) {
      throw new TypeError(`ms must be an integer from 0 to 600000: got ${JSON.stringify(ms)}`);
    }
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, ms)); // the work: waiting, as I/O does
    console.log(JSON.stringify({ worker: workerId, job: job.id, ms: Date.now() - started }));
    return { worker: workerId };
  }, { connection, concurrency, name: workerId });
  worker.on("failed", (job, err) => console.error(`${workerId}: job ${job?.id}: ${err.message}`));
  // Without a listener an "error" (Redis gone, say) would end the process; BullMQ reconnects.
  worker.on("error", (err) => console.error(`${workerId}: ${err.message}`));
  console.error(`${workerId}: taking tasks from ${queueName}`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await worker.close(); // lets the running tasks finish
      await connection.quit();
      Deno.exit(0);
    });
  }
}

async function enqueue(count: number, ms: number) {
  const queue = new Queue(queueName, { connection });
  const tasks = Array.from({ length: count }, () => ({ name: "sleep", data: { ms } }));
  for (let i = 0; i < count; i += 500) await queue.addBulk(tasks.slice(i, i + 500));
  console.log(JSON.stringify({ queue: queueName, added: count, ms }));
  await queue.close();
}

async function report() {
  const queue = new Queue(queueName, { connection });
  const counts = new Map<string, number>();
  for (let start = 0;; start += 1000) {
    const jobs = await queue.getCompleted(start, start + 999);
    for (const { returnvalue: { worker } } of jobs) {
      counts.set(worker, (counts.get(worker) ?? 0) + 1);
    }
    if (jobs.length < 1000) break;
  }
  const most = Math.max(1, ...counts.values());
  for (const [worker, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(
      `${worker.padEnd(24)} ${String(n).padStart(6)}  ${"█".repeat(Math.round(n / most * 30))}`,
    );
  }
  await queue.close();
}

const [command, count = "100", ms = "100"] = Deno.args;
if (command === "worker") work();
else if (command === "enqueue" && /^\d+$/.test(count) && Number(count) > 0 && /^\d+$/.test(ms)) {
  await enqueue(Number(count), Number(ms));
  await connection.quit();
} else if (command === "report") {
  await report();
  await connection.quit();
} else {
  console.error("usage: deno run -A solution.ts worker | enqueue [count] [ms] | report");
  Deno.exit(2);
}
