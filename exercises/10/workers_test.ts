/**
 * Exercise 10 against the real Redis, with workers as real processes:
 * distribution, autoscaling, and a killed worker's task recovered.
 */
import assert from "node:assert/strict";
import { requireService, uniqueName, until } from "../../infra/testing.ts";
import { type Script, startScript } from "../../infra/script.ts";
import { readConfig } from "./config.ts";
import { supervise, type Tick } from "./supervisor.ts";
import { addTasks, openQueue, tasksPerWorker } from "./tasks_queue.ts";

async function withQueue(
  vars: Record<string, string>,
  fn: (
    ctx: { config: ReturnType<typeof readConfig>; queue: ReturnType<typeof openQueue>["queue"] },
  ) => Promise<void>,
) {
  await requireService("redis");
  const config = readConfig({ QUEUE_NAME: uniqueName("test-tasks"), ...vars });
  const { queue, close } = openQueue(config);
  try {
    await fn({ config, queue });
  } finally {
    await queue.obliterate({ force: true });
    await close();
  }
}

function workers(
  config: ReturnType<typeof readConfig>,
  names: string[],
  vars: Record<string, string> = {},
): Script[] {
  return names.map((name) =>
    startScript("exercises/10/worker.ts", [], {
      QUEUE_NAME: config.queue,
      WORKER_NAME: name,
      ...vars,
    })
  );
}

Deno.test("worker.ts: with 3 workers and enough tasks, every worker gets work", async () => {
  await withQueue({}, async ({ config, queue }) => {
    const running = workers(config, ["w1", "w2", "w3"]);
    try {
      for (const w of running) {
        await w.stderr.waitFor((l) => l.some((x) => x.includes("taking tasks")), 20_000);
      }
      await addTasks(queue, 60, { kind: "sleep", ms: 30 });
      await until(
        async () => (await queue.getJobCounts("completed")).completed === 60,
        30_000,
        "60 tasks",
      );
    } finally {
      for (const w of running) await w.stop();
    }
    const rows = await tasksPerWorker(queue);
    assert.equal(rows.length, 3, `every worker ran tasks: ${JSON.stringify(rows)}`);
    assert.equal(rows.reduce((n, [, c]) => n + c, 0), 60);
    for (const [id] of rows) assert.match(id, /^.+:\d+:w[123]$/, "ids are host:pid:name");
    // Each task's start line on stdout names its worker.
    const starts = running.flatMap((w) =>
      w.stdout.lines.map((l) => JSON.parse(l)).filter((e) => e.event === "start")
    );
    assert.equal(starts.length, 60);
  });
});

Deno.test("supervise() grows the pool under a backlog and shrinks it when idle", async () => {
  await withQueue(
    {
      MIN_WORKERS: "1",
      MAX_WORKERS: "3",
      JOBS_PER_WORKER: "5",
      TICK_MS: "200",
      IDLE_TICKS: "3",
      WORKER_NAME: "auto",
    },
    async ({ config, queue }) => {
      const ticks: Tick[] = [];
      const stop = new AbortController();
      const running = supervise(config, stop.signal, (t) => ticks.push(t));
      try {
        await until(() => Promise.resolve(ticks.length > 0), 10_000, "the first tick");
        await addTasks(queue, 60, { kind: "sleep", ms: 100 });
        await until(() => Promise.resolve(ticks.some((t) => t.workers === 3)), 30_000, "3 workers");
        await until(
          async () => (await queue.getJobCounts("completed")).completed === 60,
          60_000,
          "60 tasks",
        );
        await until(() => Promise.resolve(ticks.at(-1)!.workers === 1), 30_000, "back to 1 worker");
      } finally {
        stop.abort();
        await running;
      }
      const grew = ticks.find((t) => t.workers === 3)!;
      assert.ok(grew.waiting > 0, "it grew while tasks were waiting");
      const peak = ticks.findIndex((t) => t.workers === 3);
      assert.ok(
        ticks.slice(peak).some((t) => t.action?.startsWith("scale down")),
        "and shrank after",
      );
      assert.ok(ticks.every((t) => t.workers >= 1 && t.workers <= 3), "within min and max");
      const rows = await tasksPerWorker(queue);
      assert.ok(rows.length >= 2, `the added workers ran tasks: ${JSON.stringify(rows)}`);
    },
  );
});

Deno.test("worker.ts: a worker killed mid-task loses nothing; its task runs again elsewhere", async () => {
  const vars = { LOCK_DURATION_MS: "1000", STALLED_INTERVAL_MS: "500" };
  await withQueue(vars, async ({ config, queue }) => {
    const [victim, survivor] = workers(config, ["victim", "survivor"], vars);
    let killedJob = "";
    try {
      for (const w of [victim, survivor]) {
        await w.stderr.waitFor((l) => l.some((x) => x.includes("taking tasks")), 20_000);
      }
      await addTasks(queue, 10, { kind: "sleep", ms: 700 });
      await victim.stdout.waitFor(
        (l) => l.some((x) => x.includes('"start"')),
        20_000,
        "the victim to start a task",
      );
      killedJob = JSON.parse(victim.stdout.lines.find((x) => x.includes('"start"'))!).job;
      await victim.stop("SIGKILL");
      await until(
        async () => (await queue.getJobCounts("completed")).completed === 10,
        60_000,
        "all 10 tasks",
      );
    } finally {
      await victim.stop();
      await survivor.stop();
    }
    const counts = await queue.getJobCounts("completed", "failed");
    assert.deepEqual(counts, { completed: 10, failed: 0 });
    const job = (await queue.getJob(killedJob))!;
    assert.match(
      job.returnvalue.worker,
      /:survivor$/,
      "the killed worker's task was finished by the survivor",
    );
    assert.ok(
      survivor.stderr.lines.some((l) => l.includes(`job ${killedJob} had stalled`)),
      "via stalled-job recovery",
    );
  });
});
