/**
 * Exercise 05 against the real Redis: chain and chord as BullMQ flows, checked
 * against an independent primality test, and a failing child failing its parent.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { env } from "../../infra/env.ts";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { type FlowOutcome, runFlow } from "./flow.ts";
import type { GenerateSpec } from "./numbers.ts";
import { sieve } from "./_sieve.ts";
import { startWorker } from "./tasks.ts";

async function flowOn(specs: GenerateSpec[]): Promise<FlowOutcome> {
  await requireService("redis");
  const redisUrl = env("REDIS_URL");
  const queueName = uniqueName("test-primes");
  const worker = startWorker(redisUrl, queueName, 4);
  try {
    return await runFlow(redisUrl, queueName, specs, 30_000);
  } finally {
    await worker.close();
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
  }
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
  assert.equal(failed[0].reason, "generate: count must be an integer from 1 to 1000000: got 0");
  assert.ok(outcome.reason!.includes(failed[0].id), "the parent's reason names the failed child");
});
