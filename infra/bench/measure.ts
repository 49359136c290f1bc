/**
 * What a bench needs: run a command, time it, and read its peak memory.
 *
 * @module
 */
import { Lines, readLines } from "../script.ts";

/** One row of `make bench`: our number next to a reference tool's, same run. */
export interface Row {
  exercise: string;
  metric: string;
  unit: string;
  ours: number;
  reference: number;
  referenceTool: string;
  /** True for rates (ratio > 1 is good), false for memory and latency. */
  higherIsBetter: boolean;
}

/** How {@linkcode printTable} heads its table and where it keeps the rows. */
export interface TableOptions {
  /** Printed with the machine: `<title> on x86_64-…, 2 cores`. */
  title: string;
  /** The reference column's heading, and the ratio column's. */
  reference: string;
  ratio: string;
  /** Where the rows go as JSON, under `.bench/`. */
  file: string;
}

/** Prints the rows as one aligned table and keeps them in `.bench/<file>`. */
export async function printTable(rows: Row[], options: TableOptions): Promise<void> {
  const { title, reference, ratio, file } = options;
  const fmt = (n: number) => n >= 100 ? Math.round(n).toLocaleString("en") : n.toPrecision(3);
  const table = [["ex", "metric", "ours", reference, "tool", ratio]];
  for (const r of rows) {
    const better = r.higherIsBetter ? "higher is better" : "lower is better";
    table.push([
      r.exercise,
      r.metric,
      `${fmt(r.ours)} ${r.unit}`,
      `${fmt(r.reference)} ${r.unit}`,
      r.referenceTool,
      `${(r.ours / r.reference).toFixed(3)} (${better})`,
    ]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  console.log(`\n${title} on ${Deno.build.target}, ${navigator.hardwareConcurrency} cores`);
  for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
  await Deno.mkdir(".bench", { recursive: true });
  await Deno.writeTextFile(
    `.bench/${file}`,
    JSON.stringify({ at: new Date().toISOString(), rows }, null, 2) + "\n",
  );
}

/** Prints a row for infra/bench/mod.ts to collect (one JSON object per stdout line). */
export function report(row: Row): void {
  console.log(JSON.stringify(row));
}

/** A finished measured command. */
export interface Measured {
  code: number;
  seconds: number;
  /** Peak resident memory (VmHWM) of the process, in MB. */
  peakMb: number;
  stdout: string[];
  stderr: string[];
}

/** Options for {@linkcode measure}. */
export interface MeasureOptions {
  env?: Record<string, string>;
  /** Called for each stdout line as it arrives, with the seconds since start. */
  onLine?: (line: string, seconds: number) => void;
  /** Stop the process (SIGTERM) once this returns true for the lines so far. */
  stopWhen?: (stdout: string[]) => boolean;
  timeoutMs?: number;
}

/**
 * Runs `cmd args…`, sampling its peak RSS from /proc every 50 ms until it
 * exits (or `stopWhen` is true, then SIGTERM).
 */
export async function measure(
  cmd: string,
  args: string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  const { env = {}, onLine, stopWhen, timeoutMs = 300_000 } = options;
  const started = performance.now();
  const child = new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).spawn();
  const stdout = new Lines();
  const stderr = new Lines();
  let peakKb = 0;
  let stopped = false;
  const sample = () => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // The process has exited.
    }
  };
  const sampler = setInterval(sample, 50);
  const stop = () => {
    if (stopped) return;
    stopped = true;
    sample();
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  };
  const killer = setTimeout(stop, timeoutMs);
  stdout.onLine = (line) => {
    onLine?.(line, (performance.now() - started) / 1000);
    if (stopWhen?.(stdout.lines)) stop();
  };
  await Promise.all([readLines(child.stdout, stdout), readLines(child.stderr, stderr)]);
  const status = await child.status;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  clearTimeout(killer);
  return {
    code: status.code,
    seconds,
    peakMb: Math.round(peakKb / 1024),
    stdout: stdout.lines,
    stderr: stderr.lines,
  };
}

/** Fails the bench with the command's last stderr lines. */
export function check(result: Measured, what: string): Measured {
  if (result.code !== 0 && result.code !== 143) {
    throw new Error(`${what} exited with ${result.code}:\n${result.stderr.slice(-10).join("\n")}`);
  }
  return result;
}
