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
import { type FlowProducer, type Job, UnrecoverableError, Worker as BullWorker } from "bullmq";
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

/** Runs one task by the job's name; `threads` runs the primes search. */
export async function runTask(
  job: Job<TaskData>,
  threads: PrimesThreads,
): Promise<number[] | PrimesResult> {
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
    return { numbers: numbers.length, primes: await threads.search(numbers) };
  }
  throw new UnrecoverableError(`unknown task "${job.name}"`);
}

/**
 * Up to `size` web worker threads (primes_thread.ts) that run
 * `primesAmong()`, so that the worker's own thread stays free for the job's
 * lock renewal. A thread is started on first need and kept for the next
 * job: starting one costs about 30 ms of the calling thread (measured), more
 * than a whole small chain. A thread that fails is ended and replaced.
 *
 * @example
 * ```ts
 * const threads = new PrimesThreads(2);
 * await threads.search([10, 7, 3, 7, 4]); // [3, 7]
 * threads.close();
 * ```
 */
export class PrimesThreads {
  #idle: Worker[] = [];
  #started = 0;
  #waiting: ((thread: Worker) => void)[] = [];
  #closed = false;

  /** `module`: the thread's code (tests give one that fails). Default primes_thread.ts. */
  constructor(
    readonly size: number,
    readonly module: URL = new URL("./primes_thread.ts", import.meta.url),
  ) {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot start search threads as size is not a positive integer: ${size}`,
      );
    }
  }

  /** How many threads are running now (at most `size`). */
  get started(): number {
    return this.#started;
  }

  /** The distinct primes among `numbers`, ascending, computed on one of the threads. */
  async search(numbers: number[]): Promise<number[]> {
    const thread = await this.#take();
    let failed = false;
    try {
      return await new Promise<number[]>((resolve, reject) => {
        thread.onmessage = (event: MessageEvent<Uint32Array>) => resolve(Array.from(event.data));
        thread.onerror = (event) => {
          event.preventDefault();
          failed = true;
          reject(new Error(`primes: the search thread failed: ${event.message}`));
        };
        // Every generated number is in [2, 2^31 - 1]: a Uint32Array holds them, and moves without a copy.
        const input = Uint32Array.from(numbers);
        thread.postMessage(input, [input.buffer]);
      });
    } finally {
      if (failed) {
        thread.terminate();
        this.#started--;
      }
      this.#give(failed ? undefined : thread);
    }
  }

  /** Ends every thread. */
  close(): void {
    this.#closed = true;
    for (const thread of this.#idle) thread.terminate();
    this.#idle = [];
  }

  #take(): Promise<Worker> {
    if (this.#closed) return Promise.reject(new Error("primes: the search threads are closed"));
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#started < this.size) {
      this.#started++;
      return Promise.resolve(new Worker(this.module, { type: "module" }));
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Hands a thread back (or, after a failure, room for a new one) to the next in line. */
  #give(thread: Worker | undefined): void {
    const next = this.#waiting.shift();
    if (next) {
      if (thread) next(thread);
      else this.#take().then(next);
    } else if (thread && this.#closed) thread.terminate();
    else if (thread) this.#idle.push(thread);
  }
}

/**
 * Starts a worker for both tasks on `config.queue`, running up to
 * `concurrency` jobs at once (default `config.concurrency`), with
 * `config.lockDurationMs` locks.
 */
export function startWorker(
  config: Config,
  concurrency = config.concurrency,
): { worker: BullWorker; threads: PrimesThreads; close(): Promise<void> } {
  // BullMQ blocks on this connection: it must never give up on a command.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  // A search thread per job the worker may run at once, up to one per core.
  const threads = new PrimesThreads(Math.min(concurrency, navigator.hardwareConcurrency));
  const worker = new BullWorker(config.queue, (job: Job<TaskData>) => runTask(job, threads), {
    connection,
    concurrency,
    lockDuration: config.lockDurationMs,
  });
  worker.on("error", (err) => console.error(`worker: ${err.message}`));
  return {
    worker,
    threads,
    async close() {
      await worker.close();
      threads.close();
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
 * generates in parallel, then primes) through `flow`, and returns the jobs'
 * ids. One producer serves any number of flows: a connection of its own per
 * flow cost a connect and a quit each.
 *
 * @example
 * ```ts
 * const flow = new FlowProducer({ connection: new Redis(redisUrl, { maxRetriesPerRequest: null }) });
 * const ids = await addFlow(flow, "primes-flow", [{ count: 1000, max: 100000, seed: 1 }]);
 * ```
 */
export async function addFlow(
  flow: FlowProducer,
  queue: string,
  specs: GenerateSpec[],
): Promise<FlowIds> {
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
  // The returned Job objects use the producer's connection, which the caller may close: keep only the ids.
  return { parent: tree.job.id!, children: (tree.children ?? []).map((c) => c.job.id!) };
}
