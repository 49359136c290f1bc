/**
 * Runs a chain or a chord and prints its outcome as one JSON line: the
 * parent's state, its result (or its failure reason), and each child.
 * A worker must be running (`worker.ts`), or pass `--with-worker`.
 *
 * @example
 * ```sh
 * deno run -A exercises/05/flow.ts chain --count 1000
 * deno run -A exercises/05/flow.ts chord --parts 4 --count 1000
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { FlowProducer, Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { integerSetting, readConfig } from "./config.ts";
import type { GenerateSpec } from "./numbers.ts";
import { addFlow, type PrimesResult, startWorker } from "./tasks.ts";

/** How a flow ended, or that it is still running, read back from Redis. */
export interface FlowOutcome {
  /** The parent's job id: the flow's id. */
  id: string;
  /** `running` when the wait ran out first: the flow goes on, its result stays in Redis. */
  state: "completed" | "failed" | "running";
  result?: PrimesResult;
  reason?: string;
  /** When the parent started (ms since epoch), 0 if it has not. */
  parentStartedAt: number;
  children: {
    id: string;
    state: string;
    finishedAt: number;
    numbers?: number[];
    reason?: string;
  }[];
}

/**
 * Adds the flow and waits up to `timeoutMs` for its parent to complete or
 * fail; if it has not by then, the outcome is `running`, with the flow's id.
 */
export async function runFlow(
  redisUrl: string,
  queueName: string,
  specs: GenerateSpec[],
  timeoutMs = 60_000,
): Promise<FlowOutcome> {
  const connections = [1, 2, 3].map(() => new Redis(redisUrl, { maxRetriesPerRequest: null }));
  const events = new QueueEvents(queueName, { connection: connections[0] });
  const queue = new Queue(queueName, { connection: connections[1] });
  const producer = new FlowProducer({ connection: connections[2] });
  try {
    await events.waitUntilReady();
    const ids = await addFlow(producer, queueName, specs);
    try {
      await (await queue.getJob(ids.parent))!.waitUntilFinished(events, timeoutMs);
    } catch {
      // Failed, or the wait ran out: the parent's state, read below, tells which.
    }
    const parent = (await queue.getJob(ids.parent))!;
    const parentState = await parent.getState();
    const state = parentState === "completed" || parentState === "failed" ? parentState : "running";
    const children = await Promise.all(
      ids.children.map(async (id) => {
        const child = (await queue.getJob(id))!;
        return {
          id,
          state: await child.getState(),
          finishedAt: child.finishedOn ?? 0,
          ...(child.failedReason
            ? { reason: child.failedReason }
            : child.returnvalue
            ? { numbers: child.returnvalue as number[] }
            : {}),
        };
      }),
    );
    return {
      id: ids.parent,
      state,
      ...(state === "failed" ? { reason: parent.failedReason } : {}),
      ...(state === "completed" ? { result: parent.returnvalue as PrimesResult } : {}),
      parentStartedAt: parent.processedOn ?? 0,
      children,
    };
  } finally {
    await Promise.all([events.close(), queue.close(), producer.close()]);
    await Promise.all(connections.map((c) => c.quit()));
  }
}

/** What flow.ts was asked to run. */
export interface FlowArgs {
  pattern: "chain" | "chord";
  specs: GenerateSpec[];
  /** `--timeout-ms`: how long to wait for the flow. Default 60000. */
  timeoutMs: number;
  withWorker: boolean;
}

/** Most children a chord may have (`--parts`). */
export const MAX_PARTS = 32;

/**
 * Reads flow.ts's arguments, throwing a `RangeError` or `TypeError` that
 * names the option and its value.
 *
 * @example
 * ```ts
 * parseFlowArgs(["chord", "--parts", "4"]).specs.length; // 4
 * parseFlowArgs(["chord", "--parts", "2.5"]); // throws RangeError: Cannot use '--parts' …
 * ```
 */
export function parseFlowArgs(args: string[]): FlowArgs {
  // "--parts -1" would read as two options: an option always takes the next argument as its value.
  const valued = new Set(["--parts", "--count", "--max", "--seed", "--timeout-ms"]);
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    joined.push(valued.has(args[i]) && i + 1 < args.length ? `${args[i]}=${args[++i]}` : args[i]);
  }
  const { positionals, values } = parseArgs({
    args: joined,
    allowPositionals: true,
    options: {
      parts: { type: "string" },
      count: { type: "string", default: "1000" },
      max: { type: "string", default: "100000" },
      seed: { type: "string" },
      "timeout-ms": { type: "string", default: "60000" },
      "with-worker": { type: "boolean", default: false },
    },
  });
  const [pattern, ...extra] = positionals;
  if ((pattern !== "chain" && pattern !== "chord") || extra.length > 0) {
    throw new TypeError(
      `Cannot run ${JSON.stringify(positionals.join(" "))} as it is not chain or chord`,
    );
  }
  if (pattern === "chain" && values.parts !== undefined) {
    throw new TypeError(
      `Cannot use '--parts' with a chain as a chain has one child: current value is "${values.parts}"`,
    );
  }
  const parts = pattern === "chain"
    ? 1
    : integerSetting("--parts", values.parts ?? "3", 1, MAX_PARTS);
  const count = integerSetting("--count", values.count, 1, 1_000_000);
  const max = integerSetting("--max", values.max, 2, 2 ** 31 - 1);
  const seed = values.seed === undefined
    ? Math.floor(Math.random() * 2 ** 31)
    : integerSetting("--seed", values.seed, 0, 2 ** 31 - 1);
  return {
    pattern,
    specs: Array.from({ length: parts }, (_, i) => ({ count, max, seed: seed + i })),
    timeoutMs: integerSetting("--timeout-ms", values["timeout-ms"], 1, 86_400_000),
    withWorker: values["with-worker"],
  };
}

const USAGE = "usage: deno run -A exercises/05/flow.ts chain|chord [--parts K] [--count N] " +
  "[--max M] [--seed S] [--timeout-ms T] [--with-worker]";

if (import.meta.main) {
  let args, config;
  try {
    args = parseFlowArgs(Deno.args);
  } catch (err) {
    console.error(`flow: ${(err as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  try {
    config = readConfig();
  } catch (err) {
    console.error(`flow: ${(err as Error).message}`);
    Deno.exit(1);
  }
  const worker = args.withWorker ? startWorker(config) : undefined;
  try {
    const outcome = await runFlow(config.redisUrl, config.queue, args.specs, args.timeoutMs);
    console.log(JSON.stringify({
      pattern: args.pattern,
      id: outcome.id,
      state: outcome.state,
      reason: outcome.reason,
      numbers: outcome.result?.numbers,
      primes: outcome.result?.primes.length,
      first_primes: outcome.result?.primes.slice(0, 10),
      children: outcome.children.map((c) => ({
        id: c.id,
        state: c.state,
        numbers: c.numbers?.length,
        reason: c.reason,
      })),
    }));
    if (outcome.state === "running") {
      console.error(
        `flow: still running after ${args.timeoutMs} ms: flow ${outcome.id} on queue ${config.queue} ` +
          `goes on, and keeps its result in Redis when it ends`,
      );
    }
    // 0 completed, 1 failed, 3 still running (2 is a usage error).
    Deno.exitCode = { completed: 0, failed: 1, running: 3 }[outcome.state];
  } catch (err) {
    console.error(`flow: ${(err as Error).message}`);
    Deno.exitCode = 1;
  } finally {
    await worker?.close();
  }
}
