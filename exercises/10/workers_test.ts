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

/** Runs the supervisor on `config` while `fn` runs; its ticks are collected. Throws what it threw. */
async function withSupervisor(
  config: ReturnType<typeof readConfig>,
  fn: (ticks: Tick[]) => Promise<void>,
): Promise<Tick[]> {
  const ticks: Tick[] = [];
  const stop = new AbortController();
  const running = supervise(config, stop.signal, (t) => ticks.push(t));
  try {
    await until(() => ticks.length > 0, 10_000, "the first tick");
    await fn(ticks);
  } finally {
    stop.abort();
    await running;
  }
  return ticks;
}

const RECOVERY = { LOCK_DURATION_MS: "1000", STALLED_INTERVAL_MS: "500" };

Deno.test("supervise() replaces a worker killed mid-task, and its task finishes on the new one", async () => {
  const vars = {
    ...RECOVERY,
    MIN_WORKERS: "0",
    MAX_WORKERS: "2",
    JOBS_PER_WORKER: "10",
    TICK_MS: "200",
    WORKER_NAME: "auto",
  };
  await withQueue(vars, async ({ config, queue }) => {
    let victim = 0;
    const ticks = await withSupervisor(config, async (ticks) => {
      await addTasks(queue, 1, { kind: "sleep", ms: 2000 });
      await until(() => ticks.at(-1)!.active === 1, 20_000, "the task to start");
      victim = ticks.at(-1)!.pids[0];
      Deno.kill(victim, "SIGKILL");
      await until(
        async () => (await queue.getJobCounts("completed")).completed === 1,
        30_000,
        "the task to finish after its worker died",
      );
    });
    assert.ok(
      ticks.some((t) => t.action?.startsWith(`auto-1 (pid ${victim}) exited: SIGKILL`)),
      `the death was noticed: ${JSON.stringify(ticks.filter((t) => t.action))}`,
    );
    const [job] = await queue.getCompleted();
    assert.match(job.returnvalue.worker, /:auto-2$/, "the replacement ran it");
    assert.deepEqual(await queue.getJobCounts("failed"), { failed: 0 });
  });
});

Deno.test("supervise() scales down past a dead worker without crashing, and does not replace it when idle", async () => {
  const vars = {
    MIN_WORKERS: "1",
    MAX_WORKERS: "3",
    JOBS_PER_WORKER: "5",
    TICK_MS: "200",
    IDLE_TICKS: "5",
    WORKER_NAME: "auto",
  };
  await withQueue(vars, async ({ config, queue }) => {
    let victim = 0;
    let killedAt = 0;
    const ticks = await withSupervisor(config, async (ticks) => {
      await addTasks(queue, 30, { kind: "sleep", ms: 100 });
      await until(() => ticks.some((t) => t.workers === 3), 30_000, "3 workers");
      await until(
        async () => (await queue.getJobCounts("completed")).completed === 30,
        60_000,
        "30 tasks",
      );
      // The newest worker is the first the supervisor stops when it scales down.
      victim = ticks.at(-1)!.pids.at(-1)!;
      killedAt = ticks.length;
      Deno.kill(victim, "SIGKILL");
      await until(() => ticks.at(-1)!.workers === 1, 30_000, "back to 1 worker");
    });
    const after = ticks.slice(killedAt);
    assert.ok(
      after.some((t) => t.action?.includes(`(pid ${victim}) exited: SIGKILL`)),
      `the death was noticed: ${JSON.stringify(after.filter((t) => t.action))}`,
    );
    assert.ok(after.every((t) => t.workers <= 2), "nothing waits: the dead worker is not replaced");
    assert.ok(after.every((t) => !t.pids.includes(victim)), "the dead worker is not counted");
  });
});

/**
 * One 2 s task and three workers; the worker running it is SIGKILLed, twice.
 * Returns how the task ended.
 */
async function killTwice(
  vars: Record<string, string>,
): Promise<{ state: string; reason?: string; worker?: string }> {
  let outcome: { state: string; reason?: string; worker?: string } = { state: "unknown" };
  await withQueue(vars, async ({ config, queue }) => {
    const running = workers(config, ["w1", "w2", "w3"], vars);
    try {
      for (const w of running) {
        await w.stderr.waitFor((l) => l.some((x) => x.includes("taking tasks")), 20_000);
      }
      await addTasks(queue, 1, { kind: "sleep", ms: 2000 });
      const killed = new Set<Script>();
      for (let kill = 1; kill <= 2; kill++) {
        let runner: Script | undefined;
        await until(
          () => {
            runner = running.find((w) =>
              !killed.has(w) && w.stdout.lines.some((l) => l.includes('"start"'))
            );
            return runner !== undefined;
          },
          30_000,
          `a worker to start the task (${kill})`,
        );
        killed.add(runner!);
        await runner!.stop("SIGKILL");
      }
      await until(
        async () => {
          const counts = await queue.getJobCounts("completed", "failed");
          return counts.completed + counts.failed === 1;
        },
        30_000,
        "the task to end",
      );
      const [job] = [...await queue.getCompleted(), ...await queue.getFailed()];
      outcome = {
        state: await job.getState(),
        reason: job.failedReason || undefined,
        worker: job.returnvalue?.worker,
      };
    } finally {
      for (const w of running) await w.stop();
    }
  });
  return outcome;
}

Deno.test("worker.ts: MAX_STALLED_COUNT is how many worker deaths a task survives", async () => {
  const once = await killTwice({ ...RECOVERY });
  assert.equal(once.state, "failed", "by default (1), the second death fails the task");
  assert.equal(once.reason, "job stalled more than allowable limit");
  const twice = await killTwice({ ...RECOVERY, MAX_STALLED_COUNT: "2" });
  assert.equal(twice.state, "completed", `with 2 it survives both: ${JSON.stringify(twice)}`);
  assert.match(twice.worker!, /:w[123]$/);
});

Deno.test("enqueue.ts rejects a count or ms that is not an integer in range, naming it", async () => {
  for (
    const [args, message] of [
      [
        ["2.5"],
        `Cannot use 'count' as it is not an integer from 1 to 1000000: current value is "2.5"`,
      ],
      [
        ["-1"],
        `Cannot use 'count' as it is not an integer from 1 to 1000000: current value is "-1"`,
      ],
      [
        ["10", "sleep", ""],
        `Cannot use 'ms' as it is not an integer from 0 to 600000: current value is ""`,
      ],
      [
        ["10", "sleep", "1e3"],
        `Cannot use 'ms' as it is not an integer from 0 to 600000: current value is "1e3"`,
      ],
    ] as const
  ) {
    const run = startScript("exercises/10/enqueue.ts", [...args], {
      QUEUE_NAME: uniqueName("never"),
    });
    const status = await run.status;
    assert.equal(status.code, 1);
    assert.equal(run.stderr.lines[0], `enqueue: ${message}`);
  }
});
