/**
 * Exercise 05's worker: runs `generate` and `primes` jobs from the queue.
 *
 * @example
 * ```sh
 * deno run -A exercises/05/worker.ts
 * ```
 * @module
 */
import { startWorker } from "./tasks.ts";

const redisUrl = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";
const queueName = Deno.env.get("QUEUE_NAME") ?? "primes-flow";
const running = startWorker(redisUrl, queueName);
running.worker.on("completed", (job) => console.error(`worker: ${job.name} ${job.id} completed`));
running.worker.on(
  "failed",
  (job, err) => console.error(`worker: ${job?.name} ${job?.id} failed: ${err.message}`),
);
console.error(`worker: running generate and primes jobs from ${queueName} on ${redisUrl}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await running.close();
    Deno.exit(0);
  });
}
