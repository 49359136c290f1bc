/**
 * solution.ts copied alone into an empty folder and run there against the
 * real Redis: a chain and a chord run in order and return the primes a sieve
 * finds among what their children generated; a failed child fails its
 * parent. Also what the README says of removeOnComplete on children.
 */
import assert from "node:assert/strict";
import { FlowProducer, type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { copyAlone, type Script, startScript } from "../../infra/script.ts";
import { requireService, uniqueName, until } from "../../infra/testing.ts";
import { env } from "../../infra/env.ts";
import { sieve } from "./_sieve.ts";

/** A queue of its own, read through `queue`, obliterated after `fn`. */
async function withQueue(fn: (queue: Queue, name: string) => Promise<void>): Promise<void> {
  await requireService("redis");
  const name = uniqueName("test-solution-primes");
  const connection = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  try {
    await fn(queue, name);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
  }
}

/** solution.ts copied alone, with its worker running on `queue`. */
async function withSolution(
  queue: string,
  fn: (run: (args: string[]) => Promise<Script>) => Promise<void>,
): Promise<void> {
  const dir = await copyAlone(["exercises/05/solution.ts"]);
  const worker = startScript("solution.ts", ["worker"], { QUEUE_NAME: queue }, dir);
  try {
    await worker.stderr.waitFor((l) => l.some((x) => x.startsWith("worker: running")), 30_000);
    await fn(async (args) => {
      const run = startScript("solution.ts", args, { QUEUE_NAME: queue }, dir);
      await run.status;
      return run;
    });
  } finally {
    assert.equal((await worker.stop("SIGTERM")).code, 0, worker.stderr.tail());
    await Deno.remove(dir, { recursive: true });
  }
}

/** Checks a completed flow's line against Redis: order, and the primes by a sieve. */
async function checkCompleted(
  queue: Queue,
  run: Script,
  parts: number,
  count: number,
  max: number,
) {
  assert.equal((await run.status).code, 0, run.stderr.tail());
  const line = JSON.parse(run.stdout.lines[0]);
  assert.equal(line.state, "completed");
  assert.equal(line.children.length, parts);
  const parent = (await queue.getJob(line.id))!;
  const children = await Promise.all(line.children.map(async (c: { id: string }) => {
    return (await queue.getJob(c.id))! as Job<unknown, number[]>;
  }));
  const numbers = children.flatMap((c) => c.returnvalue);
  assert.equal(numbers.length, parts * count);
  assert.ok(numbers.every((n) => Number.isInteger(n) && n >= 2 && n <= max), "numbers in [2, max]");
  const primes = sieve(max);
  const expected = [...new Set(numbers.filter((n) => primes.has(n)))].sort((a, b) => a - b);
  assert.ok(expected.length > 50, "a useful number of primes");
  assert.deepEqual(parent.returnvalue, { numbers: parts * count, primes: expected });
  assert.equal(line.primes, expected.length);
  const lastChild = Math.max(...children.map((c) => c.finishedOn!));
  assert.ok(parent.processedOn! >= lastChild, "the parent ran after all its children");
}

Deno.test("solution.ts, copied alone, runs a chain and a chord in order, and their primes match a sieve", async () => {
  await withQueue(async (queue, name) => {
    await withSolution(name, async (run) => {
      await checkCompleted(queue, await run(["chain", "--count", "2000"]), 1, 2000, 100_000);
      const chord = await run(["chord", "--parts", "4", "--count", "1000", "--max", "50000"]);
      await checkCompleted(queue, chord, 4, 1000, 50_000);
    });
  });
});

Deno.test("solution.ts, copied alone, fails the parent visibly when a child fails, without retrying it", async () => {
  await withQueue(async (queue, name) => {
    await withSolution(name, async (run) => {
      const chord = await run(["chord", "--parts", "2", "--count", "0", "--timeout-ms", "20000"]);
      assert.equal((await chord.status).code, 1, chord.stderr.tail());
      const line = JSON.parse(chord.stdout.lines[0]);
      assert.equal(line.state, "failed", "failed, not left waiting for its children");
      assert.match(line.reason, new RegExp(`^child bull:${name}:\\S+ failed$`));
      for (const child of line.children) {
        assert.equal(child.state, "failed");
        assert.equal(child.reason, "generate: count must be an integer from 1 to 1000000: got 0");
        assert.equal((await queue.getJob(child.id))!.attemptsMade, 1, "bad input is not retried");
      }
      assert.ok(line.children.some((c: { id: string }) => line.reason.includes(c.id)));
    });
  });
});

Deno.test("Job.getChildrenValues() still reads a child's result after the child was removed on completion", async () => {
  // getChildrenValues() reads the parent's `processed` hash, which the child's result is copied
  // into when it completes; removeOnComplete deletes only the child's own hash.
  await withQueue(async (queue, name) => {
    const connections = [0, 1].map(() =>
      new Redis(env("REDIS_URL"), { maxRetriesPerRequest: null })
    );
    const worker = new Worker(name, async (job) => {
      return job.name === "child" ? [2, 3, 5] : await job.getChildrenValues();
    }, { connection: connections[0] });
    const producer = new FlowProducer({ connection: connections[1] });
    try {
      const tree = await producer.add({
        name: "parent",
        queueName: name,
        children: [{ name: "child", queueName: name, opts: { removeOnComplete: true } }],
      });
      const childKey = `bull:${name}:${tree.children![0].job.id}`;
      await until(() => tree.job.isCompleted(), 20_000, "the parent completed");
      const parent = (await queue.getJob(tree.job.id!))!;
      assert.equal(await queue.getJob(tree.children![0].job.id!), undefined, "the child is gone");
      assert.deepEqual(parent.returnvalue, { [childKey]: [2, 3, 5] });
    } finally {
      await worker.close();
      await producer.close();
      await Promise.all(connections.map((c) => c.quit()));
    }
  });
});
