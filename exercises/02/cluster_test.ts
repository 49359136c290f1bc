/**
 * Exercise 02 on three brokers (infra/kafka_cluster.ts): the broker that
 * coordinates the consumer's group (it holds the group's committed offsets)
 * is killed with SIGKILL at a random moment while the consumer works, and
 * restarted. Nothing is lost; what is processed twice is what was processed
 * but not yet committed when the commits stopped.
 */
import assert from "node:assert/strict";
import { coordinatorOf, startKafkaCluster } from "../../infra/kafka_cluster.ts";
import { quietKafkajsWarnings } from "../../infra/kafka.ts";
import { testKafka } from "../../infra/testing.ts";
import { duplicates, readLedger } from "./ledger.ts";
import { payments } from "./produce.ts";
import { consumer, publishTo, range, setup, untilProcessed } from "./_testing.ts";

quietKafkajsWarnings();

Deno.test({
  name: "killing the group coordinator's broker mid-run loses no payment; duplicates stay " +
    "within what was processed but not committed",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cluster = await startKafkaCluster();
    const admin = testKafka(cluster.brokers).admin();
    const s = await setup(3, { KAFKA_BROKERS: cluster.brokers.join(",") });
    const total = 6000;
    try {
      await publishTo(s, payments(total, 0));
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(s.env.PAYMENTS_TOPIC);
      const expected = new Set(
        ends.flatMap((p) => range(0, Number(p.high)).map((o) => `${p.partition}@${o}`)),
      );
      assert.equal(expected.size, total);

      const running = consumer(s);
      try {
        const target = 300 + Math.floor(Math.random() * 1000);
        await untilLedger(s.ledger, target);
        const coordinator = await coordinatorOf(admin);
        const atKill = readLedger(s.ledger).length;
        const killedAt = performance.now();
        await cluster.kill(coordinator);
        await new Promise((r) => setTimeout(r, 3000));
        await cluster.restart(coordinator);
        await untilProcessed(s, expected, 120_000);
        const entries = readLedger(s.ledger);
        const seen = new Set(entries.map((e) => `${e.partition}@${e.offset}`));
        assert.equal([...expected].filter((k) => !seen.has(k)).length, 0, "nothing lost");
        const dups = duplicates(entries);
        // One message per partition at most can be processed and not committed
        // (per-message commits, one message of a partition at a time).
        assert.ok(dups.length <= 3, `${dups.length} processed twice`);
        const stalled = stallAfter(s.ledger, killedAt);
        console.log(
          `coordinator ${coordinator} killed after ${atKill} of ${total} payments; ` +
            `${dups.length} processed twice; longest gap in processing ${stalled} s`,
        );
      } finally {
        await running.stop();
      }
    } finally {
      await admin.disconnect();
      await cluster.stop();
      await Deno.remove(s.ledger);
    }
  },
});

async function untilLedger(ledger: string, count: number) {
  const deadline = Date.now() + 60_000;
  while (readLedger(ledger).length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} payments processed in 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The longest pause between two ledger lines written after `from` (performance.now() time). */
function stallAfter(ledger: string, from: number): number {
  const fromMs = Date.now() - (performance.now() - from);
  const times = readLedger(ledger)
    .map((e) => Date.parse(e.processed_at))
    .filter((t) => t >= fromMs - 1000)
    .sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  return Math.round(longest / 100) / 10;
}
