/**
 * `make bench` for exercise 04: `getUser()` answering from Redis, against
 * `redis-benchmark` GET on the same Redis in the same run, with 50 concurrent
 * callers (redis-benchmark's default clients) and with one; and a miss (the
 * API's latency plus our overhead) against a hit. Three rounds, ours and
 * redis-benchmark in turn; each figure is the median of the three.
 *
 * BENCH_CALLS sets the number of hits with 50 callers (default 100000; a
 * fifth of it with one caller). BENCH_API_LATENCY_MS sets the user API's
 * latency for the misses (default 200, as `user_api.ts`).
 *
 * @module
 */
import process from "node:process";
import { check, measure, report } from "../../infra/bench/measure.ts";
import { readConfig } from "./config.ts";
import { startUserApi } from "./user_api.ts";
import { createUserCache, type UserCache } from "./user_cache.ts";
import { deleteKeys } from "./_testing.ts";

const N = Number(Deno.env.get("BENCH_CALLS") ?? 100_000);
const N1 = Math.max(1, Math.round(N / 5));
const CLIENTS = 50;
/** Rounds of ours then redis-benchmark; each figure is the median of the rounds. */
const ROUNDS = 3;
const MISSES = 20;
const latencyMs = Number(Deno.env.get("BENCH_API_LATENCY_MS") ?? 200);
const config = readConfig({
  ...Deno.env.toObject(),
  CACHE_PREFIX: `bench-ex04-${Date.now()}`,
  USER_API_URL: "http://127.0.0.1:0",
});
const { hostname, port } = new URL(config.redisUrl);

/**
 * CPU time (user + system) in µs of the children this process has waited
 * for, from /proc/self/stat (clock ticks of 10 ms): redis-benchmark's CPU.
 */
function childrenCpuUs(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10_000;
}

/** Our CPU time (user + system) in µs so far. */
function ownCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The q-th quantile of ascending `sorted` values (nearest rank). */
function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Runs `total` hits split over `callers` sequential loops, each on its own warm id. */
async function hits(cache: UserCache, callers: number, total: number) {
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, async (_, caller) => {
    // One id per caller: callers never share a flight, so every call is one GET.
    const id = caller + 1;
    while (next < total) {
      const i = next++;
      const t = performance.now();
      await cache.getUser(id);
      latencies[i] = performance.now() - t;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.sort(); // a typed array sorts numerically
  return {
    rate: Math.round(total / seconds),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
  };
}

/** redis-benchmark GET with `clients` connections: requests/s and p99 in ms. */
async function redisBenchmark(clients: number, requests: number) {
  const args = ["-h", hostname, "-p", port || "6379", "-t", "get", "-n", `${requests}`];
  const run = check(
    await measure("redis-benchmark", [...args, "-c", `${clients}`, "-q", "--csv"]),
    "redis-benchmark",
  );
  const header = run.stdout.findIndex((line) => line.startsWith('"test"'));
  const names = run.stdout[header].split(",").map((c) => c.replaceAll('"', ""));
  const values = run.stdout[header + 1].split(",").map((c) => c.replaceAll('"', ""));
  const field = (name: string) => Number(values[names.indexOf(name)]);
  return { rate: field("rps"), p50: field("p50_latency_ms"), p99: field("p99_latency_ms") };
}

const api = startUserApi({ host: "127.0.0.1", port: 0, latencyMs, users: 1000 });
const cache = await createUserCache({ ...config, userApiUrl: api.url });
try {
  if (cache.redis.status !== "ready") throw new Error(`Cannot reach Redis at ${config.redisUrl}`);

  // Misses: cold ids one after the other, each a GET, an API call and a SET.
  const missLatencies: number[] = [];
  for (let id = 501; id < 501 + MISSES; id++) {
    const t = performance.now();
    const answer = await cache.lookup(id);
    missLatencies.push(performance.now() - t);
    if (answer.source !== "api" || !answer.cached) throw new Error(`getUser(${id}) was not a miss`);
  }
  const missP50 = quantile(missLatencies.toSorted((a, b) => a - b), 0.5);

  // Hits: warm one id per caller, then measure.
  for (let id = 1; id <= CLIENTS; id++) await cache.getUser(id);
  const callsBefore = api.stats().calls;
  await hits(cache, CLIENTS, Math.min(N, 5_000)); // warm-up (JIT, connection)
  await hits(cache, 1, Math.min(N1, 2_000));
  // Ours and redis-benchmark take turns, ROUNDS times: on a shared machine a
  // busy moment then lands on both sides of a round, and the medians drop it.
  type Hits = Awaited<ReturnType<typeof hits>>;
  type Reference = Awaited<ReturnType<typeof redisBenchmark>>;
  const rounds: {
    many: Hits;
    refMany: Reference;
    one: Hits & { cpuUs: number };
    refOne: Reference & { cpuUs: number };
  }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const many = await hits(cache, CLIENTS, N);
    const refMany = await redisBenchmark(CLIENTS, N);
    // With one caller, the CPU each side spends per call too: unlike the
    // rate, it hardly moves when other work takes the cores.
    let cpu = ownCpuUs();
    const one = { ...await hits(cache, 1, N1), cpuUs: 0 };
    one.cpuUs = (ownCpuUs() - cpu) / N1;
    cpu = childrenCpuUs();
    const refOne = { ...await redisBenchmark(1, N1), cpuUs: 0 };
    refOne.cpuUs = (childrenCpuUs() - cpu) / N1;
    console.error(
      `round ${round}: getUser() ${many.rate} calls/s with ${CLIENTS} callers ` +
        `(p99 ${many.p99.toFixed(3)} ms), ${one.rate} with 1 (p50 ${one.p50.toFixed(3)} ms); ` +
        `redis-benchmark GET ${refMany.rate} req/s with ${CLIENTS} (p99 ${refMany.p99} ms), ` +
        `${refOne.rate} with 1 (p50 ${refOne.p50} ms); CPU per call with 1: ` +
        `${one.cpuUs.toFixed(1)} µs, redis-benchmark ${refOne.cpuUs.toFixed(1)} µs; 1 caller ${
          (one.rate / refOne.rate).toFixed(3)
        } of redis-benchmark`,
    );
    rounds.push({ many, refMany, one, refOne });
  }
  if (api.stats().calls !== callsBefore) throw new Error("a hit went to the API");
  console.error(`miss p50 ${missP50.toFixed(1)} ms`);
  const median = (pick: (round: (typeof rounds)[number]) => number) =>
    quantile(rounds.map(pick).sort((a, b) => a - b), 0.5);
  const many = { rate: median((r) => r.many.rate), p99: median((r) => r.many.p99) };
  const one = {
    rate: median((r) => r.one.rate),
    p50: median((r) => r.one.p50),
    p99: median((r) => r.one.p99),
    cpuUs: median((r) => r.one.cpuUs),
  };
  const refMany = { rate: median((r) => r.refMany.rate), p99: median((r) => r.refMany.p99) };
  const refOne = {
    rate: median((r) => r.refOne.rate),
    p99: median((r) => r.refOne.p99),
    cpuUs: median((r) => r.refOne.cpuUs),
  };

  const row = { exercise: "04" };
  const tool = (clients: number) => `redis-benchmark -t get -c ${clients}`;
  report({
    ...row,
    metric: `cache-hit throughput, ${CLIENTS} callers`,
    unit: "calls/s",
    ours: many.rate,
    reference: refMany.rate,
    referenceTool: tool(CLIENTS),
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: `cache-hit p99 latency, ${CLIENTS} callers`,
    unit: "ms",
    ours: many.p99,
    reference: refMany.p99,
    referenceTool: tool(CLIENTS),
    higherIsBetter: false,
  });
  report({
    ...row,
    metric: "cache-hit throughput, 1 caller",
    unit: "calls/s",
    ours: one.rate,
    reference: refOne.rate,
    referenceTool: tool(1),
    higherIsBetter: true,
  });
  report({
    ...row,
    metric: "cache-hit p99 latency, 1 caller",
    unit: "ms",
    ours: one.p99,
    reference: refOne.p99,
    referenceTool: tool(1),
    higherIsBetter: false,
  });
  report({
    ...row,
    metric: "cache-hit CPU per call, 1 caller",
    unit: "µs",
    ours: one.cpuUs,
    reference: refOne.cpuUs,
    referenceTool: tool(1),
    higherIsBetter: false,
  });
  report({
    ...row,
    metric: `miss p50 latency (API ${latencyMs} ms) vs hit`,
    unit: "ms",
    ours: missP50,
    reference: one.p50,
    referenceTool: "getUser() hit p50, 1 caller",
    higherIsBetter: false,
  });
} finally {
  if (cache.redis.status === "ready") await deleteKeys(cache.redis, config.prefix);
  await cache.close();
  await api.close();
}
