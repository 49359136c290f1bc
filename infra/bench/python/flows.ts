/**
 * Exercise 05's side of the flow bench: adds FLOWS chains or chords with
 * exercises/05's addFlow() to QUEUE_NAME (a worker.ts process must be
 * running), waits for every parent, and prints one JSON line: the seconds
 * from the first flow added to the last parent done, and each flow's result
 * (the bench checks them against Celery's). Seeds as celery_flows.py's.
 *
 * @example
 * ```sh
 * QUEUE_NAME=bench deno run -A infra/bench/python/flows.ts chain 100 1 1000 100000 1
 * ```
 * @module
 */
import { FlowProducer, QueueEvents, QueueEventsProducer } from "bullmq";
import { Redis } from "ioredis";
import { readConfig } from "../../../exercises/05/config.ts";
import { addFlow, type PrimesResult } from "../../../exercises/05/tasks.ts";

const [pattern, ...numbers] = Deno.args;
const [flows, parts, count, max, seed] = numbers.map(Number);
const config = readConfig();
const connect = () => new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const connections = [connect(), connect(), connect()];
const events = new QueueEvents(config.queue, { connection: connections[0] });
const producer = new FlowProducer({ connection: connections[1] });
const probe = new QueueEventsProducer(config.queue, { connection: connections[2] });
// waitUntilReady() resolves before the first read of the events stream, and
// what happens before that read is never seen (seen: 9 of 400 completions
// missed): wait until an event published now comes through.
let listening = false;
events.on("bench-probe" as "error", () => listening = true);
await events.waitUntilReady();
while (!listening) {
  await probe.publishEvent({ eventName: "bench-probe" }, 100_000);
  await new Promise((resolve) => setTimeout(resolve, 20));
}

// Results by parent id, from the queue's events: a completed parent may be
// removed (removeOnComplete keeps 100) before it could be fetched.
const done = new Map<string, PrimesResult>();
const failed: string[] = [];
let wake = () => {};
events.on("completed", ({ jobId, returnvalue }) => {
  done.set(jobId, returnvalue as unknown as PrimesResult);
  wake();
});
events.on("failed", ({ jobId, failedReason }) => {
  failed.push(`${jobId}: ${failedReason}`);
  wake();
});

const started = performance.now();
const added = await Promise.all(
  Array.from({ length: flows }, (_, f) =>
    addFlow(
      producer,
      config.queue,
      Array.from(
        { length: pattern === "chain" ? 1 : parts },
        (_, i) => ({ count, max, seed: seed + f * parts + i }),
      ),
    )),
);
const deadline = Date.now() + 300_000;
while (failed.length === 0 && !added.every(({ parent }) => done.has(parent))) {
  if (Date.now() > deadline) {
    throw new Error(
      `${added.filter((a) => !done.has(a.parent)).length} flows not done after 300 s`,
    );
  }
  await new Promise<void>((resolve) => {
    wake = resolve;
    setTimeout(resolve, 1000);
  });
}
if (failed.length > 0) throw new Error(`flows failed: ${failed.join("; ")}`);
const seconds = (performance.now() - started) / 1000;
const results = added.map(({ parent }) => done.get(parent)!);
console.log(JSON.stringify({ seconds, results }));
await Promise.all([events.close(), producer.close(), probe.close()]);
await Promise.all(connections.map((c) => c.quit()));
