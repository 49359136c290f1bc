/**
 * solution.ts copied alone into an empty folder (no deno.json, no import
 * map) and run there against the real broker: two members of one group
 * split the partitions and print exactly the orders over ₹10,000, once each.
 */
import assert from "node:assert/strict";
import { readTopic, requireService, uniqueName, until, withTopics } from "../../infra/testing.ts";
import { copyAlone, startScript } from "../../infra/script.ts";
import { isAbove, parseOrder } from "./order.ts";

Deno.test("solution.ts, copied alone, prints exactly the orders over 10000 once, split by two members", async () => {
  await requireService("kafka");
  const dir = await copyAlone(["exercises/01/solution.ts", "exercises/01/orders.ndjson"]);
  const topic = uniqueName("test-solution-orders");
  const env = {
    ORDERS_TOPIC: topic,
    ORDERS_DLQ_TOPIC: `${topic}.dlq`,
    ORDERS_GROUP: uniqueName("g"),
  };
  // orders.ndjson is orders.json one record per line (the short solution refuses a JSON
  // array with a broken element whole); what they hold, by the hardened version's rules.
  const lines = (await Deno.readTextFile(`${dir}/orders.ndjson`)).trim().split("\n");
  const fromJson = (await Deno.readTextFile(new URL("./orders.json", import.meta.url)))
    .split("\n").map((l) => l.trim().replace(/,$/, "")).filter((l) => !["[", "]", ""].includes(l));
  assert.deepEqual(lines, fromJson, "orders.ndjson holds the records of orders.json");
  const checked = lines.map((line) => parseOrder(line));
  const expected = checked.flatMap((c) =>
    c.ok && isAbove(c.order, 10000) ? [c.order.order_id] : []
  );
  assert.ok(checked.some((c) => !c.ok) && expected.length >= 5, "the sample has both kinds");
  await withTopics([topic, `${topic}.dlq`], async () => {
    const members = [0, 1].map(() => startScript("solution.ts", ["consume"], env, dir));
    try {
      for (const m of members) {
        await m.stderr.waitFor((l) => l.some((x) => /partitions \[\d/.test(x)), 60_000, "a share");
      }
      const produced = startScript("solution.ts", ["produce", "orders.ndjson"], env, dir);
      assert.equal((await produced.status).code, 0, produced.stderr.tail());
      assert.deepEqual(JSON.parse(produced.stdout.lines[0]), {
        published: checked.filter((c) => c.ok).length,
        rejected: checked.filter((c) => !c.ok).length,
      });
      const printed = () => members.flatMap((m) => m.stdout.lines);
      await until(() => printed().length >= expected.length, 30_000, "the orders above 10000");
      await new Promise((r) => setTimeout(r, 1000)); // room for a wrong extra one
      const ids = printed().map((line) => JSON.parse(line).order.order_id);
      assert.deepEqual(ids.toSorted(), expected.toSorted());
      assert.ok(members.every((m) => m.stdout.lines.length > 0), "both members printed orders");
    } finally {
      for (const m of members) assert.equal((await m.stop("SIGTERM")).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal((await readTopic(`${topic}.dlq`)).length, checked.filter((c) => !c.ok).length);
  });
});
