/**
 * THE WRONG WAY, kept to show what it costs: auto-commit plus processing that
 * finishes after the handler returns. kafkajs commits an offset once the
 * handler has returned, on a timer; here the handler only queues the message
 * for a slower worker, as code that "processes in the background" does. Kill
 * the process and every message that was queued but not processed is gone: its
 * offset is already committed, so the restarted group never reads it again.
 *
 * Same settings as consumer.ts (`CRASH_AFTER` included); it writes the same
 * ledger, so the demo and the tests can count what was lost.
 *
 * @example
 * ```sh
 * CRASH_AFTER=100 deno run -A exercises/02/autocommit_consumer.ts
 * ```
 * @module
 */
import { ensureTopics, kafkaClient } from "../../infra/kafka.ts";
import { readConfig, topicsOf } from "./config.ts";
import { Ledger } from "./ledger.ts";
import { parsePayment } from "./payment.ts";

const config = readConfig();
const kafka = kafkaClient(config.brokers, "payments-autocommit");
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, topicsOf(config));
await admin.disconnect();
const ledger = new Ledger(config.ledgerFile);
const consumer = kafka.consumer({
  groupId: config.groupId,
  sessionTimeout: config.sessionTimeoutMs,
});
const queue: { partition: number; offset: string; value: string | null }[] = [];
let processed = 0;

// The background worker: 5 ms per message, like a slow database write.
(async () => {
  for (;;) {
    const item = queue.shift();
    if (!item) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    await new Promise((r) => setTimeout(r, 5));
    const payment = parsePayment(item.value);
    ledger.append({
      topic: config.topic,
      partition: item.partition,
      offset: item.offset,
      payment_id: payment.payment_id,
      amount: payment.amount,
      attempt: 1,
      pid: Deno.pid,
      processed_at: new Date().toISOString(),
    });
    if (++processed === config.crashAfter) {
      console.error(
        `autocommit ${Deno.pid}: CRASH_AFTER=${config.crashAfter}: killed with ${queue.length} messages still queued`,
      );
      Deno.kill(Deno.pid, "SIGKILL");
    }
  }
})();

await consumer.connect();
await consumer.subscribe({ topic: config.topic, fromBeginning: true });
await consumer.run({
  autoCommit: true,
  autoCommitInterval: 100,
  // The mistake: return before the work is done.
  eachMessage: ({ partition, message }) => {
    queue.push({ partition, offset: message.offset, value: message.value?.toString() ?? null });
    return Promise.resolve();
  },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await consumer.disconnect();
    Deno.exit(0);
  });
}
