/**
 * `make demo`: runs each exercise's demo.ts against the real services, shows
 * its progress, and ends with one summary line per exercise.
 *
 * @example
 * ```sh
 * deno run -A infra/demo.ts        # every exercise that has a demo.ts
 * deno run -A infra/demo.ts 01 02
 * ```
 * @module
 */
import { startScript } from "./script.ts";

import { exercisesWith } from "./exercises.ts";

const exercises = Deno.args.length > 0 ? Deno.args : exercisesWith("demo.ts");
const results: string[] = [];
let failed = 0;
for (const nn of exercises) {
  const started = performance.now();
  console.error(`\n== exercise ${nn} ==`);
  const demo = startScript(`exercises/${nn}/demo.ts`);
  demo.stderr.onLine = (line) => console.error(line);
  const status = await demo.status;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const last = demo.stdout.lines.at(-1) ?? "(no summary printed)";
  const ok = status.code === 0;
  if (!ok) failed++;
  results.push(`ex${nn} ${ok ? "ok    " : "FAILED"} ${seconds.padStart(5)}s  ${last}`);
}
console.log("\n== demo summary ==");
for (const line of results) console.log(line);
Deno.exit(failed > 0 ? 1 : 0);
