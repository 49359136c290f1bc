/**
 * Exercise 05: the two tasks as one BullMQ worker, and the two Celery
 * patterns as BullMQ flows.
 *
 * - chain (`generate → primes`): a flow whose parent `primes` has one child
 *   `generate`; BullMQ runs the child first, then the parent, which reads the
 *   child's return value.
 * - chord (`[generate × K] → primes`): the parent has K children that run in
 *   parallel; the parent runs once all K are done and reads all their values.
 *
 * Every child has `failParentOnFailure`: a child that fails for good fails its
 * parent, with the child's reason, instead of leaving it waiting forever.
 *
 * The primes search runs on a web worker thread: a search longer than the
 * job's lock would otherwise block the thread that renews the lock, and
 * BullMQ would take the job for stalled and run it again.
 *
 * @module
 */
import { FlowProducer, type Job, UnrecoverableError, Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";
import type { Config } from "./config.ts";
import { generateNumbers, type GenerateSpec } from "./numbers.ts";

/** What the `primes` task returns. */
export interface PrimesResult {
  /** How many numbers it looked at, from all its children. */
  numbers: number;
  /** The distinct primes among them, ascending. */
  primes: number[];
}

/** A job's data: a generate spec, or nothing for `primes`. */
export type TaskData = GenerateSpec | Record<string, never>;

/** Runs one task by the job's name. */
export async function runTask(job: Job<TaskData>): Promise<number[] | PrimesResult> {
  if (job.name === "generate") {
    try {
      return generateNumbers(job.data as GenerateSpec);
    } catch (err) {
      // Bad input fails the same way every time: do not retry it.
      throw new UnrecoverableError(`generate: ${(err as Error).message}`);
    }
  }
  if (job.name === "primes") {
    const children = Object.values(await job.getChildrenValues<number[]>());
    if (children.length === 0) throw new UnrecoverableError("primes: no generate results to read");
    const numbers = children.flat();
    return { numbers: numbers.length, primes: await primesOffThread(numbers) };
  }
  throw new UnrecoverableError(`unknown task "${job.name}"`);
}

/**
 * `primesAmong(numbers)`, computed on a web worker thread (primes_thread.ts)
 * so that this thread stays free for the job's lock renewal.
 *
 * @example
 * ```ts
 * await primesOffThread([10, 7, 3, 7, 4]); // [3, 7]
 * ```
 */
export function primesOffThread(numbers: number[]): Promise<number[]> {
  const thread = new Worker(new URL("./primes_thread.ts", import.meta.url), { type: "module" });
  return new Promise<number[]>((resolve, reject) => {
    thread.onmessage = (event: MessageEvent<Uint32Array>) => resolve(Array.from(event.data));
    thread.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`primes: the search thread failed: ${event.message}`));
    };
    // Every generated number is in [2, 2^31 - 1]: a Uint32Array holds them, and moves without a copy.
    const input = Uint32Array.from(numbers);
    thread.postMessage(input, [input.buffer]);
  }).finally(() => thread.terminate());
}

/** Starts a worker for both tasks on `config.queue`, with `config.lockDurationMs` locks. */
export function startWorker(
  config: Config,
  concurrency = 2,
): { worker: BullWorker; close(): Promise<void> } {
  // BullMQ blocks on this connection: it must never give up on a command.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const worker = new BullWorker(config.queue, runTask, {
    connection,
    concurrency,
    lockDuration: config.lockDurationMs,
  });
  worker.on("error", (err) => console.error(`worker: ${err.message}`));
  return {
    worker,
    async close() {
      await worker.close();
      await connection.quit();
    },
  };
}

const childOpts = {
  failParentOnFailure: true,
  attempts: 2,
  backoff: { type: "fixed", delay: 500 },
};

/** The ids of a flow's jobs. */
export interface FlowIds {
  parent: string;
  children: string[];
}

/**
 * Adds a chain (one generate, then primes) or a chord (`specs.length`
 * generates in parallel, then primes) and returns the jobs' ids.
 */
export async function addFlow(
  redisUrl: string,
  queue: string,
  specs: GenerateSpec[],
): Promise<FlowIds> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const flow = new FlowProducer({ connection });
  try {
    const tree = await flow.add({
      name: "primes",
      queueName: queue,
      data: {},
      // Keep failed parents with their reason; completed ones a while, for inspection.
      opts: { removeOnComplete: { count: 100 }, removeOnFail: false },
      children: specs.map((spec) => ({
        name: "generate",
        queueName: queue,
        data: spec,
        opts: childOpts,
      })),
    });
    // The returned Job objects use this producer's connection, closed below: keep only the ids.
    return { parent: tree.job.id!, children: (tree.children ?? []).map((c) => c.job.id!) };
  } finally {
    await flow.close();
    await connection.quit();
  }
}
