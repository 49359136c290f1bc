import assert from "node:assert/strict";
import { parsePayment, ProcessingError, retryDelay } from "./payment.ts";
import { nextOffset } from "./consumer.ts";

Deno.test("parsePayment() reads a payment", () => {
  assert.deepEqual(parsePayment('{"payment_id":"p1","amount":2500}'), {
    payment_id: "p1",
    amount: 2500,
    fail_attempts: 0,
  });
});

Deno.test("parsePayment() throws ProcessingError naming the reason", () => {
  const cases: [string | null, RegExp][] = [
    [null, /no value/],
    ["nope", /^not valid JSON/],
    ["[1]", /JSON object/],
    ['{"amount":1}', /payment_id/],
    ['{"payment_id":"p","amount":0}', /positive integer \(paise\): got 0/],
    ['{"payment_id":"p","amount":1.5}', /got 1.5/],
    ['{"payment_id":"p","amount":"5"}', /got "5"/],
    ['{"payment_id":"p","amount":5,"fail_attempts":-1}', /fail_attempts/],
  ];
  for (const [value, reason] of cases) {
    assert.throws(
      () => parsePayment(value),
      (err: Error) => err instanceof ProcessingError && reason.test(err.message),
    );
  }
});

Deno.test("retryDelay() doubles from the base delay", () => {
  assert.deepEqual([2, 3, 4].map((a) => retryDelay(a, 200)), [200, 400, 800]);
});

Deno.test("nextOffset() adds one to an int64 offset without losing precision", () => {
  assert.equal(nextOffset("0"), "1");
  assert.equal(nextOffset("9007199254740993"), "9007199254740994");
});
