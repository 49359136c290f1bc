// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 06: a call that fails half of the time, retried up to 3 times
 * (4 attempts) with exponential backoff, 1 s, 2 s, 4 s, as a BullMQ job.
 *
 *   deno run -A exercises/06/flaky_service.ts &     # the flaky upstream, on 127.0.0.1:8606
 *   deno run -A solution.ts worker                  # makes the calls
 *   deno run -A solution.ts enqueue INFY TCS NOPE   # one job per symbol; how each ended
 *
 * What decides it:
 * - `attempts` counts the first run: "retry up to 3 times" is attempts: 4.
 * - BullMQ's exponential backoff waits delay × 2^(n-1) after the nth
 *   failure: BACKOFF_BASE_MS, twice it, four times it.
 * - Only what can pass is retried (5xx, 408, 429, timeouts, network errors);
 *   another 4xx throws UnrecoverableError and the job fails at once.
 * - A failed job is kept in Redis with its reason (removeOnFail: false).
 */
import { Queue, QueueEvents, UnrecoverableError, Worker } from "npm:bullmq@6.7.0";
import { Redis } from "npm:ioredis@6.0.0";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const redisUrl = env("REDIS_URL", "redis://127.0.0.1:6379");
const flakyUrl = env("FLAKY_URL", "http://127.0.0.1:8606");
const queueName = env("QUEUE_NAME", "flaky-calls");
const attempts = Number(env("ATTEMPTS", "4"));
const backoffBaseMs = Number(env("BACKOFF_BASE_MS", "1000"));
const requestTimeoutMs = Number(env("REQUEST_TIMEOUT_MS", "5000"));
// One connection per BullMQ object; they block on it, so it must never give up on a command.
const connect = () => new Redis(redisUrl, { maxRetriesPerRequest: null });

/** One call. A plain Error is retried; UnrecoverableError fails the job at once. */
async function fetchQuote(symbol: string): Promise<unknown> {
  let response;
  try {
    response = await fetch(`${flakyUrl}/quotes/${encodeURIComponent(symbol)}`, {
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (err) {
    throw new Error(`request failed: ${(err as Error).message}`);
  }
  const body = await response.text();
  if (response.ok) return JSON.parse(body); // a body that is not JSON throws: retried too
  let reason = `HTTP ${response.status}: ${body.slice(0, 200)}`;
  try {
    reason = `HTTP ${response.status}: ${JSON.parse(body).error}`;
  } catch {
    // Not JSON: the text itself is the reason.
  }
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    throw new Error(reason);
  }
  throw new UnrecoverableError(reason);
}

function work() {
  const connection = connect();
  const worker = new Worker(queueName, (job) => fetchQuote(job.data.symbol), { connection });
  worker.on("failed", (job, err) => {
    if (!job) return;
    const made = job.attemptsMade;
    const last = err.name === "UnrecoverableError" || made >= (job.opts.attempts ?? 1);
    const next = last ? "failed for good" : `next in ${backoffBaseMs * 2 ** (made - 1)} ms`;
    console.error(
      `worker: job ${job.id} (${job.data.symbol}) attempt ${made}/${job.opts.attempts}: ${err.message}; ${next}`,
    );
  });
  // Without a listener an "error" (Redis gone, say) would end the process; BullMQ reconnects.
  worker.on("error", (err) => console.error(`worker: ${err.message}`));
  console.error(`worker: calling ${flakyUrl} for jobs from ${queueName}`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await worker.close(); // lets the running call finish
      await connection.quit();
      Deno.exit(0);
    });
  }
}

async function enqueue(symbols: string[]) {
  const connections = [connect(), connect()];
  const queue = new Queue(queueName, { connection: connections[0] });
  const events = new QueueEvents(queueName, { connection: connections[1] });
  try {
    await events.waitUntilReady(); // listening before the jobs exist: no end is missed
    const jobs = await queue.addBulk(symbols.map((symbol) => ({
      name: "quote",
      data: { symbol },
      opts: {
        attempts,
        backoff: { type: "exponential", delay: backoffBaseMs },
        removeOnFail: false, // kept, with its reason, for someone to look at or retry
      },
    })));
    for (const job of jobs) {
      await job.waitUntilFinished(events).catch(() => {}); // failed: its state says so below
      const done = (await queue.getJob(job.id!))!;
      const state = await done.getState();
      const end = state === "failed" ? { reason: done.failedReason } : { result: done.returnvalue };
      const outcome = {
        job: done.id,
        symbol: done.data.symbol,
        state,
        attempts: done.attemptsMade,
      };
      console.log(JSON.stringify({ ...outcome, ...end }));
    }
  } finally {
    await Promise.all([queue.close(), events.close()]);
    await Promise.all(connections.map((c) => c.quit()));
  }
}

const [command, ...symbols] = Deno.args;
if (command === "worker") work();
else if (command === "enqueue" && symbols.length > 0) await enqueue(symbols);
else {
  console.error("usage: deno run -A solution.ts worker | enqueue SYMBOL...");
  Deno.exit(2);
}
