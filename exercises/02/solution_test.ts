/**
 * solution.ts copied alone into an empty folder and run there against the
 * real broker: killed between processing a message and committing it, the
 * restarted consumer processes exactly that message again, and loses none.
 */
import assert from "node:assert/strict";
import { requireService, testKafka, uniqueName, withTopics } from "../../infra/testing.ts";
import { copyAlone, startScript } from "../../infra/script.ts";
import { readLedger } from "./ledger.ts";

/** solution.ts alone in a new folder, with a topic of one partition, a group and a ledger of its own. */
async function copied() {
  const dir = await copyAlone(["exercises/02/solution.ts"]);
  const topic = uniqueName("test-solution-payments");
  const env = {
    PAYMENTS_TOPIC: topic,
    PAYMENTS_GROUP: uniqueName("g"),
    PAYMENTS_PARTITIONS: "1",
    LEDGER_FILE: `${dir}/ledger.ndjson`,
  };
  return { dir, topic, env };
}

Deno.test("solution.ts, copied alone, reprocesses exactly the message it processed but did not commit", async () => {
  await requireService("kafka");
  const { dir, topic, env } = await copied();
  await withTopics([topic], async () => {
    try {
      const produced = startScript("solution.ts", ["produce", "10"], env, dir);
      assert.equal((await produced.status).code, 0, produced.stderr.tail());

      const crashed = startScript("solution.ts", ["consume"], { ...env, CRASH_AFTER: "5" }, dir);
      const status = await crashed.status;
      assert.equal(status.signal, "SIGKILL", crashed.stderr.tail());
      assert.deepEqual(readLedger(env.LEDGER_FILE).map((e) => e.offset), ["0", "1", "2", "3", "4"]);

      const restarted = startScript("solution.ts", ["consume"], env, dir);
      try {
        await restarted.stdout.waitFor((lines) => lines.length >= 6, 60_000, "offsets 4 to 9");
        await new Promise((r) => setTimeout(r, 500)); // room for a wrong extra one
      } finally {
        assert.equal((await restarted.stop("SIGTERM")).code, 0);
      }
      const ledger = readLedger(env.LEDGER_FILE);
      const offsets = ledger.map((e) => e.offset);
      assert.deepEqual(offsets, ["0", "1", "2", "3", "4", "4", "5", "6", "7", "8", "9"]);
      assert.notEqual(ledger[4].pid, ledger[5].pid, "offset 4 again, by the new process");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("solution.ts, copied alone, does not commit a message it failed on and exits 1", async () => {
  await requireService("kafka");
  const { dir, topic, env } = await copied();
  await withTopics([topic], async (admin) => {
    try {
      const produced = startScript("solution.ts", ["produce", "1"], env, dir);
      assert.equal((await produced.status).code, 0, produced.stderr.tail());
      const producer = testKafka().producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: [{ value: "not json" }, { value: '{"payment_id":"p-x"}' }],
      });
      await producer.disconnect();
      for (const run of [1, 2]) {
        const consumer = startScript("solution.ts", ["consume"], env, dir);
        const status = await consumer.status;
        assert.equal(status.code, 1, `run ${run}: ${consumer.stderr.tail()}`);
        assert.match(consumer.stderr.tail(1), /^consumer stopped: .*not valid JSON/);
      }
      assert.deepEqual(readLedger(env.LEDGER_FILE).map((e) => e.payment_id), ["p-0"]);
      const [offsets] = await admin.fetchOffsets({ groupId: env.PAYMENTS_GROUP, topics: [topic] });
      assert.equal(
        offsets.partitions[0].offset,
        "1",
        "committed up to the bad message, not past it",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
