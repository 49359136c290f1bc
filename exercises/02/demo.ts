/**
 * Exercise 02 end to end, as `make demo` and `make ex02` run it:
 *
 * 1. 20 payments (two of them poison) on a one-partition topic;
 * 2. the consumer crashes (SIGKILL) right after processing its 8th message;
 * 3. a new consumer resumes from the committed offset: the demo shows which
 *    message was processed twice and why, and that none was lost;
 * 4. the same crash with auto-commit and background processing: messages lost.
 *
 * Progress goes to stderr; the last stdout line is the summary.
 *
 * @module
 */
import { testKafka } from "../../infra/testing.ts";
import { startScript } from "../../infra/script.ts";
import { readConfig } from "./config.ts";
import { duplicates, readLedger } from "./ledger.ts";
import { payments, publish } from "./produce.ts";

const TOTAL = 20;
const CRASH_AFTER = 8;
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = await Deno.makeTempDir({ prefix: "ex02-demo-" });
const topic = `demo-payments-${stamp}`;
const base = {
  PAYMENTS_TOPIC: topic,
  PAYMENTS_DLQ_TOPIC: `${topic}.dlq`,
  PAYMENTS_PARTITIONS: "1",
  RETRY_DELAY_MS: "50",
};
const failures: string[] = [];
const log = (line: string) => console.error(line);

async function committedOffset(groupId: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(t.partitions[0].offset);
  } finally {
    await admin.disconnect();
  }
}

/** Runs the consumer until the group has committed every offset (or 60 s), then stops it. */
async function runUntilCommitted(env: Record<string, string>) {
  const started = performance.now();
  const consumer = startScript("exercises/02/consumer.ts", [], env);
  consumer.stderr.onLine = (line) => log(`  ${line}`);
  let firstAt = 0;
  const deadline = Date.now() + 60_000;
  await consumer.stderr.waitFor((l) => l.some((x) => x.includes("holds partitions")), 60_000);
  while ((await committedOffset(env.PAYMENTS_GROUP)) < TOTAL && Date.now() < deadline) {
    if (firstAt === 0 && consumer.stdout.lines.length > 0) firstAt = performance.now();
    await new Promise((r) => setTimeout(r, 100));
  }
  if (firstAt === 0 && consumer.stdout.lines.length > 0) firstAt = performance.now();
  await consumer.stop();
  return { recoverySeconds: (firstAt - started) / 1000 };
}

// 1. The payments; every 7th message is poison (offsets 6 and 13).
await publish(readConfig(base), payments(TOTAL, 7));
log(`02: ${TOTAL} payments on ${topic} (offsets 6 and 13 are not JSON); ledgers in ${dir}`);

// 2. Commit after processing, crash after the 8th message.
const ledger = `${dir}/ledger.ndjson`;
const env = { ...base, PAYMENTS_GROUP: `demo-ledger-${stamp}`, LEDGER_FILE: ledger };
const crashed = startScript("exercises/02/consumer.ts", [], {
  ...env,
  CRASH_AFTER: `${CRASH_AFTER}`,
});
crashed.stderr.onLine = (line) => log(`  ${line}`);
const status = await crashed.status;
if (status.signal !== "SIGKILL") failures.push(`the crashing consumer exited with ${status.code}`);
const committedAtCrash = await committedOffset(env.PAYMENTS_GROUP);
log(
  `02: consumer killed; committed offset ${committedAtCrash}, ledger has ${
    readLedger(ledger).length
  } entries`,
);

// 3. Restart: it resumes at the committed offset.
const { recoverySeconds } = await runUntilCommitted(env);
const entries = readLedger(ledger);
const dups = duplicates(entries);
for (const d of dups) {
  log(
    `02: offset ${d.offset} was processed by pid ${d.pids[0]}, which died before committing it ` +
      `(the group's offset stayed at ${committedAtCrash}), and again by pid ${
        d.pids[1]
      } after the restart`,
  );
}
const seen = new Set(entries.map((e) => Number(e.offset)));
const poison = [6, 13];
const missing = Array.from({ length: TOTAL }, (_, i) => i).filter((o) =>
  !seen.has(o) && !poison.includes(o)
);
if (missing.length > 0) failures.push(`lost offsets ${missing}`);
if (dups.length !== 1 || dups[0].offset !== String(CRASH_AFTER - 1)) {
  failures.push(
    `expected offset ${CRASH_AFTER - 1} to be reprocessed once, got ${JSON.stringify(dups)}`,
  );
}

// 4. The wrong way: auto-commit while a background worker processes.
const lostLedger = `${dir}/autocommit-ledger.ndjson`;
const autoEnv = { ...base, PAYMENTS_GROUP: `demo-autocommit-${stamp}`, LEDGER_FILE: lostLedger };
log("02: now the same crash with auto-commit and processing after the handler returns:");
const auto = startScript("exercises/02/autocommit_consumer.ts", [], {
  ...autoEnv,
  CRASH_AFTER: "5",
});
auto.stderr.onLine = (line) => log(`  ${line}`);
await auto.status;
const autoCommitted = await committedOffset(autoEnv.PAYMENTS_GROUP);
await runUntilCommitted(autoEnv);
const autoSeen = new Set(readLedger(lostLedger).map((e) => Number(e.offset)));
const lost = Array.from({ length: TOTAL }, (_, i) => i).filter((o) =>
  !autoSeen.has(o) && !poison.includes(o)
);
log(
  `02: auto-commit had committed offset ${autoCommitted} after processing 5: lost offsets [${lost}]`,
);
if (lost.length === 0) failures.push("the auto-commit run lost nothing this time");

if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
console.log(
  `${TOTAL} payments; killed after ${CRASH_AFTER}: the restart reprocessed exactly the uncommitted ` +
    `offset ${dups[0].offset}, lost none, dead-lettered the 2 poison messages, recovered in ` +
    `${
      recoverySeconds.toFixed(1)
    } s; auto-commit with background work lost ${lost.length} messages`,
);
