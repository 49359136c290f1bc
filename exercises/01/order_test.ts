import assert from "node:assert/strict";
import { checkOrder, isAbove, parseOrder } from "./order.ts";

const valid = { order_id: "o1", customer_id: "c1", amount: 12000 };

Deno.test("parseOrder() accepts a valid order and keeps extra fields", () => {
  const checked = parseOrder(JSON.stringify({ ...valid, items: 3, currency: "INR" }));
  assert.deepEqual(checked, { ok: true, order: { ...valid, items: 3, currency: "INR" } });
});

Deno.test("parseOrder() turns integer ids into strings", () => {
  const checked = parseOrder('{"order_id":1018,"customer_id":7,"amount":1}');
  assert.deepEqual(checked, { ok: true, order: { order_id: "1018", customer_id: "7", amount: 1 } });
});

Deno.test("parseOrder() rejects text that is not JSON, naming the reason", () => {
  const checked = parseOrder('{"order_id": "o1",}');
  assert.equal(checked.ok, false);
  assert.match(!checked.ok ? checked.reason : "", /^not valid JSON: /);
});

Deno.test("checkOrder() rejects each broken field with its own reason", () => {
  const cases: [unknown, string][] = [
    [42, "an order must be a JSON object: got number 42"],
    [[valid], "an order must be a JSON object: got an array"],
    [null, "an order must be a JSON object: got null"],
    [{ ...valid, order_id: undefined }, "order_id is missing"],
    [{ ...valid, order_id: "" }, "order_id is missing"],
    [{ ...valid, customer_id: undefined }, "customer_id is missing"],
    [{ ...valid, customer_id: 1.5 }, "customer_id must be a string or an integer: got number 1.5"],
    [{ ...valid, amount: undefined }, "amount is missing"],
    [{ ...valid, amount: null }, "amount is missing"],
    [{ ...valid, amount: "25000" }, 'amount must be a number: got string "25000"'],
    [{ ...valid, amount: Infinity }, "amount must be finite: got Infinity"],
    [{ ...valid, amount: NaN }, "amount must be finite: got NaN"],
    [{ ...valid, amount: -1 }, "amount must not be negative: got -1"],
    [{ ...valid, currency: "USD" }, 'currency must be INR: got string "USD"'],
    [
      { ...valid, created_at: "yesterday" },
      'created_at must be an ISO 8601 date: got string "yesterday"',
    ],
    [
      { ...valid, customer_id: { id: 1 } },
      "customer_id must be a string or an integer: got an object",
    ],
    // Cut after 60 characters, between code points: a lone surrogate would reach the dead letter.
    [
      { ...valid, amount: "😀".repeat(5000) },
      `amount must be a number: got string "${"😀".repeat(60)}…" (5000 characters)`,
    ],
  ];
  for (const [value, reason] of cases) {
    assert.deepEqual(checkOrder(value), { ok: false, reason }, JSON.stringify(value));
  }
});

Deno.test("parseOrder() rejects an amount that overflows to Infinity", () => {
  assert.deepEqual(parseOrder('{"order_id":"o","customer_id":"c","amount":1e999}'), {
    ok: false,
    reason: "amount must be finite: got Infinity",
  });
});

Deno.test("isAbove() is strictly greater than the threshold", () => {
  const at = (amount: number) => isAbove({ ...valid, amount }, 10000);
  assert.equal(at(10000), false);
  assert.equal(at(9999.99), false);
  assert.equal(at(10000.01), true);
  assert.equal(at(250000), true);
});
