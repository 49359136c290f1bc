/**
 * Exercise 06 end to end, as `make demo` and `make ex06` run it: the flaky
 * service (50% failures, fixed seed), a worker process with the default
 * schedule (1 s, 2 s, 4 s), and 8 jobs, one of them for a symbol the service
 * does not know. The demo checks the attempts, the waits and the failure
 * reasons. Progress goes to stderr; the last stdout line is the summary.
 *
 * @module
 */
import { startScript } from "../../infra/script.ts";
import { readConfig } from "./config.ts";
import { enqueue, openQueue } from "./enqueue.ts";
import type { Attempt } from "./worker.ts";

const TOLERANCE_MS = 300;
const symbols = ["INFY", "TCS", "HDFCBANK", "RELIANCE", "WIPRO", "INFY", "TCS", "NOPE"];
const queueName = `demo-flaky-${Date.now()}`;

const service = startScript("exercises/06/flaky_service.ts", [], {
  FLAKY_PORT: "0",
  FLAKY_SEED: "13",
});
service.stderr.onLine = (line) => console.error(`  ${line}`);
await service.stderr.waitFor(
  (lines) => lines.some((l) => l.includes("http://")),
  20_000,
  "the flaky service",
);
const url = /http:\/\/[\d.:]+/.exec(service.stderr.lines.find((l) => l.includes("http://"))!)![0];
const env = { QUEUE_NAME: queueName, FLAKY_URL: url };
const worker = startScript("exercises/06/worker.ts", [], env);
worker.stderr.onLine = (line) => console.error(`  ${line}`);
await worker.stderr.waitFor(
  (lines) => lines.some((l) => l.startsWith("worker: queue")),
  20_000,
  "the worker",
);

const failures: string[] = [];
const config = readConfig(env);
let outcomes: Awaited<ReturnType<typeof enqueue>> = [];
try {
  console.error(
    `06: ${symbols.length} jobs on ${queueName}, ${config.attempts} attempts each, waits 1 s, 2 s, 4 s`,
  );
  outcomes = await enqueue(config, symbols);
  await new Promise((r) => setTimeout(r, 200));
} finally {
  await worker.stop();
  await service.stop();
  const { queue, close } = openQueue(config);
  await queue.obliterate({ force: true });
  await close();
}

const attempts: Attempt[] = worker.stdout.lines.map((line) => JSON.parse(line));
const waits: string[] = [];
for (const outcome of outcomes) {
  const mine = attempts.filter((a) => a.job === outcome.job).sort((a, b) => a.attempt - b.attempt);
  if (outcome.attempts > 4) failures.push(`job ${outcome.job} made ${outcome.attempts} attempts`);
  if (outcome.state === "failed" && !outcome.reason) {
    failures.push(`job ${outcome.job} failed without a reason`);
  }
  for (let i = 1; i < mine.length; i++) {
    const scheduled = mine[i - 1].next_delay_ms!;
    const waited = mine[i].started_at - mine[i - 1].started_at;
    waits.push(`${waited}/${scheduled}`);
    if (waited < scheduled || waited > scheduled + TOLERANCE_MS) {
      failures.push(
        `job ${outcome.job} attempt ${
          i + 1
        } started ${waited} ms after attempt ${i}, scheduled ${scheduled}`,
      );
    }
  }
}
const nope = outcomes.find((o) => o.symbol === "NOPE");
if (nope?.state !== "failed" || nope.attempts !== 1) {
  failures.push("the unknown symbol was retried");
}

for (const o of outcomes) {
  console.error(
    `06: job ${o.job} ${o.symbol}: ${o.state} after ${o.attempts} attempt(s)${
      o.reason ? `: ${o.reason}` : ""
    }`,
  );
}
if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
const completed = outcomes.filter((o) => o.state === "completed").length;
const exhausted = outcomes.filter((o) => o.state === "failed" && o.attempts === 4).length;
console.log(
  `${outcomes.length} jobs against a 50% flaky service: ${completed} completed, ${exhausted} failed after 4 attempts, ` +
    `the unknown symbol failed at once (HTTP 404, not retried); waits measured/scheduled (ms): ${
      waits.join(" ")
    }`,
);
