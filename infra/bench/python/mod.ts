/**
 * `make bench-python`: our exercises against the Python stack the seed was
 * written for, doing the same work on the same data, on the same machine in
 * the same run. Each row checks the two outputs equal before it times them,
 * runs ours and theirs in turn, and reports the median of 3 as ours/theirs.
 * Raw rows go to .bench/python.json.
 *
 * | row    | ours                          | theirs                                         |
 * | ------ | ----------------------------- | ---------------------------------------------- |
 * | 01     | exercises/01/consumer.ts      | kafka-python and confluent-kafka consumers     |
 * | 05     | exercises/05 worker and flows | Celery chain and chord (Redis broker, backend) |
 * | 10     | exercises/10/worker.ts × 2    | Celery worker, 2 processes                     |
 * | 07     | exercises/07/server.ts        | Flask + redis-py (gunicorn), FastAPI (uvicorn) |
 * | lambda | 09's handler under the RIE    | a boto3 + pandas handler (awslambdaric)        |
 *
 * @example
 * ```sh
 * deno run -A --frozen infra/bench/python/mod.ts          # every row
 * deno run -A --frozen infra/bench/python/mod.ts 05 10    # some
 * ```
 * @module
 */
import { printTable, type Row } from "../measure.ts";
import { benchFlows, benchTasks } from "./celery.ts";
import { benchConsumers } from "./consumers.ts";
import { benchHttp } from "./http.ts";
import { benchColdStart } from "./cold_start.ts";

// A Map keeps this order ("10" would come first as an object key).
const BENCHES = new Map<string, () => Promise<Row[]>>([
  ["01", benchConsumers],
  ["05", benchFlows],
  ["10", benchTasks],
  ["07", benchHttp],
  ["lambda", benchColdStart],
]);

const chosen = Deno.args.length > 0 ? Deno.args : [...BENCHES.keys()];
const unknown = chosen.filter((name) => !BENCHES.has(name));
if (unknown.length > 0) {
  console.error(
    `bench-python: no row ${unknown.join(", ")}: rows are ${[...BENCHES.keys()].join(", ")}`,
  );
  Deno.exit(2);
}

const rows: Row[] = [];
let failed = false;
for (const name of chosen) {
  console.error(`== bench-python ${name} ==`);
  try {
    const bench = BENCHES.get(name)!;
    rows.push(...await bench());
  } catch (err) {
    failed = true;
    console.error(`bench-python ${name} FAILED: ${(err as Error).stack ?? err}`);
  }
}

await printTable(rows, {
  title: "bench-python",
  reference: "theirs",
  ratio: "ours/theirs",
  file: "python.json",
});
Deno.exit(failed ? 1 : 0);
