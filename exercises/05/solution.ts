// deno-lint-ignore-file no-import-prefix -- standalone: copied alone, it has no import map
/**
 * Exercise 05: one job generates random numbers, another finds the primes
 * among them, chained as Celery's chain and chord are: with BullMQ flows.
 *
 *   deno run -A solution.ts worker                          # runs both tasks; start one or more
 *   deno run -A solution.ts chain --count 5000              # generate → primes
 *   deno run -A solution.ts chord --parts 4 --count 5000    # 4 generates in parallel → primes
 *
 * What decides it:
 * - A flow is a tree run bottom-up: the parent `primes` waits until all its
 *   children have completed, then reads their results with
 *   getChildrenValues(). One child is a chain, K children are a chord.
 * - failParentOnFailure on every child: by default a parent whose child
 *   failed waits for ever; with it the parent fails, naming the child.
 * - Bad input throws UnrecoverableError: it would fail the same way again,
 *   so it is not retried.
 */
import { parseArgs } from "node:util";
import {
  FlowProducer,
  type Job,
  Queue,
  QueueEvents,
  UnrecoverableError,
  Worker,
} from "npm:bullmq@6.7.0";
import { Redis } from "npm:ioredis@6.0.0";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const redisUrl = env("REDIS_URL", "redis://127.0.0.1:6379");
const queueName = env("QUEUE_NAME", "primes-flow");
const lockDuration = Number(env("LOCK_DURATION_MS", "30000"));
// One connection per BullMQ object; they block on it, so it must never give up on a command.
const connect = () => new Redis(redisUrl, { maxRetriesPerRequest: null });

function isPrime(n: number): boolean {
  if (n < 4) return n >= 2;
  if (n % 2 === 0 || n % 3 === 0) return false;
  for (let d = 5; d * d <= n; d += 6) if (n % d === 0 || n % (d + 2) === 0) return false;
  return true;
}

/** The job's `data[field]`, or an UnrecoverableError: bad input fails the same way every time. */
function integer(job: Job, field: string, min: number, max: number): number {
  const value = job.data[field];
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const got = JSON.stringify(value);
  throw new UnrecoverableError(
    `${job.name}: ${field} must be an integer from ${min} to ${max}: got ${got}`,
  );
}

async function runTask(job: Job) {
  if (job.name === "generate") {
    const [count, max] = [integer(job, "count", 1, 1_000_000), integer(job, "max", 2, 2 ** 31 - 1)];
    return Array.from({ length: count }, () => 2 + Math.floor(Math.random() * (max - 1)));
  }
  // One entry per child, keyed by the child's job key: a chain has one, a chord K.
  const numbers = Object.values(await job.getChildrenValues<number[]>()).flat();
  const primes = [...new Set(numbers.filter(isPrime))].sort((a, b) => a - b);
  return { numbers: numbers.length, primes };
}

function work() {
  const connection = connect();
  const worker = new Worker(queueName, runTask, { connection, concurrency: 2, lockDuration });
  worker.on("failed", (job, err) => console.error(`worker: ${job?.id} failed: ${err.message}`));
  // Without a listener an "error" (Redis gone, say) would end the process; BullMQ reconnects.
  worker.on("error", (err) => console.error(`worker: ${err.message}`));
  console.error(`worker: running generate and primes jobs from ${queueName}`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await worker.close(); // lets the running jobs finish
      await connection.quit();
      Deno.exit(0);
    });
  }
}

async function flow(pattern: string, parts: number, count: number, max: number, timeout: number) {
  const connections = [connect(), connect(), connect()];
  const producer = new FlowProducer({ connection: connections[0] });
  const queue = new Queue(queueName, { connection: connections[1] });
  const events = new QueueEvents(queueName, { connection: connections[2] });
  try {
    await events.waitUntilReady(); // listening before the flow exists: its end cannot be missed
    const tree = await producer.add({
      name: "primes",
      queueName,
      data: {},
      children: Array.from({ length: parts }, () => ({
        name: "generate",
        queueName,
        data: { count, max },
        opts: { failParentOnFailure: true, attempts: 2, backoff: { type: "fixed", delay: 500 } },
      })),
    });
    try {
      await tree.job.waitUntilFinished(events, timeout);
    } catch {
      // It failed, or the wait ran out: its state, read below, says which.
    }
    const parent = (await queue.getJob(tree.job.id!))!;
    const children = await Promise.all(tree.children!.map(async ({ job: { id } }) => {
      const child = (await queue.getJob(id!))!;
      const numbers = child.returnvalue?.length;
      return { id, state: await child.getState(), numbers, reason: child.failedReason };
    }));
    const state = await parent.getState();
    const { numbers, primes } = parent.returnvalue ?? {};
    const result = { numbers, primes: primes?.length, first_primes: primes?.slice(0, 10) };
    const reason = parent.failedReason;
    console.log(JSON.stringify({ pattern, id: parent.id, state, ...result, reason, children }));
    return state === "completed" ? 0 : 1;
  } finally {
    await Promise.all([producer.close(), queue.close(), events.close()]);
    await Promise.all(connections.map((c) => c.quit()));
  }
}

const { positionals: [command], values } = parseArgs({
  allowPositionals: true,
  options: {
    parts: { type: "string", default: "3" },
    count: { type: "string", default: "1000" },
    max: { type: "string", default: "100000" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
if (command === "worker") work();
else if (command === "chain" || command === "chord") {
  const parts = command === "chain" ? 1 : Number(values.parts);
  const timeout = Number(values["timeout-ms"]);
  if (!(Number.isSafeInteger(parts) && parts >= 1 && parts <= 32 && timeout > 0)) {
    console.error(`Cannot run a ${command} of ${values.parts} parts, waiting ${timeout} ms`);
    Deno.exit(2);
  }
  // count and max are checked by the worker, where every job is checked: `--count 0` fails visibly.
  Deno.exit(await flow(command, parts, Number(values.count), Number(values.max), timeout));
} else {
  console.error(
    "usage: deno run -A solution.ts worker | chain|chord [--parts K] [--count N] [--max M]",
  );
  Deno.exit(2);
}
