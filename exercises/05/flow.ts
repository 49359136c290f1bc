/**
 * Runs a chain or a chord and prints its outcome as one JSON line: the
 * parent's state, its result (or its failure reason), and each child.
 * A worker must be running (`worker.ts`), or pass `--with-worker`.
 *
 * @example
 * ```sh
 * deno run -A exercises/05/flow.ts chain --count 1000
 * deno run -A exercises/05/flow.ts chord --parts 4 --count 1000
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { readConfig } from "./config.ts";
import type { GenerateSpec } from "./numbers.ts";
import { addFlow, type PrimesResult, startWorker } from "./tasks.ts";

/** How a flow ended, read back from Redis. */
export interface FlowOutcome {
  state: "completed" | "failed";
  result?: PrimesResult;
  reason?: string;
  /** When the parent started (ms since epoch). */
  parentStartedAt: number;
  children: {
    id: string;
    state: string;
    finishedAt: number;
    numbers?: number[];
    reason?: string;
  }[];
}

/** Adds the flow and waits (up to `timeoutMs`) for its parent to complete or fail. */
export async function runFlow(
  redisUrl: string,
  queueName: string,
  specs: GenerateSpec[],
  timeoutMs = 60_000,
): Promise<FlowOutcome> {
  const eventsConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queueConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  const queue = new Queue(queueName, { connection: queueConnection });
  try {
    await events.waitUntilReady();
    const ids = await addFlow(redisUrl, queueName, specs);
    try {
      await (await queue.getJob(ids.parent))!.waitUntilFinished(events, timeoutMs);
    } catch (err) {
      if ((err as Error).message.includes("timed out")) throw err;
      // The parent failed: its reason is read below.
    }
    const parent = (await queue.getJob(ids.parent))!;
    const failed = await parent.isFailed();
    const children = await Promise.all(
      ids.children.map(async (id) => {
        const child = (await queue.getJob(id))!;
        return {
          id,
          state: await child.getState(),
          finishedAt: child.finishedOn ?? 0,
          ...(child.failedReason
            ? { reason: child.failedReason }
            : { numbers: child.returnvalue as number[] }),
        };
      }),
    );
    return {
      state: failed ? "failed" : "completed",
      ...(failed
        ? { reason: parent.failedReason }
        : { result: parent.returnvalue as PrimesResult }),
      parentStartedAt: parent.processedOn ?? 0,
      children,
    };
  } finally {
    await events.close();
    await queue.close();
    await eventsConnection.quit();
    await queueConnection.quit();
  }
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      parts: { type: "string", default: "3" },
      count: { type: "string", default: "1000" },
      max: { type: "string", default: "100000" },
      seed: { type: "string" },
      "with-worker": { type: "boolean", default: false },
    },
  });
  const pattern = positionals[0];
  if (pattern !== "chain" && pattern !== "chord") {
    console.error(
      "usage: deno run -A exercises/05/flow.ts chain|chord [--parts K] [--count N] [--max M] [--seed S] [--with-worker]",
    );
    Deno.exit(2);
  }
  let config;
  try {
    config = readConfig();
  } catch (err) {
    console.error(`flow: ${(err as Error).message}`);
    Deno.exit(1);
  }
  const { redisUrl, queue: queueName } = config;
  const parts = pattern === "chain" ? 1 : Number(values.parts);
  const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
  const specs = Array.from({ length: parts }, (_, i) => ({
    count: Number(values.count),
    max: Number(values.max),
    seed: seed + i,
  }));
  const worker = values["with-worker"] ? startWorker(redisUrl, queueName) : undefined;
  try {
    const outcome = await runFlow(redisUrl, queueName, specs);
    console.log(JSON.stringify({
      pattern,
      state: outcome.state,
      reason: outcome.reason,
      numbers: outcome.result?.numbers,
      primes: outcome.result?.primes.length,
      first_primes: outcome.result?.primes.slice(0, 10),
      children: outcome.children.map((c) => ({
        id: c.id,
        state: c.state,
        numbers: c.numbers?.length,
        reason: c.reason,
      })),
    }));
    Deno.exitCode = outcome.state === "completed" ? 0 : 1;
  } catch (err) {
    console.error(`flow: ${(err as Error).message}`);
    Deno.exitCode = 1;
  } finally {
    await worker?.close();
  }
}
