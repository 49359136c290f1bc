/**
 * Adds tasks to the queue: `count` tasks of one kind.
 *
 * @example
 * ```sh
 * deno run -A exercises/10/enqueue.ts 200 sleep 100
 * ```
 * @module
 */
import { integerSetting, readConfig } from "./config.ts";
import { checkTask } from "./task.ts";
import { addTasks, openQueue } from "./tasks_queue.ts";

const [count = "100", kind = "sleep", ms = "100"] = Deno.args;
try {
  const n = integerSetting("count", count, 1, 1_000_000);
  const task = checkTask({ kind, ms: integerSetting("ms", ms, 0, 600_000) });
  const { queue, close } = openQueue(readConfig());
  try {
    await addTasks(queue, n, task);
  } finally {
    await close();
  }
  console.log(JSON.stringify({ queue: queue.name, added: n, task }));
} catch (err) {
  console.error(`enqueue: ${(err as Error).message}`);
  console.error("usage: deno run -A exercises/10/enqueue.ts [count] [sleep|cpu|noop] [ms]");
  Deno.exit(1);
}
