/**
 * Measures how late retries start under a backlog: `N` jobs at once against
 * the flaky service (50% failures, seed 13, `FLAKY_LATENCY_MS` per answer,
 * default 50), one worker with the settings from the environment. For every
 * retry, lateness is the time from its scheduled start (the failure, plus
 * the wait) to the moment the worker began it. Prints one JSON line.
 *
 * @example
 * ```sh
 * deno run -A exercises/06/lateness.ts 60                 # CONCURRENCY 50, the default
 * CONCURRENCY=1 deno run -A exercises/06/lateness.ts 60   # one call at a time
 * ```
 * @module
 */
import { readConfig, readFlakyConfig } from "./config.ts";
import { enqueue, openQueue } from "./enqueue.ts";
import { startFlakyService } from "./flaky_service.ts";
import { type Attempt, startWorker } from "./worker.ts";

const jobs = Number(Deno.args[0] ?? 60);
if (
  !Number.isSafeInteger(jobs) || jobs < 1 || jobs > 10_000 || !/^\d+$/.test(Deno.args[0] ?? "60")
) {
  console.error(
    `lateness: Cannot use N as it is not an integer from 1 to 10000: current value is "${
      Deno.args[0]
    }"`,
  );
  Deno.exit(2);
}
const { latencyMs } = readFlakyConfig({
  FLAKY_LATENCY_MS: Deno.env.get("FLAKY_LATENCY_MS") ?? "50",
});
const flaky = startFlakyService({ failureRate: 0.5, seed: 13, latencyMs });
const config = readConfig({
  ...Deno.env.toObject(),
  FLAKY_URL: flaky.url,
  QUEUE_NAME: `lateness-${Date.now()}`,
});
// When each retry was due: the failure's report time plus its wait.
const due = new Map<string, number>();
const late: { attempt: number; ms: number }[] = [];
const worker = startWorker(config, {
  onAttempt: (a: Attempt) => {
    const scheduled = due.get(`${a.job}/${a.attempt}`);
    if (scheduled !== undefined) late.push({ attempt: a.attempt, ms: a.started_at - scheduled });
    if (a.outcome === "retry") due.set(`${a.job}/${a.attempt + 1}`, Date.now() + a.next_delay_ms!);
  },
});
try {
  const symbols = Array.from(
    { length: jobs },
    (_, i) => ["INFY", "TCS", "HDFCBANK", "WIPRO"][i % 4],
  );
  await enqueue(config, symbols);
} finally {
  await worker.close();
  const { queue, close } = openQueue(config);
  await queue.obliterate({ force: true });
  await close();
  await flaky.close();
}
/** p50, p95 and max of the lateness of `retries`, in ms. */
function spread(retries: typeof late) {
  const ms = retries.map((r) => r.ms).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return { retries: ms.length, p50: at(0.5), p95: at(0.95), max: ms.at(-1) };
}
console.log(JSON.stringify({
  jobs,
  concurrency: config.concurrency,
  latency_ms: latencyMs,
  first_retry_late_ms: spread(late.filter((r) => r.attempt === 2)),
  all_retries_late_ms: spread(late),
}));
