import assert from "node:assert/strict";
import { duplicates, type Entry, Ledger, readLedger } from "./ledger.ts";

const entry = (partition: number, offset: string, pid: number): Entry => ({
  topic: "t",
  partition,
  offset,
  payment_id: `p-${offset}`,
  amount: 1,
  attempt: 1,
  pid,
  processed_at: "2026-11-25T00:00:00.000Z",
});

Deno.test("Ledger appends lines that readLedger() reads back", async () => {
  const path = await Deno.makeTempFile();
  try {
    const ledger = new Ledger(path);
    ledger.append(entry(0, "0", 1));
    ledger.append(entry(0, "1", 1));
    ledger.close();
    const again = new Ledger(path);
    again.append(entry(1, "0", 2));
    again.close();
    assert.deepEqual(readLedger(path).map((e) => `${e.partition}@${e.offset}`), [
      "0@0",
      "0@1",
      "1@0",
    ]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readLedger() reads a missing file as empty", () => {
  assert.deepEqual(readLedger("/nonexistent/ledger.ndjson"), []);
});

Deno.test("duplicates() lists messages processed more than once, with the pids, in offset order", () => {
  const entries = [
    entry(0, "9", 1),
    entry(0, "10", 1),
    entry(1, "3", 1),
    entry(0, "10", 2),
    entry(0, "9", 2),
  ];
  assert.deepEqual(duplicates(entries), [
    { partition: 0, offset: "9", pids: [1, 2] },
    { partition: 0, offset: "10", pids: [1, 2] },
  ]);
});

Deno.test("readLedger() leaves out a last line that is not written whole yet", async () => {
  const path = await Deno.makeTempFile({ suffix: ".ndjson" });
  try {
    const complete = JSON.stringify({ partition: 0, offset: "1" });
    await Deno.writeTextFile(path, `${complete}\n{"partition":0,"off`);
    assert.deepEqual(readLedger(path).map((e) => e.offset), ["1"]);
  } finally {
    await Deno.remove(path);
  }
});
