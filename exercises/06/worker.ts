/**
 * Exercise 06: a BullMQ worker that calls the flaky service, retried up to 3
 * times (4 attempts in all) with exponential backoff: 1 s, 2 s, 4 s by
 * default. A 5xx, a timeout or a network error is retried; a 4xx cannot get
 * better by retrying, so it throws `UnrecoverableError` and the job fails at
 * once. Every attempt is reported (stdout JSON line, and the job's own log in
 * Redis); the final failure keeps its reason on the failed job.
 *
 * @example
 * ```sh
 * deno run -A exercises/06/worker.ts
 * ```
 * @module
 */
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { backoffDelay } from "./backoff.ts";
import { type Config, readConfig } from "./config.ts";

/** The name of our backoff strategy in job options: `backoff: { type: BACKOFF }`. */
export const BACKOFF = "flaky-exponential";

/** What a quote job asks for and returns. */
export interface QuoteJob {
  symbol: string;
}
export interface Quote {
  symbol: string;
  price_paise: number;
}

/** One attempt of one job, as reported. */
export interface Attempt {
  job: string;
  symbol: string;
  attempt: number;
  of: number;
  started_at: number;
  /** `ok`; `retry` (with the wait before the next attempt); `failed` for good. */
  outcome: "ok" | "retry" | "failed";
  error?: string;
  next_delay_ms?: number;
}

/**
 * Calls the service once. Throws a plain `Error` for what may pass (5xx, 429,
 * timeouts, network errors) and `UnrecoverableError` for what will not (4xx).
 */
export async function fetchQuote(
  baseUrl: string,
  symbol: string,
  timeoutMs: number,
): Promise<Quote> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/quotes/${encodeURIComponent(symbol)}`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new Error(`request failed: ${(err as Error).message}`);
  }
  const body = await response.json().catch(() => null);
  if (response.ok) return body as Quote;
  const message = `HTTP ${response.status}: ${body?.error ?? response.statusText}`;
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    throw new Error(message);
  }
  throw new UnrecoverableError(message);
}

/** Options for {@linkcode startWorker}. */
export interface WorkerOptions {
  /** Called for every attempt. Default: print it as a JSON line. */
  onAttempt?: (attempt: Attempt) => void;
  /** The random source for jitter. Default `Math.random`. */
  random?: () => number;
}

/** Starts a worker on `config.queue`; close it with `close()`. */
export function startWorker(
  config: Config,
  options: WorkerOptions = {},
): { worker: Worker; close(): Promise<void> } {
  const { onAttempt = (a) => console.log(JSON.stringify(a)), random = Math.random } = options;
  const started = new Map<string, number>();
  const base = (job: Job<QuoteJob>, attempt: number) => ({
    job: job.id!,
    symbol: job.data.symbol,
    attempt,
    of: job.opts.attempts ?? 1,
    started_at: started.get(job.id!) ?? 0,
  });
  // BullMQ blocks on this connection: it must never give up on a command.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker<QuoteJob, Quote>(
    config.queue,
    async (job) => {
      const attempt = job.attemptsMade + 1;
      started.set(job.id!, Date.now());
      await job.log(`attempt ${attempt} started at ${new Date().toISOString()}`);
      const quote = await fetchQuote(config.flakyUrl, job.data.symbol, config.requestTimeoutMs);
      onAttempt({ ...base(job, attempt), outcome: "ok" });
      return quote;
    },
    {
      connection,
      concurrency: 1,
      settings: {
        // Called after a failed attempt that will be retried; attemptsMade counts it.
        backoffStrategy: (attemptsMade, _type, err, job) => {
          const delay = backoffDelay(
            attemptsMade,
            config.backoffBaseMs,
            config.backoffJitter,
            random,
          );
          onAttempt({
            ...base(job as Job<QuoteJob>, attemptsMade),
            outcome: "retry",
            error: err?.message,
            next_delay_ms: delay,
          });
          return delay;
        },
      },
    },
  );
  worker.on("failed", (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === "UnrecoverableError" ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) onAttempt({ ...base(job, job.attemptsMade), outcome: "failed", error: err.message });
  });
  worker.on("error", (err) => console.error(`worker: ${err.message}`));
  return {
    worker,
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}

if (import.meta.main) {
  try {
    const config = readConfig();
    console.error(
      `worker: queue ${config.queue}, ${config.attempts} attempts, backoff ${config.backoffBaseMs} ms × 2^n` +
        (config.backoffJitter ? `, jitter ${config.backoffJitter}` : "") +
        `, calling ${config.flakyUrl}`,
    );
    const running = startWorker(config, {
      onAttempt: (a) => {
        console.log(JSON.stringify(a));
        const what = a.outcome === "ok"
          ? "succeeded"
          : a.outcome === "retry"
          ? `failed: ${a.error}; next attempt in ${a.next_delay_ms} ms`
          : `failed for good: ${a.error}`;
        console.error(`worker: job ${a.job} (${a.symbol}) attempt ${a.attempt}/${a.of} ${what}`);
      },
    });
    const stop = async () => {
      await running.close();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch (err) {
    console.error(`worker: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
