/**
 * Exercise 05's worker: runs `generate` and `primes` jobs from the queue.
 *
 * @example
 * ```sh
 * deno run -A exercises/05/worker.ts
 * ```
 * @module
 */
import { readConfig } from "./config.ts";
import { startWorker } from "./tasks.ts";

let config;
try {
  config = readConfig();
} catch (err) {
  console.error(`worker: ${(err as Error).message}`);
  Deno.exit(1);
}
const running = startWorker(config);
running.worker.on("completed", (job) => console.error(`worker: ${job.name} ${job.id} completed`));
running.worker.on(
  "failed",
  (job, err) => console.error(`worker: ${job?.name} ${job?.id} failed: ${err.message}`),
);
console.error(
  `worker: running generate and primes jobs from ${config.queue} on ${config.redisUrl} ` +
    `(lock ${config.lockDurationMs} ms, ${config.concurrency} jobs at once)`,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await running.close();
    Deno.exit(0);
  });
}
