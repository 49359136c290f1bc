/**
 * Exercise 05 against the real Redis: chain and chord as BullMQ flows, checked
 * against an independent primality test, and a failing child failing its parent.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { env } from "../../infra/env.ts";
import { startScript } from "../../infra/script.ts";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { type Config, readConfig } from "./config.ts";
import { type FlowOutcome, parseFlowArgs, runFlow } from "./flow.ts";
import type { GenerateSpec } from "./numbers.ts";
import { sieve } from "./_sieve.ts";
import { startWorker } from "./tasks.ts";

/** A worker (4 jobs at once, or `concurrency`) on a queue of its own: `fn` runs flows on it; the queue is removed after. */
async function withWorker<T>(
  vars: Record<string, string>,
  fn: (config: Config, worker: ReturnType<typeof startWorker>) => Promise<T>,
  concurrency: number | undefined = 4,
): Promise<T> {
  await requireService("redis");
  const config = readConfig({
    REDIS_URL: env("REDIS_URL"),
    QUEUE_NAME: uniqueName("test-primes"),
    ...vars,
  });
  const worker = startWorker(config, concurrency);
  try {
    return await fn(config, worker);
  } finally {
    await worker.close();
    await removeQueue(config);
  }
}

async function removeQueue(config: Config): Promise<void> {
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(config.queue, { connection });
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
}

function flowOn(specs: GenerateSpec[]): Promise<FlowOutcome> {
  return withWorker({}, (config) => runFlow(config.redisUrl, config.queue, specs, 30_000));
}

/** The primes among all the children's numbers, by the sieve. */
function expectedPrimes(outcome: FlowOutcome, max: number): number[] {
  const primes = sieve(max);
  const all = outcome.children.flatMap((c) => c.numbers ?? []);
  return [...new Set(all.filter((n) => primes.has(n)))].sort((a, b) => a - b);
}

Deno.test("runFlow() chain: generate, then primes of what it generated", async () => {
  const outcome = await flowOn([{ count: 2000, max: 100_000, seed: 1 }]);
  assert.equal(outcome.state, "completed");
  assert.equal(outcome.children.length, 1);
  assert.equal(outcome.children[0].numbers?.length, 2000);
  assert.equal(outcome.result?.numbers, 2000);
  assert.deepEqual(outcome.result?.primes, expectedPrimes(outcome, 100_000));
  assert.ok(outcome.result!.primes.length > 100, "a useful number of primes");
  assert.ok(
    outcome.parentStartedAt >= outcome.children[0].finishedAt,
    "the parent ran after its child",
  );
});

Deno.test("runFlow() chord: four generates in parallel, then one primes over all of them", async () => {
  const specs = [1, 2, 3, 4].map((seed) => ({ count: 1000, max: 50_000, seed }));
  const outcome = await flowOn(specs);
  assert.equal(outcome.state, "completed");
  assert.deepEqual(outcome.children.map((c) => [c.state, c.numbers?.length]), [
    ["completed", 1000],
    ["completed", 1000],
    ["completed", 1000],
    ["completed", 1000],
  ]);
  assert.equal(outcome.result?.numbers, 4000);
  assert.deepEqual(outcome.result?.primes, expectedPrimes(outcome, 50_000));
  const lastChild = Math.max(...outcome.children.map((c) => c.finishedAt));
  assert.ok(outcome.parentStartedAt >= lastChild, "the parent ran after all its children");
});

Deno.test("runFlow() a failing child fails its parent with the reason, instead of leaving it waiting", async () => {
  const outcome = await flowOn([
    { count: 100, max: 1000, seed: 1 },
    { count: 0, max: 1000, seed: 2 },
  ]);
  assert.equal(outcome.state, "failed");
  assert.match(outcome.reason!, /^child .* failed$/);
  const failed = outcome.children.filter((c) => c.state === "failed");
  assert.equal(failed.length, 1);
  assert.equal(
    failed[0].reason,
    "generate: count must be an integer from 1 to 1000000: got number 0",
  );
  assert.ok(outcome.reason!.includes(failed[0].id), "the parent's reason names the failed child");
});

Deno.test("runFlow() a primes job longer than its lock completes, and runs exactly once", async () => {
  // Three children of 1,000,000 numbers up to 2^31 - 1: the search takes about 5 s, the lock 2 s
  // (1 s would do for the search, but a child's 10 MB result can hold a loaded machine's thread
  // that long: seen once).
  const specs = [1, 2, 3].map((seed) => ({ count: 1_000_000, max: 2 ** 31 - 1, seed }));
  await withWorker({ LOCK_DURATION_MS: "2000" }, async (config, { worker }) => {
    const started: string[] = [];
    const problems: string[] = [];
    worker.on("active", (job) => started.push(job.name));
    worker.on("stalled", (id) => problems.push(`stalled: ${id}`));
    worker.on("error", (err) => problems.push(`error: ${err.message}`));
    const outcome = await runFlow(config.redisUrl, config.queue, specs, 60_000);
    assert.equal(outcome.state, "completed", `state ${outcome.state}; ${problems.join("; ")}`);
    assert.equal(outcome.result?.numbers, 3_000_000);
    assert.ok(outcome.result!.primes.length > 100_000, "a useful number of primes");
    assert.deepEqual(started.filter((name) => name === "primes"), ["primes"], "started once");
    assert.deepEqual(problems, [], "no lost lock, no stall");
  });
});

Deno.test("startWorker() runs more jobs at once than cores, and the primes searches on at most one thread per core", async () => {
  // Starting a thread per job cost ~30 ms of the worker's thread each: more than a small chain.
  // A job mostly waits on Redis: CONCURRENCY (default 8) jobs overlap their round trips.
  const specs = Array.from({ length: 12 }, (_, seed) => [{ count: 500, max: 10_000, seed }]);
  await withWorker({}, async (config, { worker, threads }) => {
    assert.equal(config.concurrency, 8);
    let running = 0;
    let most = 0;
    worker.on("active", () => most = Math.max(most, ++running));
    worker.on("completed", () => running--);
    const outcomes = await Promise.all(
      specs.map((spec) => runFlow(config.redisUrl, config.queue, spec, 30_000)),
    );
    for (const outcome of outcomes) {
      assert.equal(outcome.state, "completed");
      assert.deepEqual(outcome.result?.primes, expectedPrimes(outcome, 10_000));
    }
    assert.ok(most > 2, `at most ${most} jobs ran at once`);
    const cores = navigator.hardwareConcurrency;
    assert.ok(threads.started >= 1 && threads.started <= cores, `${threads.started} threads`);
  }, undefined);
});

Deno.test("runFlow() says a flow still running when the wait runs out, with its id", async () => {
  await requireService("redis");
  const config = readConfig({ REDIS_URL: env("REDIS_URL"), QUEUE_NAME: uniqueName("test-primes") });
  try {
    // No worker: the flow cannot end within the wait.
    const outcome = await runFlow(
      config.redisUrl,
      config.queue,
      [{ count: 5, max: 9, seed: 1 }],
      300,
    );
    assert.equal(outcome.state, "running");
    assert.match(outcome.id, /\S/);
    assert.deepEqual(outcome.children.map((c) => c.state), ["waiting"]);
    assert.equal(outcome.reason, undefined);
  } finally {
    await removeQueue(config);
  }
});

Deno.test("flow.ts prints the flow's id and exits 3 when the wait runs out, the flow still running", async () => {
  await requireService("redis");
  const config = readConfig({ REDIS_URL: env("REDIS_URL"), QUEUE_NAME: uniqueName("test-primes") });
  try {
    const run = startScript("exercises/05/flow.ts", ["chain", "--timeout-ms", "300"], {
      REDIS_URL: config.redisUrl,
      QUEUE_NAME: config.queue,
    });
    const status = await run.status;
    assert.equal(status.code, 3, run.stderr.tail());
    const line = JSON.parse(run.stdout.lines.at(-1)!);
    assert.equal(line.state, "running");
    assert.ok(
      run.stderr.lines.some((l) =>
        l.startsWith(`flow: still running after 300 ms: flow ${line.id} on queue ${config.queue}`)
      ),
      run.stderr.tail(),
    );
  } finally {
    await removeQueue(config);
  }
});

Deno.test("parseFlowArgs() rejects every numeric option that is not an integer in range, naming it", () => {
  const bad: [string, string][] = [
    ["--parts", "2.5"],
    ["--parts", "-1"],
    ["--parts", "0"],
    ["--parts", "33"],
    ["--parts", "NaN"],
    ["--parts", ""],
    ["--parts", "1e1"],
    ["--count", "0"],
    ["--count", "1000001"],
    ["--count", " "],
    ["--max", "1"],
    ["--max", "2147483648"],
    ["--max", "0x10"],
    ["--seed", "-5"],
    ["--seed", "1.5"],
    ["--timeout-ms", "0"],
    ["--timeout-ms", "abc"],
  ];
  for (const [option, value] of bad) {
    assert.throws(
      () => parseFlowArgs(["chord", option, value]),
      (err: Error) =>
        err instanceof RangeError &&
        err.message.startsWith(`Cannot use '${option}' as it is not an integer from `) &&
        err.message.endsWith(`current value is ${JSON.stringify(value)}`),
      `${option} ${JSON.stringify(value)}`,
    );
  }
  assert.throws(() => parseFlowArgs(["chain", "--parts", "2"]), /'--parts' with a chain/);
  assert.throws(() => parseFlowArgs(["star"]), /Cannot run "star" as it is not chain or chord/);
  const args = parseFlowArgs(["chord", "--parts", "32", "--count", "1000000", "--seed", "7"]);
  assert.equal(args.specs.length, 32);
  assert.deepEqual(args.specs[31], { count: 1_000_000, max: 100_000, seed: 38 });
  assert.equal(args.timeoutMs, 60_000);
});
