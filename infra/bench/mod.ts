/**
 * `make bench`: runs each exercise's bench.ts against the real services and
 * prints one table. Every number is a ratio against a reference tool run on
 * the same machine, in the same run; raw rows go to .bench/results.json.
 *
 * @example
 * ```sh
 * deno run -A infra/bench/mod.ts 01
 * ```
 * @module
 */
import { startScript } from "../script.ts";
import { printTable, type Row } from "./measure.ts";
import { exercisesWith } from "../exercises.ts";

const exercises = Deno.args.length > 0 ? Deno.args : exercisesWith("bench.ts");
const rows: Row[] = [];
let failed = false;
for (const nn of exercises) {
  console.error(`== bench ${nn} ==`);
  const bench = startScript(`exercises/${nn}/bench.ts`);
  bench.stderr.onLine = (line) => console.error(`  ${line}`);
  const status = await bench.status;
  for (const line of bench.stdout.lines) if (line.startsWith("{")) rows.push(JSON.parse(line));
  if (status.code !== 0) {
    failed = true;
    console.error(`bench ${nn} FAILED (exit ${status.code})`);
  }
}

await printTable(rows, {
  title: "bench",
  reference: "reference",
  ratio: "ours/ref",
  file: "results.json",
});
Deno.exit(failed ? 1 : 0);
