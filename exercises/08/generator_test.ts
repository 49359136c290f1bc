import assert from "node:assert/strict";
import { readTopic, requireService } from "../../infra/testing.ts";
import { testConfig, withTopicsOf } from "./_testing.ts";
import { parseClick } from "./click.ts";
import { generate, parseFlags, syntheticEvents } from "./generator.ts";

Deno.test("syntheticEvents() makes valid clicks keyed by user, the same for the same seed", () => {
  const options = { count: 500, users: 20, seed: 3, now: () => 1_000 };
  const events = [...syntheticEvents(options)];
  assert.equal(events.length, 500);
  assert.deepEqual([...syntheticEvents(options)], events, "same seed, same events");
  assert.notDeepEqual([...syntheticEvents({ ...options, seed: 4 })], events);
  const users = new Set<string>();
  for (const event of events) {
    const checked = parseClick(event.value);
    assert.ok(checked.ok, event.value);
    assert.equal(event.key, checked.click.user_id);
    assert.equal(checked.click.ts, 1_000);
    assert.equal(event.bad, false);
    users.add(checked.click.user_id);
  }
  assert.ok(users.size > 10 && users.size <= 20, `${users.size} users`);
  assert.ok([...users].every((u) => /^u-\d\d$/.test(u)));
});

Deno.test("syntheticEvents() mixes in the asked fraction of events that fail validation", () => {
  const events = [...syntheticEvents({ count: 4000, bad: 0.1, seed: 9 })];
  const bad = events.filter((e) => e.bad);
  assert.ok(bad.length > 300 && bad.length < 500, `${bad.length} bad of 4000`);
  const reasons = new Set<string>();
  for (const event of events) {
    const checked = parseClick(event.value);
    assert.equal(!checked.ok, event.bad, event.value);
    if (!checked.ok) reasons.add(checked.reason.replace(/:.*$/, ""));
  }
  assert.deepEqual([...reasons].toSorted(), [
    "a click must be a JSON object",
    "not valid JSON",
    "ts must be epoch milliseconds or an ISO 8601 date-time with a zone",
    "user_id is missing",
  ]);
  assert.equal([...syntheticEvents({ count: 100, bad: 1 })].every((e) => e.bad), true);
});

Deno.test("parseFlags() reads the flags with their defaults and rejects bad values", () => {
  assert.deepEqual(parseFlags([]), { count: 10000, rate: 0, users: 100, bad: 0, seed: 1 });
  assert.deepEqual(
    parseFlags(["--count", "50", "--rate", "12.5", "--users", "3", "--bad", "0.5", "--seed=-2"]),
    { count: 50, rate: 12.5, users: 3, bad: 0.5, seed: -2 },
  );
  assert.throws(() => parseFlags(["--bad", "2"]), {
    name: "RangeError",
    message: `Cannot use '--bad' as it is not a fraction from 0 to 1: current value is "2"`,
  });
  assert.throws(() => parseFlags(["--count", "ten"]), /'--count'.*"ten"/);
  assert.throws(() => parseFlags(["--users", "0"]), /'--users'/);
  assert.throws(() => parseFlags(["--rate", ""]), /'--rate'/);
  // 1e300 is an integer, but beyond 2^53 the seed would not replay what it names.
  assert.throws(() => parseFlags(["--seed", "1e300"]), {
    name: "RangeError",
    message: `Cannot use '--seed' as it is not a safe integer: current value is "1e300"`,
  });
  assert.throws(() => parseFlags(["--colour", "red"]), /colour/);
});

Deno.test("generate() publishes every event once, one user's clicks in one partition", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopicsOf(config, async () => {
    const summary = await generate(config, { count: 2000, users: 30, bad: 0.05, seed: 5 }, {
      progressEvery: 0,
    });
    assert.equal(summary.sent, 2000);
    assert.equal(summary.interrupted, false);
    const messages = await readTopic(config.topic);
    assert.equal(messages.length, 2000);
    const failing = messages.filter((m) => !parseClick(m.value).ok);
    assert.equal(failing.length, summary.bad);
    assert.ok(summary.bad > 50 && summary.bad < 150, `${summary.bad} bad`);
    const partitionOf = new Map<string, Set<number>>();
    for (const m of messages) {
      partitionOf.set(m.key!, (partitionOf.get(m.key!) ?? new Set()).add(m.partition));
    }
    for (const [user, partitions] of partitionOf) assert.equal(partitions.size, 1, user);
    assert.equal(new Set(messages.map((m) => m.partition)).size, 3, "spread over 3 partitions");
  });
});
