/**
 * The ledger: an append-only file with one JSON line per processed message, so
 * a test or the demo can see exactly what was processed, how often, and by
 * which process. Each line is written with one write call before the offset is
 * committed, so a SIGKILL cannot lose a line that was processed.
 *
 * @module
 */

/** One processed message. */
export interface Entry {
  topic: string;
  partition: number;
  offset: string;
  payment_id: string;
  amount: number;
  /** Which attempt succeeded (1 = first). */
  attempt: number;
  /** The process that did it: a restart shows up as a new pid. */
  pid: number;
  processed_at: string;
}

/** Appends entries to the ledger file, creating it if needed. */
export class Ledger {
  #file: Deno.FsFile;
  #encoder = new TextEncoder();

  constructor(path: string) {
    this.#file = Deno.openSync(path, { append: true, create: true });
  }

  /** Writes the entry as one line, in one write call. */
  append(entry: Entry): void {
    const bytes = this.#encoder.encode(JSON.stringify(entry) + "\n");
    let written = 0;
    while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
  }

  close(): void {
    this.#file.close();
  }
}

/**
 * Reads every complete entry of a ledger file (none if it does not exist).
 * A line counts once its newline is there: text after the last newline is a
 * write still in progress (the consumer may be writing while a test reads).
 */
export function readLedger(path: string): Entry[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const lines = text.split("\n");
  lines.pop(); // "" after the last newline, or a line not written whole yet
  return lines.filter((line) => line !== "").map((line) => JSON.parse(line));
}

/** A message the ledger holds more than once. */
export interface Duplicate {
  partition: number;
  offset: string;
  /** The pids that processed it, in order. */
  pids: number[];
}

/**
 * The messages processed more than once, by partition and offset.
 *
 * @example
 * ```ts
 * duplicates(readLedger("ledger.ndjson")); // [{ partition: 0, offset: "4", pids: [311, 342] }]
 * ```
 */
export function duplicates(entries: Entry[]): Duplicate[] {
  const seen = new Map<string, Duplicate>();
  for (const e of entries) {
    const key = `${e.partition}@${e.offset}`;
    const d = seen.get(key) ?? { partition: e.partition, offset: e.offset, pids: [] };
    d.pids.push(e.pid);
    seen.set(key, d);
  }
  return [...seen.values()]
    .filter((d) => d.pids.length > 1)
    .sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
