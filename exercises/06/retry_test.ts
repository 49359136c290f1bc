/**
 * Exercise 06 against the real Redis: BullMQ retries, their count and their
 * timing, with the flaky service running in the test on a seeded source.
 */
import assert from "node:assert/strict";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { seeded } from "./backoff.ts";
import { readConfig } from "./config.ts";
import { enqueue, openQueue } from "./enqueue.ts";
import { startFlakyService } from "./flaky_service.ts";
import { type Attempt, startWorker } from "./worker.ts";

/** Waits after a failure in these tests: 200, 400, 800 ms. */
const BASE_MS = 200;
/** How late an attempt may start after its scheduled wait: BullMQ's delayed-job promotion, plus a loaded CI box. */
const TOLERANCE_MS = 300;

async function withSetup(
  service: Parameters<typeof startFlakyService>[0],
  fn: (
    ctx: {
      config: ReturnType<typeof readConfig>;
      attempts: Attempt[];
      calls: { status: number; at: number }[];
    },
  ) => Promise<void>,
) {
  await requireService("redis");
  const flaky = startFlakyService(service);
  const config = readConfig({
    QUEUE_NAME: uniqueName("test-flaky"),
    FLAKY_URL: flaky.url,
    BACKOFF_BASE_MS: `${BASE_MS}`,
  });
  const attempts: Attempt[] = [];
  const worker = startWorker(config, { onAttempt: (a) => attempts.push(a) });
  try {
    await fn({ config, attempts, calls: flaky.calls });
  } finally {
    await worker.close();
    const { queue, close } = openQueue(config);
    await queue.obliterate({ force: true });
    await close();
    await flaky.close();
  }
}

Deno.test("worker ends an always-failing call failed after exactly 4 attempts, waiting 1×, 2×, 4× the base", async () => {
  await withSetup({ failureRate: 1, seed: 1 }, async ({ config, attempts, calls }) => {
    const [outcome] = await enqueue(config, ["INFY"]);
    assert.equal(outcome.state, "failed");
    assert.equal(outcome.attempts, 4);
    assert.equal(
      outcome.reason,
      "HTTP 503: upstream unavailable, try again",
      "the reason is kept on the failed job",
    );
    assert.equal(calls.length, 4, "the service saw 4 calls");
    assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome, a.next_delay_ms]), [
      [1, "retry", 200],
      [2, "retry", 400],
      [3, "retry", 800],
      [4, "failed", undefined],
    ]);
    // Measured at the service: the gaps between the calls follow the schedule.
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i].at);
    console.error(`waits between attempts: ${gaps.join(", ")} ms (scheduled 200, 400, 800)`);
    [200, 400, 800].forEach((expected, i) => {
      assert.ok(
        gaps[i] >= expected && gaps[i] <= expected + TOLERANCE_MS,
        `gap ${i + 1} was ${gaps[i]} ms, expected ${expected}–${
          expected + TOLERANCE_MS
        } ms (all: ${gaps})`,
      );
    });
    // The failed job stays in Redis with its reason and a log line per attempt.
    const { queue, close } = openQueue(config);
    try {
      const [failed] = await queue.getFailed();
      assert.equal(failed.failedReason, outcome.reason);
      const { logs } = await queue.getJobLogs(failed.id!);
      assert.equal(logs.filter((l) => l.startsWith("attempt ")).length, 4);
    } finally {
      await close();
    }
  });
});

Deno.test("worker with a seeded 50% source makes exactly the attempts the seed dictates", async () => {
  const seed = 20261125;
  await withSetup({ failureRate: 0.5, seed }, async ({ config, calls }) => {
    const symbols = ["INFY", "TCS", "HDFCBANK", "RELIANCE", "WIPRO", "INFY", "TCS", "WIPRO"];
    // One job at a time, so the service draws its random numbers in job order.
    const outcomes = await enqueue(config, symbols, true);

    // Replay the same source: each attempt draws once and fails below 0.5; at most 4 attempts.
    const random = seeded(seed);
    const expected = symbols.map(() => {
      for (let attempt = 1; attempt <= 4; attempt++) {
        if (random() >= 0.5) return { attempts: attempt, state: "completed" };
      }
      return { attempts: 4, state: "failed" };
    });
    assert.deepEqual(outcomes.map((o) => ({ attempts: o.attempts, state: o.state })), expected);
    assert.ok(expected.some((e) => e.attempts > 1), "the seed gives some retries");
    assert.equal(calls.length, expected.reduce((n, e) => n + e.attempts, 0));
  });
});

Deno.test("worker does not retry a permanent error", async () => {
  await withSetup({ failureRate: 0, seed: 1 }, async ({ config, attempts, calls }) => {
    const [outcome] = await enqueue(config, ["NOPE"]);
    assert.equal(outcome.state, "failed");
    assert.equal(outcome.attempts, 1);
    assert.equal(outcome.reason, "HTTP 404: unknown symbol NOPE");
    assert.equal(calls.length, 1);
    assert.deepEqual(attempts.map((a) => a.outcome), ["failed"]);
  });
});
