/**
 * solution.ts copied alone into an empty folder and run there against the
 * real Redis and the project's flaky service (in the test, on a seeded
 * source): at most 4 attempts, waits of base, 2 × base, 4 × base; an
 * always-failing call ends failed with its reason kept; a 404 is not retried.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { env } from "../../infra/env.ts";
import { copyAlone, type Script, startScript } from "../../infra/script.ts";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { type FlakyService, startFlakyService } from "./flaky_service.ts";

/** How late an attempt may start after its wait: BullMQ's delayed-job promotion, a loaded box. */
const TOLERANCE_MS = 700;

/** The solution's worker on a queue of its own against a flaky service; `enqueue` runs it once. */
async function withSolution(
  service: { failureRate: number; seed: number },
  baseMs: number,
  fn: (ctx: {
    flaky: FlakyService;
    queue: Queue;
    enqueue: (symbols: string[]) => Promise<Script>;
  }) => Promise<void>,
): Promise<void> {
  await requireService("redis");
  const flaky = startFlakyService(service);
  const dir = await copyAlone(["exercises/06/solution.ts"]);
  const vars = {
    QUEUE_NAME: uniqueName("test-solution-flaky"),
    FLAKY_URL: flaky.url,
    BACKOFF_BASE_MS: String(baseMs),
  };
  const connection = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: null });
  const queue = new Queue(vars.QUEUE_NAME, { connection });
  const worker = startScript("solution.ts", ["worker"], vars, dir);
  try {
    await worker.stderr.waitFor((l) => l.some((x) => x.startsWith("worker: calling")), 30_000);
    await fn({
      flaky,
      queue,
      enqueue: async (symbols) => {
        const run = startScript("solution.ts", ["enqueue", ...symbols], vars, dir);
        assert.equal((await run.status).code, 0, run.stderr.tail());
        return run;
      },
    });
  } finally {
    assert.equal((await worker.stop("SIGTERM")).code, 0, worker.stderr.tail());
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
    await flaky.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("solution.ts, copied alone, fails an always-failing call after exactly 4 attempts, 1×, 2×, 4× the base apart, and a 404 at once", async () => {
  await withSolution({ failureRate: 1, seed: 1 }, 200, async ({ flaky, queue, enqueue }) => {
    const run = await enqueue(["INFY", "NOPE"]);
    const [infy, nope] = run.stdout.lines.map((l) => JSON.parse(l));
    assert.deepEqual(
      [infy.state, infy.attempts, infy.reason],
      ["failed", 4, "HTTP 503: upstream unavailable, try again"],
    );
    assert.deepEqual(
      [nope.state, nope.attempts, nope.reason],
      ["failed", 1, "HTTP 404: unknown symbol NOPE"],
    );
    const calls = flaky.calls.filter((c) => c.symbol === "INFY");
    assert.equal(calls.length, 4, "the service saw 4 calls for INFY");
    assert.equal(flaky.calls.filter((c) => c.symbol === "NOPE").length, 1, "404 not retried");
    // Measured at the service: the gaps between the calls follow the schedule.
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i].at);
    console.error(`waits between attempts: ${gaps.join(", ")} ms (scheduled 200, 400, 800)`);
    [200, 400, 800].forEach((expected, i) => {
      assert.ok(
        gaps[i] >= expected && gaps[i] <= expected + TOLERANCE_MS,
        `gap ${i + 1} was ${gaps[i]} ms, expected ${expected}–${expected + TOLERANCE_MS} (${gaps})`,
      );
    });
    // The failed job stays in Redis with its reason.
    assert.equal((await queue.getJob(infy.job))!.failedReason, infy.reason);
  });
});

Deno.test("solution.ts, copied alone, completes calls to a 50% flaky service within 4 attempts", async () => {
  await withSolution({ failureRate: 0.5, seed: 13 }, 20, async ({ flaky, enqueue }) => {
    const symbols = ["INFY", "TCS", "HDFCBANK", "RELIANCE", "WIPRO", "INFY", "TCS", "WIPRO"];
    const outcomes = (await enqueue(symbols)).stdout.lines.map((l) => JSON.parse(l));
    assert.deepEqual(outcomes.map((o) => o.symbol), symbols);
    for (const o of outcomes) {
      assert.ok(o.attempts >= 1 && o.attempts <= 4, `${o.symbol}: ${o.attempts} attempts`);
      if (o.state === "completed") assert.equal(o.result.symbol, o.symbol);
      else assert.deepEqual([o.state, o.attempts], ["failed", 4]);
    }
    assert.equal(flaky.calls.length, outcomes.reduce((n, o) => n + o.attempts, 0));
    assert.ok(flaky.calls.length > symbols.length, "some calls were retried");
  });
});
