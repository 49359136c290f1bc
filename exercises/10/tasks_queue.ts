/**
 * The queue side: add tasks, count what is waiting, read back who ran what.
 *
 * @module
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Config } from "./config.ts";
import type { Done, Task } from "./task.ts";

/** The queue with a connection of its own; `close()` closes both (BullMQ leaves a given connection open). */
export function openQueue(config: Config): { queue: Queue<Task, Done>; close(): Promise<void> } {
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<Task, Done>(config.queue, { connection });
  return {
    queue,
    async close() {
      await queue.close();
      await connection.quit();
    },
  };
}

/** Adds `count` copies of the task; completed and failed jobs are kept for the report. */
export async function addTasks(queue: Queue<Task, Done>, count: number, task: Task): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    const n = Math.min(500, count - i);
    await queue.addBulk(Array.from({ length: n }, () => ({ name: task.kind, data: task })));
  }
}

/** How many tasks each worker ran, from the completed jobs' results, most first. */
export async function tasksPerWorker(queue: Queue<Task, Done>): Promise<[string, number][]> {
  const counts = new Map<string, number>();
  for (let start = 0;; start += 1000) {
    const jobs = await queue.getCompleted(start, start + 999);
    for (const job of jobs) {
      counts.set(job.returnvalue.worker, (counts.get(job.returnvalue.worker) ?? 0) + 1);
    }
    if (jobs.length < 1000) break;
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * A table with a bar per worker.
 *
 * @example
 * ```ts
 * barChart([["host:1:w1", 30], ["host:2:w2", 15]], 20);
 * // host:1:w1  30  ████████████████████
 * // host:2:w2  15  ██████████
 * ```
 */
export function barChart(rows: [string, number][], width = 40): string {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  const nameWidth = Math.max(6, ...rows.map(([name]) => name.length));
  const countWidth = Math.max(5, ...rows.map(([, n]) => String(n).length));
  const lines = [`${"worker".padEnd(nameWidth)}  ${"tasks".padStart(countWidth)}`];
  for (const [name, n] of rows) {
    lines.push(
      `${name.padEnd(nameWidth)}  ${String(n).padStart(countWidth)}  ${
        "█".repeat(Math.round((n / max) * width))
      }`,
    );
  }
  return lines.join("\n");
}
