/**
 * solution.ts copied alone into an empty folder and run there against the
 * real Redis: three worker processes share 60 tasks, every one of them gets
 * work, and each task's line names the process that ran it.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { env } from "../../infra/env.ts";
import { copyAlone, startScript } from "../../infra/script.ts";
import { requireService, uniqueName, until } from "../../infra/testing.ts";

Deno.test("solution.ts, copied alone, gives every one of 3 workers work, each task printing its worker's id", async () => {
  await requireService("redis");
  const dir = await copyAlone(["exercises/10/solution.ts"]);
  const vars = { QUEUE_NAME: uniqueName("test-solution-tasks") };
  const names = ["w1", "w2", "w3"];
  const workers = names.map((name) =>
    startScript("solution.ts", ["worker"], { ...vars, WORKER_NAME: name }, dir)
  );
  try {
    for (const w of workers) {
      await w.stderr.waitFor((l) => l.some((x) => x.includes("taking tasks")), 30_000);
    }
    const enqueue = startScript("solution.ts", ["enqueue", "60", "30"], vars, dir);
    assert.equal((await enqueue.status).code, 0, enqueue.stderr.tail());
    const printed = () => workers.flatMap((w) => w.stdout.lines);
    await until(() => printed().length >= 60, 30_000, "60 tasks printed");
    const ids = new Set<string>();
    workers.forEach((w, i) => {
      const lines = w.stdout.lines.map((l) => JSON.parse(l));
      assert.ok(lines.length > 0, `${names[i]} got work`);
      for (const line of lines) {
        assert.equal(line.worker, `${Deno.hostname()}:${w.child.pid}:${names[i]}`);
        ids.add(line.job);
      }
    });
    assert.equal(ids.size, 60, "each task ran once");
    const report = startScript("solution.ts", ["report"], vars, dir);
    assert.equal((await report.status).code, 0, report.stderr.tail());
    const rows = report.stdout.lines.map((l) => l.trim().split(/\s+/));
    assert.deepEqual(
      rows.map((r) => r[0]).toSorted(),
      workers.map((w, i) => `${Deno.hostname()}:${w.child.pid}:${names[i]}`).toSorted(),
    );
    assert.equal(rows.reduce((n, r) => n + Number(r[1]), 0), 60);
  } finally {
    for (const w of workers) assert.equal((await w.stop("SIGTERM")).code, 0, w.stderr.tail());
    const connection = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: null });
    const queue = new Queue(vars.QUEUE_NAME, { connection });
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
    await Deno.remove(dir, { recursive: true });
  }
});
