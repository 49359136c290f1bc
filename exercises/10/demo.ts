/**
 * Exercise 10 end to end, as `make demo` and `make ex10` run it:
 *
 * 1. three worker processes share 60 tasks: the table shows who ran what;
 * 2. the supervisor scales 1 → 4 workers under a backlog of 120 tasks and back
 *    to 1 when idle, printing its timeline;
 * 3. a worker is killed (SIGKILL) mid-task: its task comes back through
 *    stalled-job recovery and finishes on the other worker.
 *
 * Progress goes to stderr; the last stdout line is the summary.
 *
 * @module
 */
import { startScript } from "../../infra/script.ts";
import { until } from "../../infra/testing.ts";
import { readConfig } from "./config.ts";
import type { Tick } from "./supervisor.ts";
import { addTasks, barChart, openQueue, tasksPerWorker } from "./tasks_queue.ts";

const failures: string[] = [];
const log = (line: string) => console.error(line);
const stamp = Date.now();

async function onQueue<T>(
  name: string,
  fn: (q: ReturnType<typeof openQueue>["queue"]) => Promise<T>,
): Promise<T> {
  const { queue, close } = openQueue(readConfig({ QUEUE_NAME: name }));
  try {
    return await fn(queue);
  } finally {
    await queue.obliterate({ force: true });
    await close();
  }
}

// 1. Three workers, 60 tasks.
const spread = await onQueue(`demo-tasks-${stamp}`, async (queue) => {
  const workers = ["w1", "w2", "w3"].map((name) =>
    startScript("exercises/10/worker.ts", [], { QUEUE_NAME: queue.name, WORKER_NAME: name })
  );
  try {
    for (const w of workers) {
      await w.stderr.waitFor((l) => l.some((x) => x.includes("taking tasks")), 20_000);
    }
    await addTasks(queue, 60, { kind: "sleep", ms: 50 });
    await until(
      async () => (await queue.getJobCounts("completed")).completed === 60,
      30_000,
      "60 tasks",
    );
  } finally {
    for (const w of workers) await w.stop();
  }
  const rows = await tasksPerWorker(queue);
  log("10: 60 tasks, 3 workers:\n" + barChart(rows, 30));
  if (rows.length !== 3) failures.push(`only ${rows.length} workers got tasks`);
  return rows.map(([, n]) => n).join("/");
});

// 2. The supervisor under a backlog.
const timeline = await onQueue(`demo-autoscale-${stamp}`, async (queue) => {
  const supervisor = startScript("exercises/10/supervisor.ts", [], {
    QUEUE_NAME: queue.name,
    MIN_WORKERS: "1",
    MAX_WORKERS: "4",
    JOBS_PER_WORKER: "10",
    TICK_MS: "300",
    IDLE_TICKS: "3",
  });
  supervisor.stderr.onLine = (line) => log(`  ${line}`);
  // Its workers print their task lines to the same stdout: keep the ticks.
  const ticks = () =>
    supervisor.stdout.lines.map((l) => JSON.parse(l)).filter((x): x is Tick => "waiting" in x);
  try {
    await supervisor.stdout.waitFor(
      (l) => l.some((x) => x.includes('"waiting"')),
      20_000,
      "the first tick",
    );
    await addTasks(queue, 120, { kind: "sleep", ms: 100 });
    log("10: 120 tasks of 100 ms added");
    await until(() => Promise.resolve(ticks().some((t) => t.workers === 4)), 30_000, "4 workers");
    await until(
      async () => (await queue.getJobCounts("completed")).completed === 120,
      60_000,
      "120 tasks",
    );
    await until(() => Promise.resolve(ticks().at(-1)!.workers === 1), 30_000, "back to 1 worker");
  } catch (err) {
    failures.push((err as Error).message);
  } finally {
    await supervisor.stop();
  }
  const all = ticks();
  log("10: timeline (every 300 ms tick: waiting tasks, workers)");
  for (const t of all) {
    log(
      `  t=${t.t.toFixed(1).padStart(5)}s waiting ${String(t.waiting).padStart(3)}  ${
        "▇".repeat(t.workers)
      }${t.action ? `  ${t.action}` : ""}`,
    );
  }
  return `1 → ${Math.max(...all.map((t) => t.workers))} → ${all.at(-1)?.workers}`;
});

// 3. A worker killed mid-task.
const recovered = await onQueue(`demo-kill-${stamp}`, async (queue) => {
  const vars = { QUEUE_NAME: queue.name, LOCK_DURATION_MS: "1000", STALLED_INTERVAL_MS: "500" };
  const victim = startScript("exercises/10/worker.ts", [], { ...vars, WORKER_NAME: "victim" });
  const survivor = startScript("exercises/10/worker.ts", [], { ...vars, WORKER_NAME: "survivor" });
  survivor.stderr.onLine = (line) => log(`  ${line}`);
  let job = "";
  try {
    for (const w of [victim, survivor]) {
      await w.stderr.waitFor((l) => l.some((x) => x.includes("taking tasks")), 20_000);
    }
    await addTasks(queue, 6, { kind: "sleep", ms: 700 });
    await victim.stdout.waitFor(
      (l) => l.some((x) => x.includes('"start"')),
      20_000,
      "the victim to start",
    );
    job = JSON.parse(victim.stdout.lines.find((x) => x.includes('"start"'))!).job;
    log(`10: killing the victim (SIGKILL) while it runs task ${job}`);
    await victim.stop("SIGKILL");
    await until(
      async () => (await queue.getJobCounts("completed")).completed === 6,
      30_000,
      "6 tasks",
    );
  } catch (err) {
    failures.push((err as Error).message);
  } finally {
    await victim.stop();
    await survivor.stop();
  }
  const done = await queue.getJob(job);
  const by = done?.returnvalue?.worker ?? "nobody";
  if (!by.endsWith(":survivor")) failures.push(`task ${job} was finished by ${by}`);
  const counts = await queue.getJobCounts("completed", "failed");
  return `${counts.completed} of 6 completed, ${counts.failed} failed; task ${job} finished by ${by}`;
});

if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
console.log(
  `3 workers split 60 tasks ${spread}; autoscale ${timeline} workers; after a SIGKILL mid-task: ${recovered}`,
);
