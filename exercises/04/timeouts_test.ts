import assert from "node:assert/strict";
import { Timeouts } from "./timeouts.ts";

/** A call that never settles, as a command to a hung Redis. */
const never = () => new Promise<string>(() => {});

Deno.test("Timeouts.run() fails a call that outlives the timeout, with the message", async () => {
  const timeouts = new Timeouts(50, "Command timed out");
  try {
    await assert.rejects(timeouts.run(never()), { name: "Error", message: "Command timed out" });
    assert.equal(timeouts.size, 0);
  } finally {
    timeouts.stop();
  }
});

Deno.test("Timeouts.run() passes a result and an error through", async () => {
  const timeouts = new Timeouts(1_000, "Command timed out");
  try {
    assert.equal(await timeouts.run(Promise.resolve("user 42")), "user 42");
    await assert.rejects(timeouts.run(Promise.reject(new Error("WRONGTYPE"))), /WRONGTYPE/);
    assert.equal(timeouts.size, 0, "settled calls are not watched any more");
  } finally {
    timeouts.stop();
  }
});

Deno.test("Timeouts.run() times each call from its own start", async () => {
  const timeouts = new Timeouts(100, "Command timed out");
  try {
    const failed: string[] = [];
    const first = timeouts.run(never()).catch(() => failed.push("first"));
    await new Promise((resolve) => setTimeout(resolve, 60));
    const second = timeouts.run(never()).catch(() => failed.push("second"));
    await first;
    // The first call's timer found the second one with time left: not failed with it.
    assert.deepEqual(failed, ["first"]);
    assert.equal(timeouts.size, 1);
    await second;
    assert.deepEqual(failed, ["first", "second"]);
  } finally {
    timeouts.stop();
  }
});

Deno.test("Timeouts.stop() clears the timer while calls are running", () => {
  const timeouts = new Timeouts(60_000, "Command timed out");
  timeouts.run(never()).catch(() => {});
  timeouts.stop();
  // Deno's sanitizer fails this test if a timer is left behind.
  assert.equal(timeouts.size, 0);
});
