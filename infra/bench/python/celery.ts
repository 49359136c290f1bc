/**
 * Rows 05 and 10 of `make bench-python`: our BullMQ workers against Celery 5
 * workers with the Redis broker and result backend, on the same Redis, the
 * same sizes and seeds, in turn, medians of 3.
 *
 * - 05: FLOWS chains (generate → primes) and chords (4 × generate → primes)
 *   sent at once, flows/s from the first sent to the last result; ours is
 *   exercises/05/worker.ts (one process, 2 jobs at a time) fed by flows.ts,
 *   Celery a worker of 2 pool processes fed by celery_flows.py. Every run's
 *   results must equal Celery's, flow by flow.
 * - 10: N tasks over 2 worker processes, tasks/s from the first started to
 *   the last finished; ours exercises/10/worker.ts × 2 (its bench's run()),
 *   Celery a worker of 2 pool processes (celery_tasks.py). Every task done
 *   once, by both processes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Row } from "../measure.ts";
import { env } from "../../env.ts";
import { startScript } from "../../script.ts";
import { run as runOurTasks } from "../../../exercises/10/bench.ts";
import { deleteByPrefix, finish, inTurn, median, startCelery, startPython } from "./peers.ts";

const RUNS = 3;
const say = (line: string) => console.error(line);

/** What one flows run printed: its seconds and every flow's result. */
interface FlowsRun {
  seconds: number;
  results: { numbers: number; primes: number[] }[];
}

/** The flow sizes: flow.ts's defaults (1000 numbers up to 100000), seed 1. */
const SIZES = [
  { pattern: "chain", flows: 200, parts: 1 },
  { pattern: "chord", flows: 50, parts: 4 },
];
const COUNT = 1000;
const MAX = 100_000;
const SEED = 1;

/** 05: chains and chords, ours against Celery's. */
export async function benchFlows(): Promise<Row[]> {
  const stamp = Date.now();
  const queueName = `bench-py-05-${stamp}`;
  const prefix = `bench-py-celery-05-${stamp}:`;
  const ours = startScript("exercises/05/worker.ts", [], { QUEUE_NAME: queueName });
  const celery = await startCelery("celery_flows", 2, prefix);
  const rows: Row[] = [];
  try {
    await ours.stderr.waitFor((l) => l.some((x) => x.startsWith("worker: running")), 30_000);
    for (const { pattern, flows, parts } of SIZES) {
      const args = [pattern, `${flows}`, `${parts}`, `${COUNT}`, `${MAX}`, `${SEED}`];
      const runOurs = async (): Promise<FlowsRun> => {
        const lines = await finish(
          startScript("infra/bench/python/flows.ts", args, { QUEUE_NAME: queueName }),
          "flows.ts",
        );
        return JSON.parse(lines.at(-1)!);
      };
      const runCelery = async (): Promise<FlowsRun> => {
        const lines = await finish(
          await startPython(["celery_flows.py", ...args], { CELERY_PREFIX: prefix }),
          "celery_flows.py",
        );
        return JSON.parse(lines.at(-1)!);
      };
      // A first run of each, untimed: warms both up, and shows the outputs equal.
      const runs = await inTurn(RUNS + 1, runOurs, runCelery);
      for (let i = 0; i <= RUNS; i++) {
        assert.deepEqual(
          runs.ours[i].results,
          runs.theirs[i].results,
          `${pattern}: results differ`,
        );
      }
      const rate = (r: FlowsRun[]) => median(r.slice(1).map((x) => flows / x.seconds));
      const [oursRate, celeryRate] = [rate(runs.ours), rate(runs.theirs)];
      const primes = runs.ours[0].results.reduce((n, r) => n + r.primes.length, 0);
      say(
        `05 ${pattern}: ${flows} flows of ${parts} × ${COUNT} numbers (${primes} primes, equal): ` +
          `ours ${runs.ours.slice(1).map((r) => r.seconds.toFixed(2)).join(", ")} s, ` +
          `Celery ${runs.theirs.slice(1).map((r) => r.seconds.toFixed(2)).join(", ")} s`,
      );
      rows.push({
        exercise: "05",
        metric: pattern === "chain"
          ? `chain generate → primes, ${flows} at once`
          : `chord ${parts} × generate → primes, ${flows} at once`,
        unit: "flows/s",
        ours: oursRate,
        reference: celeryRate,
        referenceTool: "Celery 5 chain/chord, Redis",
        higherIsBetter: true,
      });
    }
  } finally {
    await ours.stop();
    await celery.stop();
    const connection = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
    await deleteByPrefix(prefix);
  }
  return rows;
}

/** 10's tasks: kind, ms, how many. */
const TASKS = [
  { kind: "noop", ms: 0, count: 2000 },
  { kind: "sleep", ms: 10, count: 400 },
] as const;
const WORKERS = 2;

/** 10: N tasks over 2 worker processes, ours against Celery's. */
export async function benchTasks(): Promise<Row[]> {
  const prefix = `bench-py-celery-10-${Date.now()}:`;
  const celery = await startCelery("celery_tasks", WORKERS, prefix);
  const rows: Row[] = [];
  try {
    for (const { kind, ms, count } of TASKS) {
      const runCelery = async () => {
        const lines = await finish(
          await startPython(["celery_tasks.py", kind, `${ms}`, `${count}`], {
            CELERY_PREFIX: prefix,
          }),
          "celery_tasks.py",
        );
        const out = JSON.parse(lines.at(-1)!);
        const workers = Object.keys(out.workers).length;
        if (out.tasks !== count || workers !== WORKERS) {
          throw new Error(`Celery: ${out.tasks} of ${count} tasks done, by ${workers} workers`);
        }
        return out.rate as number;
      };
      const runs = await inTurn(
        RUNS,
        () => runOurTasks(WORKERS, 1, { kind, ms }, count),
        runCelery,
      );
      say(
        `10 ${kind} ${ms} ms × ${count}, ${WORKERS} processes: ours ${
          runs.ours.join(", ")
        } tasks/s, ` +
          `Celery ${runs.theirs.join(", ")} tasks/s`,
      );
      rows.push({
        exercise: "10",
        metric: `${count} ${
          kind === "noop" ? "no-op" : `${ms} ms sleep`
        } tasks, ${WORKERS} processes`,
        unit: "tasks/s",
        ours: median(runs.ours),
        reference: median(runs.theirs),
        referenceTool: "Celery 5 prefork -c 2, Redis",
        higherIsBetter: true,
      });
    }
  } finally {
    await celery.stop();
    await deleteByPrefix(prefix);
  }
  return rows;
}
