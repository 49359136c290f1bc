/**
 * Adds one quote job per symbol and waits for each to finish: prints a JSON
 * line per job with its final state, attempts and result or failure reason.
 *
 * @example
 * ```sh
 * deno run -A exercises/06/enqueue.ts INFY TCS NOPE
 * ```
 * @module
 */
import { type Job, Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { type Config, readConfig } from "./config.ts";
import { BACKOFF, type Quote, type QuoteJob } from "./worker.ts";

/** How one job ended. */
export interface Outcome {
  job: string;
  symbol: string;
  state: "completed" | "failed";
  attempts: number;
  result?: Quote;
  reason?: string;
}

/** Job options: `config.attempts` attempts with our exponential backoff; failed jobs are kept. */
export function jobOptions(config: Config) {
  return {
    attempts: config.attempts,
    backoff: { type: BACKOFF },
    removeOnComplete: { count: 1000 },
    // Keep failed jobs, with their reason and stack trace, for someone to look at.
    removeOnFail: false,
  };
}

/** The queue with a connection of its own; `close()` closes both (BullMQ leaves a given connection open). */
export function openQueue(
  config: Config,
): { queue: Queue<QuoteJob, Quote>; close(): Promise<void> } {
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<QuoteJob, Quote>(config.queue, { connection });
  return {
    queue,
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/**
 * Adds a job per symbol (one after another when `sequential`) and waits for
 * all. One pair of listeners on the queue's events serves every job: a
 * `waitUntilFinished()` per job would add two listeners each, and Node's
 * emitter warns past 10 (MaxListenersExceededWarning).
 */
export async function enqueue(
  config: Config,
  symbols: string[],
  sequential = false,
): Promise<Outcome[]> {
  const { queue, close } = openQueue(config);
  // BullMQ does not close a connection it was given: closed below.
  const eventsConnection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents(config.queue, { connection: eventsConnection });
  const finished = new Set<string>();
  const waiters = new Map<string, () => void>();
  const onFinished = ({ jobId }: { jobId: string }) => {
    finished.add(jobId);
    waiters.get(jobId)?.();
  };
  // "failed" is sent once, when the job fails for good: a retried attempt sends "delayed".
  events.on("completed", onFinished);
  events.on("failed", onFinished);
  const finish = async (job: Job<QuoteJob, Quote>): Promise<Outcome> => {
    const id = job.id!;
    const ended = new Promise<void>((resolve) => waiters.set(id, resolve));
    // It may have ended before this waiter existed: its event came already, or its state says so.
    if (!finished.has(id)) {
      const state = await job.getState();
      if (state !== "completed" && state !== "failed") await ended;
    }
    waiters.delete(id);
    const done = (await queue.getJob(id))!;
    const failed = await done.isFailed();
    return {
      job: id,
      symbol: done.data.symbol,
      state: failed ? "failed" : "completed",
      attempts: done.attemptsMade,
      ...(failed ? { reason: done.failedReason } : { result: done.returnvalue }),
    };
  };
  try {
    await events.waitUntilReady();
    if (sequential) {
      const outcomes = [];
      for (const symbol of symbols) {
        outcomes.push(await finish(await queue.add("quote", { symbol }, jobOptions(config))));
      }
      return outcomes;
    }
    const jobs = await queue.addBulk(
      symbols.map((symbol) => ({ name: "quote", data: { symbol }, opts: jobOptions(config) })),
    );
    return await Promise.all(jobs.map(finish));
  } finally {
    await events.close();
    eventsConnection.disconnect();
    await close();
  }
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error("usage: deno run -A exercises/06/enqueue.ts SYMBOL...");
    Deno.exit(2);
  }
  try {
    for (const outcome of await enqueue(readConfig(), Deno.args)) {
      console.log(JSON.stringify(outcome));
    }
  } catch (err) {
    console.error(`enqueue: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
