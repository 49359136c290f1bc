import assert from "node:assert/strict";
import { readConfig } from "./config.ts";
import { checkTask, desiredWorkers } from "./task.ts";
import { barChart } from "./tasks_queue.ts";

const limits = { min: 1, max: 4, jobsPerWorker: 10, idleTicks: 3 };

Deno.test("desiredWorkers() grows with the backlog, within max", () => {
  assert.equal(desiredWorkers({ waiting: 5, current: 1, idleFor: 0 }, limits), 1);
  assert.equal(desiredWorkers({ waiting: 25, current: 1, idleFor: 0 }, limits), 3);
  assert.equal(desiredWorkers({ waiting: 500, current: 2, idleFor: 0 }, limits), 4);
});

Deno.test("desiredWorkers() never shrinks while work waits, and shrinks one at a time when idle", () => {
  assert.equal(desiredWorkers({ waiting: 1, current: 4, idleFor: 0 }, limits), 4);
  assert.equal(desiredWorkers({ waiting: 0, current: 4, idleFor: 2 }, limits), 4);
  assert.equal(desiredWorkers({ waiting: 0, current: 4, idleFor: 3 }, limits), 3);
  assert.equal(desiredWorkers({ waiting: 0, current: 1, idleFor: 9 }, limits), 1, "not below min");
  assert.equal(desiredWorkers({ waiting: 0, current: 0, idleFor: 0 }, limits), 1, "up to min");
});

Deno.test("checkTask() names what is wrong", () => {
  assert.deepEqual(checkTask({ kind: "cpu", ms: 5 }), { kind: "cpu", ms: 5 });
  assert.throws(
    () => checkTask({ kind: "nap", ms: 5 }),
    /kind must be "sleep", "cpu" or "noop": got "nap"/,
  );
  assert.throws(
    () => checkTask({ kind: "sleep", ms: -1 }),
    /ms must be an integer from 0 to 600000: got -1/,
  );
  assert.throws(() => checkTask(null), /kind must be/);
});

Deno.test("barChart() draws a bar per worker, scaled to the busiest", () => {
  assert.equal(
    barChart([["a:1:w1", 30], ["a:2:w2", 15]], 10),
    ["worker  tasks", "a:1:w1     30  ██████████", "a:2:w2     15  █████"].join("\n"),
  );
});

Deno.test("readConfig() checks the autoscale bounds", () => {
  assert.equal(readConfig({}).maxWorkers, 4);
  assert.throws(
    () => readConfig({ MIN_WORKERS: "5", MAX_WORKERS: "2" }),
    /'MIN_WORKERS' as it is above MAX_WORKERS \(2\)/,
  );
  assert.throws(
    () => readConfig({ CONCURRENCY: "0" }),
    /'CONCURRENCY' as it is not an integer >= 1: current value is "0"/,
  );
});
