/**
 * Exercise 02 against the real broker: commit-after-processing gives
 * at-least-once. The consumer runs as a real process and is killed with
 * SIGKILL; the ledger file shows what was processed how often.
 */
import assert from "node:assert/strict";
import { readTopic, requireService, withTopics } from "../../infra/testing.ts";
import { startScript } from "../../infra/script.ts";
import { duplicates, readLedger } from "./ledger.ts";
import { payments } from "./produce.ts";
import { committed, consumer, publishTo, range, setup, untilProcessed } from "./_testing.ts";

Deno.test("consumer.ts reprocesses exactly the message it processed but did not commit before a crash", async () => {
  await requireService("kafka");
  const s = await setup(1);
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async () => {
    await publishTo(s, payments(10, 0));
    const crashed = await consumer(s, { CRASH_AFTER: "5" }).status;
    assert.equal(crashed.signal, "SIGKILL", "CRASH_AFTER kills the process");
    // Offsets 0-3 were committed one by one; offset 4 was processed, then the crash.
    assert.equal((await committed(s)).get(0), "4");
    assert.deepEqual(readLedger(s.ledger).map((e) => e.offset), range(0, 5));

    const restarted = consumer(s);
    try {
      await untilProcessed(s, new Set(range(0, 10).map((o) => `0@${o}`)));
    } finally {
      await restarted.stop();
    }
    const dups = duplicates(readLedger(s.ledger));
    assert.deepEqual(
      dups.map((d) => d.offset),
      ["4"],
      "only the uncommitted message is processed twice",
    );
    assert.notEqual(
      dups[0].pids[0],
      dups[0].pids[1],
      "once by the crashed process, once by the new one",
    );
    assert.equal((await committed(s)).get(0), "10");
  });
});

Deno.test("consumer.ts with COMMIT_MODE=batch reprocesses the whole uncommitted part of the batch", async () => {
  await requireService("kafka");
  const s = await setup(1, { COMMIT_MODE: "batch" });
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async () => {
    await publishTo(s, payments(10, 0));
    const crashed = await consumer(s, { CRASH_AFTER: "5" }).status;
    assert.equal(crashed.signal, "SIGKILL");
    const from = Number((await committed(s)).get(0));
    const start = from < 0 ? 0 : from;
    const restarted = consumer(s);
    try {
      await untilProcessed(s, new Set(range(0, 10).map((o) => `0@${o}`)));
    } finally {
      await restarted.stop();
    }
    // Everything from the committed offset up to the crash point, and nothing else.
    assert.deepEqual(duplicates(readLedger(s.ledger)).map((d) => d.offset), range(start, 5));
    assert.ok(5 - start > 1, `a batch commit leaves a wider window (committed ${from})`);
  });
});

Deno.test("consumer.ts loses nothing across repeated SIGKILLs at random moments", async () => {
  await requireService("kafka");
  const s = await setup(3);
  const total = 3000;
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async (admin) => {
    await publishTo(s, payments(total, 0));
    const ends = await admin.fetchTopicOffsets(s.env.PAYMENTS_TOPIC);
    const expected = new Set(
      ends.flatMap((p) => range(0, Number(p.high)).map((o) => `${p.partition}@${o}`)),
    );
    assert.equal(expected.size, total);

    let kills = 0;
    for (let round = 0; round < 5; round++) {
      const before = readLedger(s.ledger).length;
      if (before >= total) break;
      const running = consumer(s);
      // Let it get through a random number of messages, then kill it mid-stream.
      const target = before + 100 + Math.floor(Math.random() * 400);
      const deadline = Date.now() + 30_000;
      while (readLedger(s.ledger).length < target && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const status = await running.stop("SIGKILL");
      if (status.signal === "SIGKILL") kills++;
    }
    const last = consumer(s);
    try {
      await untilProcessed(s, expected, 90_000);
    } finally {
      await last.stop();
    }
    const entries = readLedger(s.ledger);
    const seen = new Set(entries.map((e) => `${e.partition}@${e.offset}`));
    assert.equal([...expected].filter((k) => !seen.has(k)).length, 0, "every message processed");
    const dups = duplicates(entries);
    console.error(`survived ${kills} SIGKILLs; ${dups.length} messages processed twice`);
    assert.ok(kills >= 4, `the consumer was killed mid-stream (${kills} kills)`);
    // Per-message commits: at most one processed-but-uncommitted message per kill.
    assert.ok(dups.length <= kills, `${dups.length} duplicates for ${kills} kills`);
  });
});

Deno.test("consumer.ts retries a failing message, dead-letters it after the last attempt, and moves on", async () => {
  await requireService("kafka");
  const s = await setup(1, { MAX_ATTEMPTS: "3" });
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async () => {
    await publishTo(s, [
      { value: JSON.stringify({ payment_id: "ok-1", amount: 100 }) },
      { value: JSON.stringify({ payment_id: "flaky", amount: 200, fail_attempts: 2 }) },
      { value: JSON.stringify({ payment_id: "broken", amount: 300, fail_attempts: 9 }) },
      { value: "not json" },
      { value: JSON.stringify({ payment_id: "ok-2", amount: 500 }) },
    ]);
    const running = consumer(s);
    try {
      await untilProcessed(s, new Set(["0@0", "0@1", "0@4"]));
      await running.stderr.waitFor(
        (l) => l.filter((x) => x.includes("dead-lettered")).length === 2,
        10_000,
      );
    } finally {
      await running.stop();
    }
    assert.deepEqual(readLedger(s.ledger).map((e) => [e.payment_id, e.attempt]), [
      ["ok-1", 1],
      ["flaky", 3],
      ["ok-2", 1],
    ]);
    const attempts = running.stderr.lines.filter((l) => l.includes("/0@2 attempt"));
    assert.equal(attempts.length, 3, "the always-failing message gets MAX_ATTEMPTS attempts");
    const notJson = running.stderr.lines.filter((l) => l.includes("/0@3 attempt"));
    assert.equal(notJson.length, 1, "a message that can never parse is not retried");
    const dead = (await readTopic(s.env.PAYMENTS_DLQ_TOPIC)).map((m) => JSON.parse(m.value!));
    assert.deepEqual(
      dead.map((
        d,
      ) => [d.source, d.record === "not json" ? "not json" : JSON.parse(d.record).payment_id]),
      [
        [`${s.env.PAYMENTS_TOPIC}/0@2`, "broken"],
        [`${s.env.PAYMENTS_TOPIC}/0@3`, "not json"],
      ],
    );
    assert.match(dead[0].error, /downstream failed on attempt 3/);
    assert.match(dead[1].error, /^not valid JSON/);
    assert.equal((await committed(s)).get(0), "5", "the partition moved past both");
  });
});

Deno.test("consumer.ts does not commit a message whose processing failed: a crash during its retries leaves it to the next consumer", async () => {
  await requireService("kafka");
  const s = await setup(1, { MAX_ATTEMPTS: "3" });
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async () => {
    await publishTo(s, [{
      value: JSON.stringify({ payment_id: "flaky", amount: 100, fail_attempts: 1 }),
    }]);
    // A long retry delay: the process is killed while it waits for attempt 2.
    const first = consumer(s, { RETRY_DELAY_MS: "30000" });
    await first.stderr.waitFor(
      (l) => l.some((x) => x.includes("attempt 1/3 failed")),
      30_000,
      "a failed attempt",
    );
    await first.stop("SIGKILL");
    assert.equal((await committed(s)).get(0), "-1", "nothing committed");
    assert.equal(readLedger(s.ledger).length, 0);

    const second = consumer(s);
    try {
      await untilProcessed(s, new Set(["0@0"]));
    } finally {
      await second.stop();
    }
    assert.deepEqual(readLedger(s.ledger).map((e) => [e.payment_id, e.attempt]), [["flaky", 2]]);
  });
});

Deno.test("autocommit_consumer.ts loses the messages it had queued when it is killed", async () => {
  await requireService("kafka");
  const s = await setup(1);
  await withTopics([s.env.PAYMENTS_TOPIC, s.env.PAYMENTS_DLQ_TOPIC], async () => {
    await publishTo(s, payments(500, 0));
    const crashed = await startScript("exercises/02/autocommit_consumer.ts", [], {
      ...s.env,
      CRASH_AFTER: "100",
    }).status;
    assert.equal(crashed.signal, "SIGKILL");
    const committedAtCrash = Number((await committed(s)).get(0));
    assert.ok(
      committedAtCrash > 100,
      `auto-commit ran ahead of processing (committed ${committedAtCrash})`,
    );

    // Even the correct consumer cannot bring them back: the group's offset is past them.
    const restarted = consumer(s);
    try {
      await restarted.stderr.waitFor(
        (l) => l.some((x) => x.includes("holds partitions [0]")),
        30_000,
      );
      if (committedAtCrash < 500) await untilProcessed(s, new Set(["0@499"]));
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await restarted.stop();
    }
    const seen = new Set(readLedger(s.ledger).map((e) => Number(e.offset)));
    const lost = range(0, 500).map(Number).filter((o) => !seen.has(o));
    assert.deepEqual(
      lost,
      range(100, committedAtCrash).map(Number),
      "lost: processed never, committed already",
    );
  });
});
