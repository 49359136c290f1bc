/**
 * What a task is and how a worker runs it: pure functions, testable without
 * Redis.
 *
 * @module
 */
import { describe } from "../../infra/describe.ts";

/** A task: sleep (waiting on I/O), burn CPU (a fixed amount of work), or nothing. */
export interface Task {
  kind: "sleep" | "cpu" | "noop";
  /** How long, for sleep and cpu. */
  ms: number;
}

/** What a worker returns for a task: who ran it, and when. */
export interface Done {
  worker: string;
  started_at: number;
  finished_at: number;
}

/**
 * Checks a task's data, throwing a `TypeError` that names the problem and
 * shows the value as `describe()` does (type, and at most 60 characters: a
 * job's data can hold anything).
 *
 * @example
 * ```ts
 * checkTask({ kind: "sleep", ms: 100 }); // ok
 * checkTask({ kind: "nap", ms: 100 }); // throws
 * ```
 */
export function checkTask(data: unknown): Task {
  const { kind, ms } = (data ?? {}) as Record<string, unknown>;
  if (kind !== "sleep" && kind !== "cpu" && kind !== "noop") {
    throw new TypeError(`kind must be "sleep", "cpu" or "noop": got ${describe(kind)}`);
  }
  if (!Number.isSafeInteger(ms) || (ms as number) < 0 || (ms as number) > 600_000) {
    throw new TypeError(`ms must be an integer from 0 to 600000: got ${describe(ms)}`);
  }
  return { kind, ms: ms as number };
}

/**
 * Loop iterations a "cpu" task runs per millisecond asked for: about 1 ms of
 * one core on our build machine (measured: 226,000 to 228,000 per ms). The work
 * is a fixed count, not a clock, so a task sharing a core takes longer, as real
 * CPU-bound work does.
 */
export const CPU_ITERATIONS_PER_MS = 225_000;

/** Runs the task. */
export async function runTask(task: Task): Promise<void> {
  if (task.kind === "sleep") await new Promise((r) => setTimeout(r, task.ms));
  else if (task.kind === "cpu") {
    let x = 0;
    for (let i = task.ms * CPU_ITERATIONS_PER_MS; i > 0; i--) x = (x * 31 + 7) % 1_000_003;
    if (x < 0) throw new Error("unreachable: keeps the loop from being optimised away");
  }
}

/**
 * How many workers the supervisor wants: enough for the backlog at
 * `jobsPerWorker` each, within [min, max]. It never stops a busy worker: it
 * only goes down by one, and only after `idleTicks` ticks with nothing waiting.
 * With no worker left, active tasks count as backlog: their worker died, and
 * only a running worker's stalled-job check puts them back on the queue.
 *
 * @example
 * ```ts
 * const limits = { min: 0, max: 4, jobsPerWorker: 10, idleTicks: 4 };
 * desiredWorkers({ waiting: 95, active: 0, current: 1, idleFor: 0 }, limits); // 4
 * desiredWorkers({ waiting: 0, active: 0, current: 3, idleFor: 4 }, limits); // 2
 * desiredWorkers({ waiting: 0, active: 1, current: 0, idleFor: 0 }, limits); // 1: an orphaned task
 * ```
 */
export function desiredWorkers(
  state: { waiting: number; active: number; current: number; idleFor: number },
  limits: { min: number; max: number; jobsPerWorker: number; idleTicks: number },
): number {
  const clamp = (n: number) => Math.min(limits.max, Math.max(limits.min, n));
  const backlog = state.waiting + (state.current === 0 ? state.active : 0);
  if (backlog > 0) {
    return clamp(Math.max(state.current, Math.ceil(backlog / limits.jobsPerWorker)));
  }
  if (state.idleFor >= limits.idleTicks) return clamp(state.current - 1);
  return clamp(state.current);
}
