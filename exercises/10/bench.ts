/**
 * `make bench` for exercise 10: tasks/s through BullMQ for 1 and 2 worker
 * processes, at concurrency 1 and 8, for no-op tasks (the queue's own cost)
 * and CPU-bound ones (20 ms of work each, on our 2 cores).
 *
 * References, run in the same run: for no-op tasks, `redis-benchmark` RPOP,
 * the cost of a bare Redis list pop; for CPU-bound tasks, one worker at
 * concurrency 1, so the ratio is the speed-up from more workers.
 *
 * @module
 */
import { report } from "../../infra/bench/measure.ts";
import { startScript } from "../../infra/script.ts";
import { integerSetting, readConfig } from "./config.ts";
import type { Task } from "./task.ts";
import { addTasks, openQueue } from "./tasks_queue.ts";

const NOOP_TASKS = integerSetting(
  "BENCH_TASKS",
  Deno.env.get("BENCH_TASKS") ?? "3000",
  1,
  1_000_000,
);
const CPU_TASKS = 200;

/**
 * Tasks/s for `workers` worker.ts processes at `concurrency`, from the first
 * task started to the last finished (also used by infra/bench/python, beside
 * Celery's workers). Throws unless every task completed exactly once and
 * every worker ran some.
 */
export async function run(
  workers: number,
  concurrency: number,
  task: Task,
  count: number,
): Promise<number> {
  const { queue, close } = openQueue(readConfig({ QUEUE_NAME: `bench-tasks-${Date.now()}` }));
  const procs = Array.from(
    { length: workers },
    (_, i) =>
      startScript("exercises/10/worker.ts", [], {
        QUEUE_NAME: queue.name,
        WORKER_NAME: `b${i}`,
        CONCURRENCY: `${concurrency}`,
      }),
  );
  try {
    for (const p of procs) {
      await p.stderr.waitFor((l) => l.some((x) => x.includes("taking tasks")), 20_000);
    }
    await addTasks(queue, count, task);
    const deadline = Date.now() + 300_000;
    while ((await queue.getJobCounts("completed")).completed < count) {
      if (Date.now() > deadline) throw new Error(`${count} tasks not done in 300 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const jobs = await queue.getCompleted(0, count);
    const ran = new Set(jobs.map((j) => j.returnvalue.worker));
    if (jobs.length !== count || ran.size !== workers) {
      throw new Error(
        `${jobs.length} of ${count} tasks done, by ${ran.size} of ${workers} workers`,
      );
    }
    const first = Math.min(...jobs.map((j) => j.returnvalue.started_at));
    const last = Math.max(...jobs.map((j) => j.returnvalue.finished_at));
    return Math.round(count / ((last - first) / 1000));
  } finally {
    for (const p of procs) await p.stop();
    await queue.obliterate({ force: true });
    await close();
  }
}

if (import.meta.main) {
  const rpop = new Deno.Command("redis-benchmark", {
    args: ["-h", "127.0.0.1", "-p", "6379", "-t", "rpop", "-n", "50000", "-q", "--csv"],
  }).outputSync();
  if (!rpop.success) {
    throw new Error(`redis-benchmark failed: ${new TextDecoder().decode(rpop.stderr)}`);
  }
  // --csv: "test","rps",…  then "RPOP","90090.09",…
  const rpopRate = Number(
    new TextDecoder().decode(rpop.stdout).trim().split("\n").at(-1)!.split(",")[1].replaceAll(
      '"',
      "",
    ),
  );
  console.error(`redis-benchmark RPOP: ${rpopRate} requests/s`);

  for (const [workers, concurrency] of [[1, 1], [2, 1], [2, 8]]) {
    const rate = await run(workers, concurrency, { kind: "noop", ms: 0 }, NOOP_TASKS);
    console.error(`no-op: ${workers} worker(s) × concurrency ${concurrency}: ${rate} tasks/s`);
    report({
      exercise: "10",
      metric: `no-op tasks, ${workers} worker(s) × ${concurrency}`,
      unit: "tasks/s",
      ours: rate,
      reference: rpopRate,
      referenceTool: "redis-benchmark RPOP",
      higherIsBetter: true,
    });
  }

  const cpu: Task = { kind: "cpu", ms: 20 };
  const single = await run(1, 1, cpu, CPU_TASKS);
  console.error(`cpu 20 ms: 1 worker × 1: ${single} tasks/s`);
  for (const [workers, concurrency] of [[2, 1], [4, 1], [1, 8]]) {
    const rate = await run(workers, concurrency, cpu, CPU_TASKS);
    console.error(`cpu 20 ms: ${workers} worker(s) × concurrency ${concurrency}: ${rate} tasks/s`);
    report({
      exercise: "10",
      metric: `20 ms CPU tasks, ${workers} worker(s) × ${concurrency}`,
      unit: "tasks/s",
      ours: rate,
      reference: single,
      referenceTool: "1 worker × 1, same run",
      higherIsBetter: true,
    });
  }
}
