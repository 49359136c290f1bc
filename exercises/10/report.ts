/**
 * Prints how many tasks each worker ran, as a table with bars, from the
 * completed jobs kept in the queue.
 *
 * @example
 * ```sh
 * deno run -A exercises/10/report.ts
 * ```
 * @module
 */
import { readConfig } from "./config.ts";
import { barChart, openQueue, tasksPerWorker } from "./tasks_queue.ts";

const { queue, close } = openQueue(readConfig());
try {
  const rows = await tasksPerWorker(queue);
  console.log(barChart(rows));
  const counts = await queue.getJobCounts("completed", "failed", "waiting", "active", "delayed");
  console.log(
    `completed ${counts.completed}, failed ${counts.failed}, still queued ${
      counts.waiting + counts.delayed
    }, running ${counts.active}`,
  );
} finally {
  await close();
}
