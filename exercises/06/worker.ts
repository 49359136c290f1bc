/**
 * Exercise 06: a BullMQ worker that calls the flaky service, retried up to 3
 * times (4 attempts in all) with exponential backoff: 1 s, 2 s, 4 s by
 * default, each wait capped at `BACKOFF_MAX_MS`. A 5xx, a timeout, a network
 * error or a 2xx whose body is not a quote is retried; a 4xx cannot get
 * better by retrying, so it throws `UnrecoverableError` and the job fails at
 * once. `CONCURRENCY` calls run at once (they wait on the network). Every attempt is reported (stdout JSON line, and the job's own log in
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
import { shorten } from "../../infra/describe.ts";
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
 * The body of a 2xx answer as the quote for `symbol`, or an `Error` saying
 * what came instead: an HTML page, an empty body, `null`, another symbol's
 * quote is a failed call, not a result.
 *
 * @example
 * ```ts
 * parseQuote(200, '{"symbol":"INFY","price_paise":152035}', "INFY"); // { symbol: "INFY", price_paise: 152035 }
 * parseQuote(204, "", "INFY"); // throws Error: HTTP 204: not a quote for INFY: the body is empty
 * ```
 */
export function parseQuote(status: number, body: string, symbol: string): Quote {
  const fail = (why: string) => new Error(`HTTP ${status}: not a quote for ${symbol}: ${why}`);
  if (body.trim() === "") throw fail("the body is empty");
  // 80 code points: a reason stays small whatever the upstream sent, and never ends in half an emoji.
  const shown = JSON.stringify(shorten(body, 80));
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw fail(`the body is not JSON: ${shown}`);
  }
  const quote = value as Partial<Quote> | null;
  if (
    typeof quote !== "object" || quote === null || quote.symbol !== symbol ||
    !Number.isSafeInteger(quote.price_paise) || quote.price_paise! <= 0
  ) {
    throw fail(`the body is not {"symbol":"${symbol}","price_paise":<positive integer>}: ${shown}`);
  }
  return { symbol, price_paise: quote.price_paise! };
}

/**
 * Calls the service once. Throws a plain `Error` for what may pass (5xx, 429,
 * timeouts, network errors, a 2xx whose body is not a quote) and
 * `UnrecoverableError` for what will not (other 4xx).
 */
export async function fetchQuote(
  baseUrl: string,
  symbol: string,
  timeoutMs: number,
): Promise<Quote> {
  let response: Response;
  let body: string;
  try {
    response = await fetch(`${baseUrl}/quotes/${encodeURIComponent(symbol)}`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await response.text();
  } catch (err) {
    throw new Error(`request failed: ${(err as Error).message}`);
  }
  if (response.ok) return parseQuote(response.status, body, symbol);
  let reason = response.statusText;
  try {
    reason = JSON.parse(body).error ?? reason;
  } catch {
    // Not a JSON error body: the status text says enough.
  }
  const message = `HTTP ${response.status}: ${reason}`;
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
      // The call waits on the network: with one at a time, a backlog delays every retry behind it.
      concurrency: config.concurrency,
      // With concurrency > 1, a retry that comes due while another fetch blocks waits out that
      // block, BullMQ's drainDelay, 5 s by default (bullmq#1627, measured here: 5.0–5.1 s late).
      // An idle worker now asks Redis every 100 ms instead, and a retry starts at most that late.
      drainDelay: 0.1,
      settings: {
        // Called after a failed attempt that will be retried; attemptsMade counts it. A
        // strategy of our own rather than BullMQ's 'exponential', which has no cap (6.7), and
        // so that every retry is reported with its wait.
        backoffStrategy: (attemptsMade, _type, err, job) => {
          const delay = backoffDelay(attemptsMade, {
            baseMs: config.backoffBaseMs,
            maxMs: config.backoffMaxMs,
            jitter: config.backoffJitter,
            random,
          });
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
      `worker: queue ${config.queue}, ${config.attempts} attempts, backoff ${config.backoffBaseMs} ms × 2^n ` +
        `up to ${config.backoffMaxMs} ms` +
        (config.backoffJitter ? `, jitter ${config.backoffJitter}` : "") +
        `, ${config.concurrency} calls at once to ${config.flakyUrl}`,
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
