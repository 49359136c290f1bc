/**
 * `make bench` for exercise 07: requests/s of the records API (server.ts as
 * its own process, the real Redis behind it) under wrk, on loopback, against
 * two references measured in the same run:
 *
 * - the same wrk run against a minimal `Deno.serve` handler answering a small
 *   JSON body (no Hono, no Redis): what the runtime itself can do here;
 * - `redis-benchmark` SET and GET of a record-sized value on the same Redis,
 *   with as many connections: what Redis itself can do here.
 *
 * The server runs as the image runs it, with `DENO_V8_FLAGS=--optimize-for-size`;
 * its peak memory is also measured under the same load with V8's default
 * heap settings, on a second server started after the first.
 *
 * BENCH_SECONDS (default 5) is the length of each wrk run, BENCH_CONNECTIONS
 * (default 50) the open connections of wrk and redis-benchmark. wrk comes from
 * Debian (`apt-get install wrk`); this script does not install it.
 *
 * @module
 */
import { Redis } from "ioredis";
import { report } from "../../infra/bench/measure.ts";
import { env } from "../../infra/env.ts";
import { Lines, readLines, startScript } from "../../infra/script.ts";
import { deleteKeys } from "./store.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 50);
const THREADS = Math.min(2, navigator.hardwareConcurrency);
const redisUrl = env("REDIS_URL");
const prefix = `bench-records-${Date.now()}`;
const record = { customer_id: "c-42", amount: 15999.5, currency: "INR", tags: ["gift"] };
/** DENO_V8_FLAGS as the image sets it; the default run names V8's default explicitly. */
const SHIPPED_FLAGS = "--optimize-for-size";
const DEFAULT_FLAGS = "--no-optimize-for-size";

/** Runs a command to the end and returns its stdout; throws with its stderr on failure. */
async function run(cmd: string, args: string[]): Promise<string> {
  let output;
  try {
    output = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`'${cmd}' is not on PATH: install it (Debian: apt-get install ${cmd})`);
    }
    throw err;
  }
  const text = new TextDecoder();
  if (!output.success) throw new Error(`${cmd} failed: ${text.decode(output.stderr)}`);
  return text.decode(output.stdout);
}

/** What one wrk run measured. */
interface WrkResult {
  rate: number;
  p99Ms: number;
  requests: number;
}

/** `wrk` for BENCH_SECONDS with a Lua script (if any); every answer must be 2xx. */
async function wrk(url: string, script?: string, seconds = SECONDS): Promise<WrkResult> {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency"];
  if (script) args.push("-s", script);
  const out = await run("wrk", [...args, url]);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (bad) throw new Error(`wrk ${url}: ${bad[1]} answers were not 2xx:\n${out}`);
  const errors = /Socket errors: (.*)/.exec(out);
  if (errors) throw new Error(`wrk ${url}: socket errors (${errors[1]}):\n${out}`);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)!;
  return {
    rate: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1])),
    p99Ms: Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2] as "us" | "ms" | "s"],
    requests: Number(/(\d+) requests in/.exec(out)![1]),
  };
}

/** Peak resident memory (VmHWM) of a process, in MB. */
function peakMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024);
}

/** Waits for a "http://host:port" on a stream of lines and returns it. */
async function listeningUrl(lines: Lines): Promise<string> {
  await lines.waitFor((l) => l.some((x) => /http:\/\/[\d.]+:\d+/.test(x)), 30_000, "listening");
  return /http:\/\/[\d.]+:\d+/.exec(lines.lines.find((x) => /http:\/\/[\d.]+:\d+/.test(x))!)![0];
}

// wrk's Lua hook for a JSON POST.
const post = await Deno.makeTempFile({ suffix: ".lua" });
await Deno.writeTextFile(
  post,
  `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '${JSON.stringify(record)}'
`,
);

/** Resident memory now (VmRSS) of a process, in MB. */
function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

/** server.ts on a free port, records under the bench's prefix, with these V8 flags. */
function startServer(v8Flags: string) {
  return startScript("exercises/07/server.ts", [], {
    PORT: "0",
    RECORDS_PREFIX: prefix,
    DENO_V8_FLAGS: v8Flags,
  });
}

/** The bench's load on a server: a warm-up, wrk POST, then wrk GET of one record. */
async function drive(url: string) {
  await wrk(`${url}/records`, post, 1);
  const write = await wrk(`${url}/records`, post);
  // Every 201 wrk counted is a record in Redis (plus the warm-up's); deleted now.
  const stored = await deleteKeys(redis, prefix);
  if (stored < write.requests) {
    throw new Error(`wrk counted ${write.requests} writes but Redis had ${stored} records`);
  }
  const created = await fetch(`${url}/records`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(record),
  });
  const location = created.headers.get("Location")!;
  await created.body?.cancel();
  const read = await wrk(`${url}${location}`);
  return { write, read, location };
}

// Ours, as the image runs it: with DENO_V8_FLAGS=--optimize-for-size (see the README).
const server = startServer(SHIPPED_FLAGS);
// The reference: the smallest Deno.serve that answers JSON, same runtime, same flags.
const hello = new Deno.Command(Deno.execPath(), {
  args: [
    "eval",
    "--no-config",
    `Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) =>
       console.error("hello on http://127.0.0.1:" + port) },
     () => Response.json({ status: "ok" }));`,
  ],
  stdin: "null",
  stdout: "null",
  stderr: "piped",
}).spawn();
const helloLines = new Lines();
const helloPump = readLines(hello.stderr, helloLines);
const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
const benchKey = `${prefix}:redis-benchmark`;
try {
  await redis.connect();
  const url = await listeningUrl(server.stderr);
  const helloUrl = await listeningUrl(helloLines);
  console.error(
    `wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s against ${url} (records API) and ${helloUrl} (hello)`,
  );

  const idleMb = rssMb(server.child.pid);
  const helloIdleMb = rssMb(hello.pid);
  const { write, read, location } = await drive(url);
  await wrk(helloUrl, undefined, 1); // warm-up
  const ref = await wrk(helloUrl);
  console.error(
    `POST /records ${write.rate} req/s (p99 ${write.p99Ms} ms), GET ${location} ${read.rate} req/s ` +
      `(p99 ${read.p99Ms} ms), hello ${ref.rate} req/s (p99 ${ref.p99Ms} ms)`,
  );
  const oursMb = peakMb(server.child.pid);
  const helloMb = peakMb(hello.pid);

  // The same load on a server with V8's default heap settings, for the memory row.
  const plain = startServer(DEFAULT_FLAGS);
  let plainMb: number;
  try {
    const plainUrl = await listeningUrl(plain.stderr);
    const plainIdleMb = rssMb(plain.child.pid);
    const again = await drive(plainUrl);
    plainMb = peakMb(plain.child.pid);
    console.error(
      `memory: ours ${SHIPPED_FLAGS} idle ${idleMb} MB, peak ${oursMb} MB; ` +
        `default V8 flags idle ${plainIdleMb} MB, peak ${plainMb} MB ` +
        `(POST ${again.write.rate}, GET ${again.read.rate} req/s); ` +
        `hello idle ${helloIdleMb} MB, peak ${helloMb} MB`,
    );
  } finally {
    const stopped = await plain.stop("SIGTERM");
    if (stopped.code !== 0) {
      console.error(`server.ts (default V8 flags) exited with ${stopped.code}`);
    }
  }

  // Redis alone: SET and GET of the same value, as many connections, no pipelining.
  const value = JSON.stringify({ id: crypto.randomUUID(), ...record, created_at: "x" });
  const redisBench = async (...command: string[]) => {
    const csv = await run("redis-benchmark", [
      "-u",
      redisUrl,
      "-c",
      `${CONNECTIONS}`,
      "-n",
      `${Math.max(50_000, ref.rate * SECONDS)}`,
      "--csv",
      ...command,
    ]);
    // The last 7 columns are numbers (rps first); the test name may hold commas.
    const rps = Number(csv.trim().split("\n").at(-1)!.split(",").at(-7)!.replaceAll('"', ""));
    if (!Number.isFinite(rps)) {
      throw new Error(`redis-benchmark ${command[0]}: no rate in:\n${csv}`);
    }
    return Math.round(rps);
  };
  const set = await redisBench("SET", benchKey, value);
  const get = await redisBench("GET", benchKey);
  console.error(`redis-benchmark: SET ${set} req/s, GET ${get} req/s`);

  const hellotool = "Deno.serve hello (wrk)";
  report({
    exercise: "07",
    metric: "POST /records throughput",
    unit: "req/s",
    ours: write.rate,
    reference: ref.rate,
    referenceTool: hellotool,
    higherIsBetter: true,
  });
  report({
    exercise: "07",
    metric: "GET /records/:id throughput",
    unit: "req/s",
    ours: read.rate,
    reference: ref.rate,
    referenceTool: hellotool,
    higherIsBetter: true,
  });
  report({
    exercise: "07",
    metric: "POST /records throughput",
    unit: "req/s",
    ours: write.rate,
    reference: set,
    referenceTool: "redis-benchmark SET",
    higherIsBetter: true,
  });
  report({
    exercise: "07",
    metric: "GET /records/:id throughput",
    unit: "req/s",
    ours: read.rate,
    reference: get,
    referenceTool: "redis-benchmark GET",
    higherIsBetter: true,
  });
  report({
    exercise: "07",
    metric: `server peak memory, ${SHIPPED_FLAGS}`,
    unit: "MB",
    ours: oursMb,
    reference: helloMb,
    referenceTool: hellotool,
    higherIsBetter: false,
  });
  report({
    exercise: "07",
    metric: "server peak memory, default V8 flags",
    unit: "MB",
    ours: plainMb,
    reference: helloMb,
    referenceTool: hellotool,
    higherIsBetter: false,
  });
} finally {
  const stopped = await server.stop("SIGTERM");
  if (stopped.code !== 0) console.error(`server.ts exited with ${stopped.code}`);
  hello.kill("SIGTERM");
  await hello.status;
  await helloPump;
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await Deno.remove(post);
}
