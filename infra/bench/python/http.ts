/**
 * Row 07 of `make bench-python`: exercise 07's server (server.ts, as is, on a
 * free port) against the same API in Flask + redis-py under gunicorn (2 sync
 * workers, one per core) and in FastAPI + redis-py's asyncio client under
 * uvicorn (1 process, as ours), all on the same Redis, each under its own
 * key prefix. First every server gets the same requests and must give the
 * same answers (status, body, Location); then wrk, the same connections,
 * POST /records and GET /records/:id, the three in turn, medians of 3; and
 * each server's peak memory (all its processes).
 *
 * BENCH_SECONDS (default 5) per wrk run, BENCH_CONNECTIONS (default 50).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Row } from "../measure.ts";
import { startScript } from "../../script.ts";
import type { Script } from "../../script.ts";
import { deleteByPrefix, median, startPython } from "./peers.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 50);
const THREADS = Math.min(2, navigator.hardwareConcurrency);
const RUNS = 3;
const record = { customer_id: "c-42", amount: 15999.5, currency: "INR", tags: ["gift"] };
const say = (line: string) => console.error(line);

interface Server {
  name: string;
  url: string;
  script: Script;
  prefix: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

/** Waits until GET /healthz answers 200. */
async function healthy(url: string, script: Script): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/healthz`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not become healthy:\n${script.stderr.tail()}`);
}

async function startServers(stamp: number): Promise<Server[]> {
  const servers: Server[] = [];
  const ours = `bench-py-07-ours-${stamp}`;
  const deno = startScript("exercises/07/server.ts", [], { PORT: "0", RECORDS_PREFIX: ours });
  servers.push({ name: "ours", url: "", script: deno, prefix: ours });
  await deno.stderr.waitFor(
    (l) => l.some((x) => /listening on http:/.test(x)),
    30_000,
    "server.ts",
  );
  servers[0].url =
    /http:\/\/[\d.]+:\d+/.exec(deno.stderr.lines.find((x) => /listening on/.test(x))!)![0];
  for (
    const [name, args] of [
      [
        "Flask + gunicorn -w 2",
        (port: number) => ["-m", "gunicorn", "-w", "2", "-b", `127.0.0.1:${port}`, "flask_app:app"],
      ],
      [
        "FastAPI + uvicorn",
        (
          port: number,
        ) => ["-m", "uvicorn", "--port", `${port}`, "--log-level", "warning", "fastapi_app:app"],
      ],
    ] as const
  ) {
    const port = freePort();
    const prefix = `bench-py-07-${name.split(" ")[0].toLowerCase()}-${stamp}`;
    const script = await startPython(args(port), { RECORDS_PREFIX: prefix });
    servers.push({ name, url: `http://127.0.0.1:${port}`, script, prefix });
  }
  for (const s of servers) await healthy(s.url, s.script);
  return servers;
}

/** The requests every server must answer alike: one of each answer ours gives. */
const PROBES: {
  method: string;
  path: string;
  type?: string;
  body?: string | Uint8Array<ArrayBuffer>;
}[] = [
  { method: "POST", path: "/records", type: "application/json", body: JSON.stringify(record) },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c-1","amount":5}',
  },
  { method: "POST", path: "/records", type: "text/plain", body: "hello" },
  { method: "POST", path: "/records", body: "{}" },
  { method: "POST", path: "/records", type: "application/json", body: "{not json" },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: new Uint8Array([0x7b, 0xff, 0x7d]),
  },
  { method: "POST", path: "/records", type: "application/json", body: "x".repeat(20_000) },
  { method: "POST", path: "/records", type: "application/json", body: "[1]" },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amout":1}',
  },
  { method: "POST", path: "/records", type: "application/json", body: '{"amount":1}' },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":7,"amount":1}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"  ","amount":1}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: JSON.stringify({ customer_id: "é".repeat(65), amount: 1 }),
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amount":"15999"}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amount":true}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amount":1e999}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amount":-1}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amount":1,"currency":"inr"}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amount":1,"tags":"gift"}',
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: JSON.stringify({ customer_id: "c", amount: 1, tags: Array(11).fill("t") }),
  },
  {
    method: "POST",
    path: "/records",
    type: "application/json",
    body: '{"customer_id":"c","amount":1,"tags":["ok",""]}',
  },
  { method: "GET", path: "/records/not-a-uuid" },
  { method: "GET", path: "/records/0b5c6f0e-8d1e-4c3f-9a3e-2f1d4c5b6a79" },
  // (Longer than 8192 bytes ours says 414; gunicorn refuses a request line over 4094 with its own HTML page.)
  { method: "GET", path: `/records/${"a".repeat(3000)}` },
  { method: "PUT", path: "/records" },
  { method: "GET", path: "/nothing/here" },
]; // deno-fmt-ignore

/** One answer, without what differs by nature (the new id and time). */
async function ask(url: string, probe: (typeof PROBES)[number]): Promise<unknown> {
  const res = await fetch(`${url}${probe.path}`, {
    method: probe.method,
    headers: probe.type ? { "Content-Type": probe.type } : {},
    body: probe.body,
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url}: ${probe.method} ${probe.path.slice(0, 40)}: ${res.status} ${text.slice(0, 200)}`);
  }
  const location = res.headers.get("Location");
  if (res.status === 201) {
    assert.equal(location, `/records/${body.id}`);
    // The record reads back as it was stored.
    const back = await (await fetch(`${url}${location}`)).json();
    assert.deepEqual(back, body);
    delete body.id;
    delete body.created_at;
  }
  return { status: res.status, body };
}

/** What one wrk run measured. */
async function wrk(url: string, script?: string, seconds = SECONDS): Promise<number> {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`];
  if (script) args.push("-s", script);
  const output = await new Deno.Command("wrk", { args: [...args, url] }).output();
  const out = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`wrk ${url} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (bad) throw new Error(`wrk ${url}: ${bad[1]} answers were not 2xx:\n${out}`);
  const errors = /Socket errors: (.*)/.exec(out);
  if (errors) throw new Error(`wrk ${url}: socket errors (${errors[1]}):\n${out}`);
  return Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]));
}

/** Peak resident memory (VmHWM) of a process and all its descendants, summed, in MB. */
function treePeakMb(pid: number): number {
  const parents = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const status = Deno.readTextFileSync(`/proc/${entry.name}/status`);
      parents.set(Number(entry.name), Number(/PPid:\s+(\d+)/.exec(status)?.[1]));
    } catch {
      // Gone.
    }
  }
  let kb = 0;
  const visit = (p: number) => {
    try {
      kb += Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${p}/status`))?.[1] ?? 0);
    } catch {
      // Gone.
    }
    for (const [child, parent] of parents) if (parent === p) visit(child);
  };
  visit(pid);
  return Math.round(kb / 1024);
}

/** 07: ours against Flask + gunicorn and FastAPI + uvicorn. */
export async function benchHttp(): Promise<Row[]> {
  const stamp = Date.now();
  const post = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(
    post,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '${
      JSON.stringify(record)
    }'\n`,
  );
  const servers = await startServers(stamp);
  try {
    // The same answers, before anything is timed.
    const expected = [];
    for (const probe of PROBES) expected.push(await ask(servers[0].url, probe));
    for (const server of servers.slice(1)) {
      for (const [i, probe] of PROBES.entries()) {
        assert.deepEqual(
          await ask(server.url, probe),
          expected[i],
          `${server.name} answers ${probe.method} ${probe.path.slice(0, 40)} otherwise`,
        );
      }
    }
    say(`07: ${PROBES.length} requests answered alike by ${servers.map((s) => s.name).join(", ")}`);

    // A record to GET on each, and a warm-up.
    const paths = new Map<Server, string>();
    for (const server of servers) {
      const res = await fetch(`${server.url}/records`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(record),
      });
      paths.set(server, res.headers.get("Location")!);
      await res.body?.cancel();
      await wrk(`${server.url}/records`, post, 1);
    }
    const rates = new Map(servers.map((s) => [s, { post: [] as number[], get: [] as number[] }]));
    for (let i = 0; i < RUNS; i++) {
      for (const server of servers) {
        rates.get(server)!.post.push(await wrk(`${server.url}/records`, post));
        rates.get(server)!.get.push(await wrk(`${server.url}${paths.get(server)}`));
      }
    }
    for (const server of servers) {
      const r = rates.get(server)!;
      say(`07 ${server.name}: POST ${r.post.join(", ")} req/s, GET ${r.get.join(", ")} req/s`);
    }
    const rows: Row[] = [];
    const [ours, ...peers] = servers;
    for (const peer of peers) {
      const tool = `${peer.name} (wrk -c${CONNECTIONS})`;
      for (const kind of ["post", "get"] as const) {
        rows.push({
          exercise: "07",
          metric: kind === "post" ? "POST /records throughput" : "GET /records/:id throughput",
          unit: "req/s",
          ours: median(rates.get(ours)![kind]),
          reference: median(rates.get(peer)![kind]),
          referenceTool: tool,
          higherIsBetter: true,
        });
      }
      rows.push({
        exercise: "07",
        metric: "server peak memory (all processes)",
        unit: "MB",
        ours: treePeakMb(ours.script.child.pid),
        reference: treePeakMb(peer.script.child.pid),
        referenceTool: peer.name,
        higherIsBetter: false,
      });
    }
    return rows;
  } finally {
    for (const server of servers) await server.script.stop();
    for (const server of servers) await deleteByPrefix(`${server.prefix}:`);
    await Deno.remove(post);
  }
}
