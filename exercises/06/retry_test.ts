/**
 * Exercise 06 against the real Redis: BullMQ retries, their count and their
 * timing, with the flaky service running in the test on a seeded source.
 */
import assert from "node:assert/strict";
import { seededRandom } from "../../infra/random.ts";
import { startScript } from "../../infra/script.ts";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { readConfig } from "./config.ts";
import { enqueue, openQueue } from "./enqueue.ts";
import { type FlakyService, startFlakyService } from "./flaky_service.ts";
import { type Attempt, fetchQuote, parseQuote, startWorker } from "./worker.ts";

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
      flaky: FlakyService;
    },
  ) => Promise<void>,
  vars: Record<string, string> = {},
) {
  await requireService("redis");
  const flaky = startFlakyService(service);
  const config = readConfig({
    QUEUE_NAME: uniqueName("test-flaky"),
    FLAKY_URL: flaky.url,
    BACKOFF_BASE_MS: `${BASE_MS}`,
    ...vars,
  });
  const attempts: Attempt[] = [];
  const worker = startWorker(config, { onAttempt: (a) => attempts.push(a) });
  try {
    await fn({ config, attempts, calls: flaky.calls, flaky });
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
    const random = seededRandom(seed);
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

/** 2xx answers that are not a quote for INFY, as an upstream behind a broken proxy sends them. */
const NOT_QUOTES: { status: number; body: string | null; type?: string; reason: RegExp }[] = [
  {
    status: 200,
    body: "<html><body>Maintenance</body></html>",
    type: "text/html",
    reason: /not JSON/,
  },
  { status: 200, body: "", reason: /the body is empty/ },
  { status: 200, body: "null", reason: /is not \{"symbol":"INFY"/ },
  { status: 204, body: null, reason: /^HTTP 204: not a quote for INFY: the body is empty$/ },
  {
    status: 200,
    body: '{"symbol":"TCS","price_paise":398210}',
    reason: /not \{"symbol":"INFY".*TCS/,
  },
  {
    status: 200,
    body: '{"symbol":"INFY","price_paise":"152035"}',
    reason: /not \{"symbol":"INFY".*152035/,
  },
  { status: 201, body: '{"symbol":"INFY","price_paise":-1}', reason: /^HTTP 201: .*-1/ },
];

/** An upstream that answers the `answers` in turn, then a good quote. */
function scriptedUpstream(answers: typeof NOT_QUOTES) {
  let served = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    const answer = answers[served++];
    if (!answer) return Response.json({ symbol: "INFY", price_paise: 152_035 });
    return new Response(answer.body, {
      status: answer.status,
      headers: { "content-type": answer.type ?? "application/json" },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, served: () => served, server };
}

Deno.test("fetchQuote() fails, as a call worth retrying, on a 2xx whose body is not a quote", async () => {
  const upstream = scriptedUpstream(NOT_QUOTES);
  try {
    for (const answer of NOT_QUOTES) {
      await assert.rejects(
        () => fetchQuote(upstream.url, "INFY", 2000),
        (err: Error) => err.name === "Error" && answer.reason.test(err.message),
        `${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    assert.deepEqual(await fetchQuote(upstream.url, "INFY", 2000), {
      symbol: "INFY",
      price_paise: 152_035,
    });
  } finally {
    await upstream.server.shutdown();
  }
});

Deno.test("parseQuote() quotes at most 80 characters of a bad body, never half a surrogate pair", () => {
  const reason = (body: string) => {
    try {
      parseQuote(200, body, "INFY");
    } catch (err) {
      return (err as Error).message;
    }
    assert.fail(`parsed ${JSON.stringify(body)}`);
  };
  // Every cut point: text or JSON of the wrong shape, one or two code units before the emoji.
  for (let n = 0; n < 4; n++) {
    for (const body of ["a".repeat(n) + "😀".repeat(100), `{"symbol":"${"é😀".repeat(60)}"}`]) {
      const shown = JSON.parse(reason(body).match(/: ("(?:[^"\\]|\\.)*")$/)![1]);
      assert.ok(shown.isWellFormed(), shown);
      assert.equal([...shown].length, 81, shown);
      assert.ok(shown.endsWith("…"), shown);
      assert.ok(body.startsWith(shown.slice(0, -1)), shown);
    }
  }
  assert.match(reason("😀".repeat(80)), new RegExp(`"${"😀".repeat(80)}"$`), "80 are shown whole");
  assert.ok(reason("<p>".repeat(1_000_000)).length < 200, "a megabyte body is cut");
});

Deno.test("worker retries a 2xx answer that is not a quote, and keeps its reason when it fails", async () => {
  await requireService("redis");
  const upstream = scriptedUpstream(NOT_QUOTES.slice(0, 4));
  const config = readConfig({
    QUEUE_NAME: uniqueName("test-flaky"),
    FLAKY_URL: upstream.url,
    BACKOFF_BASE_MS: "20",
    ATTEMPTS: "5",
  });
  const attempts: Attempt[] = [];
  const worker = startWorker(config, { onAttempt: (a) => attempts.push(a) });
  try {
    // HTML, empty, null, 204, then a quote: the fifth attempt completes the job.
    const [good] = await enqueue(config, ["INFY"]);
    assert.equal(good.state, "completed");
    assert.equal(good.attempts, 5);
    assert.deepEqual(good.result, { symbol: "INFY", price_paise: 152_035 });
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      ["retry", "retry", "retry", "retry", "ok"],
    );
    NOT_QUOTES.slice(0, 4).forEach((answer, i) => assert.match(attempts[i].error!, answer.reason));
  } finally {
    await worker.close();
    const { queue, close } = openQueue(config);
    await queue.obliterate({ force: true });
    await close();
    await upstream.server.shutdown();
  }
  // Always the HTML page: the job fails after every attempt, with the reason kept.
  const html = scriptedUpstream(Array(5).fill(NOT_QUOTES[0]));
  const failing = readConfig({
    QUEUE_NAME: uniqueName("test-flaky"),
    FLAKY_URL: html.url,
    BACKOFF_BASE_MS: "20",
    ATTEMPTS: "3",
  });
  const again = startWorker(failing, { onAttempt: () => {} });
  try {
    const [bad] = await enqueue(failing, ["INFY"]);
    assert.equal(bad.state, "failed");
    assert.equal(bad.attempts, 3);
    assert.equal(
      bad.reason,
      'HTTP 200: not a quote for INFY: the body is not JSON: "<html><body>Maintenance</body></html>"',
    );
  } finally {
    await again.close();
    const { queue, close } = openQueue(failing);
    await queue.obliterate({ force: true });
    await close();
    await html.server.shutdown();
  }
});

Deno.test("worker runs CONCURRENCY calls at once", async () => {
  await withSetup({ failureRate: 0, seed: 1, latencyMs: 300 }, async ({ config, flaky }) => {
    const outcomes = await enqueue(config, Array(8).fill("INFY"));
    assert.ok(outcomes.every((o) => o.state === "completed"));
    assert.equal(flaky.maxInFlight, 4, "four calls waited on the upstream together");
  }, { CONCURRENCY: "4" });
});

Deno.test("worker caps every wait at BACKOFF_MAX_MS", async () => {
  await withSetup({ failureRate: 1, seed: 1 }, async ({ config, attempts, calls }) => {
    const [outcome] = await enqueue(config, ["INFY"]);
    assert.equal(outcome.state, "failed");
    assert.deepEqual(attempts.map((a) => a.next_delay_ms), [100, 200, 250, 250, undefined]);
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i].at);
    [100, 200, 250, 250].forEach((expected, i) => {
      assert.ok(
        gaps[i] >= expected && gaps[i] <= expected + TOLERANCE_MS,
        `gap ${i + 1} was ${gaps[i]} ms, expected ${expected}–${expected + TOLERANCE_MS} ms`,
      );
    });
  }, { ATTEMPTS: "5", BACKOFF_BASE_MS: "100", BACKOFF_MAX_MS: "250" });
});

Deno.test("enqueue.ts waits for 12 jobs without a MaxListenersExceededWarning", async () => {
  await withSetup({ failureRate: 0, seed: 1 }, async ({ config }) => {
    const symbols = ["INFY", "TCS", "HDFCBANK", "RELIANCE", "WIPRO", "INFY"];
    const run = startScript("exercises/06/enqueue.ts", [...symbols, ...symbols], {
      REDIS_URL: config.redisUrl,
      QUEUE_NAME: config.queue,
    });
    const status = await run.status;
    assert.equal(status.code, 0, run.stderr.tail());
    assert.equal(run.stdout.lines.filter((l) => l.includes('"completed"')).length, 12);
    assert.deepEqual(run.stderr.lines.filter((l) => l.trim() !== ""), [], "nothing on stderr");
  });
});
