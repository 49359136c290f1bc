import assert from "node:assert/strict";
import { readConfig } from "./config.ts";
import { checkTask, desiredWorkers } from "./task.ts";
import { barChart } from "./tasks_queue.ts";

const limits = { min: 1, max: 4, jobsPerWorker: 10, idleTicks: 3 };

Deno.test("desiredWorkers() grows with the backlog, within max", () => {
  assert.equal(desiredWorkers({ waiting: 5, active: 0, current: 1, idleFor: 0 }, limits), 1);
  assert.equal(desiredWorkers({ waiting: 25, active: 0, current: 1, idleFor: 0 }, limits), 3);
  assert.equal(desiredWorkers({ waiting: 500, active: 0, current: 2, idleFor: 0 }, limits), 4);
});

Deno.test("desiredWorkers() never shrinks while work waits, and shrinks one at a time when idle", () => {
  assert.equal(desiredWorkers({ waiting: 1, active: 0, current: 4, idleFor: 0 }, limits), 4);
  assert.equal(desiredWorkers({ waiting: 0, active: 0, current: 4, idleFor: 2 }, limits), 4);
  assert.equal(desiredWorkers({ waiting: 0, active: 0, current: 4, idleFor: 3 }, limits), 3);
  assert.equal(
    desiredWorkers({ waiting: 0, active: 0, current: 1, idleFor: 9 }, limits),
    1,
    "not below min",
  );
  assert.equal(
    desiredWorkers({ waiting: 0, active: 0, current: 0, idleFor: 0 }, limits),
    1,
    "up to min",
  );
});

Deno.test("desiredWorkers() counts active tasks as backlog when no worker is left to recover them", () => {
  const none = { ...limits, min: 0 };
  assert.equal(desiredWorkers({ waiting: 0, active: 1, current: 0, idleFor: 0 }, none), 1);
  assert.equal(desiredWorkers({ waiting: 0, active: 25, current: 0, idleFor: 0 }, none), 3);
  assert.equal(
    desiredWorkers({ waiting: 0, active: 3, current: 1, idleFor: 0 }, none),
    1,
    "a live worker runs them, or recovers them",
  );
});

Deno.test("checkTask() names what is wrong", () => {
  assert.deepEqual(checkTask({ kind: "cpu", ms: 5 }), { kind: "cpu", ms: 5 });
  assert.throws(
    () => checkTask({ kind: "nap", ms: 5 }),
    /kind must be "sleep", "cpu" or "noop": got string "nap"/,
  );
  assert.throws(
    () => checkTask({ kind: "sleep", ms: -1 }),
    /ms must be an integer from 0 to 600000: got number -1/,
  );
  assert.throws(() => checkTask(null), /kind must be/);
});

Deno.test("checkTask() shows a bad value by its type, and at most 60 characters of it", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ kind: "sleep", ms: "5" }, 'ms must be an integer from 0 to 600000: got string "5"'],
    [{ kind: "sleep" }, "ms must be an integer from 0 to 600000: got undefined"],
    [{ kind: "x".repeat(5_000_000) }, `got string "${"x".repeat(60)}…" (5000000 characters)`],
    [{ kind: "noop", ms: Array(1_000_000).fill(1) }, "got an array"],
    [{ kind: { sleep: 1 } }, 'kind must be "sleep", "cpu" or "noop": got an object'],
  ];
  for (const [data, message] of cases) {
    assert.throws(
      () => checkTask(data),
      (err: Error) => err.name === "TypeError" && err.message.endsWith(message),
      message,
    );
  }
});

Deno.test("barChart() draws a bar per worker, scaled to the busiest", () => {
  assert.equal(
    barChart([["a:1:w1", 30], ["a:2:w2", 15]], 10),
    ["worker  tasks", "a:1:w1     30  ██████████", "a:2:w2     15  █████"].join("\n"),
  );
});

Deno.test("readConfig() checks the autoscale bounds", () => {
  assert.equal(readConfig({}).maxWorkers, 4);
  assert.equal(readConfig({}).maxStalledCount, 1);
  assert.throws(
    () => readConfig({ MIN_WORKERS: "5", MAX_WORKERS: "2" }),
    /'MIN_WORKERS' as it is above MAX_WORKERS \(2\)/,
  );
});

Deno.test("readConfig() rejects every bad numeric setting, naming it and its value", () => {
  const ranges: [string, number, number][] = [
    ["CONCURRENCY", 1, 1000],
    ["LOCK_DURATION_MS", 1000, 600_000],
    ["STALLED_INTERVAL_MS", 500, 600_000],
    ["MAX_STALLED_COUNT", 0, 100],
    ["MIN_WORKERS", 0, 64],
    ["MAX_WORKERS", 1, 64],
    ["JOBS_PER_WORKER", 1, 100_000],
    ["TICK_MS", 50, 600_000],
    ["IDLE_TICKS", 1, 10_000],
  ];
  for (const [name, min, max] of ranges) {
    const bad = ["2.5", "-1", "NaN", "", " ", "abc", "1e3", "0x10", "+5", `${max + 1}`];
    if (min > 0) bad.push(`${min - 1}`);
    for (const value of bad) {
      assert.throws(
        () => readConfig({ [name]: value }),
        new RangeError(
          `Cannot use '${name}' as it is not an integer from ${min} to ${max}: current value is ${
            JSON.stringify(value)
          }`,
        ),
      );
    }
  }
  assert.equal(readConfig({ MAX_STALLED_COUNT: "0" }).maxStalledCount, 0);
});
