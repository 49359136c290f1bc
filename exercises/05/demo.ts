/**
 * Exercise 05 end to end, as `make demo` and `make ex05` run it: a worker
 * process, then a chain and a chord of 4, each run by flow.ts as a user
 * would, the primes checked with a sieve; then a chord whose children fail in
 * the worker (added with runFlow(): flow.ts refuses a bad count up front).
 * Progress goes to stderr; the last stdout line is the summary.
 *
 * @module
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { env } from "../../infra/env.ts";
import { startScript } from "../../infra/script.ts";
import { sieve } from "./_sieve.ts";
import { runFlow } from "./flow.ts";
import { generateNumbers } from "./numbers.ts";

const queueName = `demo-primes-${Date.now()}`;
const redisUrl = env("REDIS_URL");
const failures: string[] = [];
const worker = startScript("exercises/05/worker.ts", [], { QUEUE_NAME: queueName });
worker.stderr.onLine = (line) => console.error(`  ${line}`);
await worker.stderr.waitFor(
  (l) => l.some((x) => x.startsWith("worker: running")),
  20_000,
  "the worker",
);

async function flow(args: string[]) {
  console.error(`05: flow.ts ${args.join(" ")}`);
  const run = startScript("exercises/05/flow.ts", args, { QUEUE_NAME: queueName });
  await run.status;
  const outcome = JSON.parse(run.stdout.lines.at(-1) ?? "{}");
  console.error(`  ${run.stdout.lines.at(-1)}`);
  return outcome;
}

/** The primes the flow should have found, from the same seeds, by a sieve. */
function check(
  name: string,
  outcome: { primes?: number },
  specs: { count: number; max: number; seed: number }[],
) {
  const primes = sieve(specs[0].max);
  const expected =
    new Set(specs.flatMap((s) => generateNumbers(s)).filter((n) => primes.has(n))).size;
  if (outcome.primes !== expected) {
    failures.push(`${name}: ${outcome.primes} primes, the sieve says ${expected}`);
  }
  return expected;
}

let chain, chord, broken;
try {
  chain = await flow(["chain", "--count", "5000", "--max", "1000000", "--seed", "1"]);
  check("chain", chain, [{ count: 5000, max: 1_000_000, seed: 1 }]);
  chord = await flow([
    "chord",
    "--parts",
    "4",
    "--count",
    "5000",
    "--max",
    "1000000",
    "--seed",
    "10",
  ]);
  check("chord", chord, [10, 11, 12, 13].map((seed) => ({ count: 5000, max: 1_000_000, seed })));
  console.error("05: runFlow() with 3 children of count 0");
  broken = await runFlow(
    redisUrl,
    queueName,
    [1, 2, 3].map((seed) => ({ count: 0, max: 9, seed })),
  );
  console.error(`  ${broken.state}: ${broken.reason}`);
  if (broken.state !== "failed") failures.push("the chord with broken children did not fail");
} finally {
  await worker.stop();
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
}

if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
console.log(
  `chain: ${chain.primes} primes among ${chain.numbers} numbers; chord of ${chord.children.length}: ` +
    `${chord.primes} primes among ${chord.numbers}; both match a sieve. A chord whose children fail ` +
    `failed its parent at once: "${broken.children[0].reason}"`,
);
