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
import type { Row } from "./measure.ts";
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

const fmt = (n: number) => n >= 100 ? Math.round(n).toLocaleString("en") : n.toPrecision(3);
const table = [["ex", "metric", "ours", "reference", "tool", "ours/ref"]];
for (const r of rows) {
  const ratio = r.ours / r.reference;
  const better = r.higherIsBetter ? "higher is better" : "lower is better";
  table.push([
    r.exercise,
    r.metric,
    `${fmt(r.ours)} ${r.unit}`,
    `${fmt(r.reference)} ${r.unit}`,
    r.referenceTool,
    `${ratio.toFixed(3)} (${better})`,
  ]);
}
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
console.log(`\nbench on ${Deno.build.target}, ${navigator.hardwareConcurrency} cores`);
for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
await Deno.mkdir(".bench", { recursive: true });
await Deno.writeTextFile(
  ".bench/results.json",
  JSON.stringify({ at: new Date().toISOString(), rows }, null, 2) + "\n",
);
Deno.exit(failed ? 1 : 0);
