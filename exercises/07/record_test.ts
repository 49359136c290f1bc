import assert from "node:assert/strict";
import { characters, checkRecord, isRecordId } from "./record.ts";

const valid = { customer_id: "c-42", amount: 15999.5 };

Deno.test("checkRecord() accepts a record and fills in the defaults", () => {
  assert.deepEqual(checkRecord(valid), {
    ok: true,
    record: { customer_id: "c-42", amount: 15999.5, currency: "INR", tags: [] },
  });
  assert.deepEqual(
    checkRecord({ ...valid, amount: 0, currency: "USD", tags: ["gift", "b2b"] }),
    {
      ok: true,
      record: { customer_id: "c-42", amount: 0, currency: "USD", tags: ["gift", "b2b"] },
    },
  );
});

Deno.test("checkRecord() rejects unknown fields, naming them", () => {
  assert.deepEqual(checkRecord({ ...valid, amout: 5 }), {
    ok: false,
    reason: 'unknown field "amout": a record has customer_id, amount, currency, tags',
  });
  // The server picks the id and the time; a client cannot.
  assert.match(reasonOf({ ...valid, id: "x" }), /^unknown field "id"/);
  assert.match(reasonOf({ ...valid, created_at: "x" }), /^unknown field "created_at"/);
  // JSON.parse makes "__proto__" an own key; it must not slip through.
  assert.match(
    reasonOf(JSON.parse('{"customer_id":"c","amount":1,"__proto__":{"x":1}}')),
    /"__proto__"/,
  );
});

function reasonOf(value: unknown): string {
  const checked = checkRecord(value);
  return checked.ok ? "(accepted)" : checked.reason;
}

Deno.test("checkRecord() rejects each broken field with its own reason", () => {
  const cases: [unknown, string][] = [
    [42, "a record must be a JSON object: got number 42"],
    [[valid], "a record must be a JSON object: got an array"],
    [null, "a record must be a JSON object: got null"],
    ["x", 'a record must be a JSON object: got string "x"'],
    [{ amount: 1 }, "customer_id is missing"],
    [{ ...valid, customer_id: null }, "customer_id is missing"],
    [{ ...valid, customer_id: 42 }, "customer_id must be a string: got number 42"],
    [{ ...valid, customer_id: "  " }, "customer_id must not be empty"],
    [
      { ...valid, customer_id: "c".repeat(65) },
      "customer_id must be at most 64 characters: got 65",
    ],
    [{ customer_id: "c" }, "amount is missing"],
    [{ ...valid, amount: "15999" }, 'amount must be a number: got string "15999"'],
    [{ ...valid, amount: true }, "amount must be a number: got boolean true"],
    [{ ...valid, amount: Infinity }, "amount must be finite: got Infinity"],
    [{ ...valid, amount: -0.01 }, "amount must not be negative: got -0.01"],
    [
      { ...valid, currency: "inr" },
      'currency must be 3 capital letters (ISO 4217): got string "inr"',
    ],
    [{ ...valid, currency: null }, "currency must be 3 capital letters (ISO 4217): got null"],
    [{ ...valid, tags: "gift" }, 'tags must be an array of strings: got string "gift"'],
    [{ ...valid, tags: Array(11).fill("t") }, "tags must have at most 10 items: got 11"],
    [
      { ...valid, tags: ["a", 5] },
      "tags[1] must be a non-empty string of at most 32 characters: got number 5",
    ],
    [
      { ...valid, tags: ["t".repeat(33)] },
      `tags[0] must be a non-empty string of at most 32 characters: got string "${"t".repeat(33)}"`,
    ],
  ];
  for (const [value, reason] of cases) {
    assert.deepEqual(checkRecord(value), { ok: false, reason }, JSON.stringify(value));
  }
});

Deno.test("checkRecord() rejects an amount that JSON.parse turned into Infinity", () => {
  assert.equal(
    reasonOf(JSON.parse('{"customer_id":"c","amount":1e999}')),
    "amount must be finite: got Infinity",
  );
});

Deno.test("checkRecord() cuts long values in its messages", () => {
  const reason = reasonOf({ ...valid, amount: "x".repeat(10_000) });
  assert.equal(
    reason,
    `amount must be a number: got string "${"x".repeat(60)}…" (10000 characters)`,
  );
});

Deno.test("checkRecord() counts lengths in characters, not UTF-16 units", () => {
  // An emoji is one character and two UTF-16 units: 40 of them are 40, not 80.
  const emoji = "😀";
  assert.equal(checkRecord({ ...valid, customer_id: emoji.repeat(64) }).ok, true);
  assert.equal(
    reasonOf({ ...valid, customer_id: emoji.repeat(65) }),
    "customer_id must be at most 64 characters: got 65",
  );
  assert.equal(checkRecord({ ...valid, tags: [emoji.repeat(32), "é".repeat(32)] }).ok, true);
  assert.match(
    reasonOf({ ...valid, tags: [emoji.repeat(33)] }),
    /^tags\[0\] must be .* 32 characters/,
  );
  // Cut in messages between characters, never inside a surrogate pair.
  assert.equal(
    reasonOf({ ...valid, amount: emoji.repeat(61) }),
    `amount must be a number: got string "${emoji.repeat(60)}…" (61 characters)`,
  );
});

Deno.test("characters() counts code points", () => {
  assert.equal(characters(""), 0);
  assert.equal(characters("c-42"), 4);
  assert.equal(characters("😀".repeat(40)), 40);
});

Deno.test("isRecordId() accepts only a lowercase UUID", () => {
  assert.equal(isRecordId(crypto.randomUUID()), true);
  for (
    const id of [
      "",
      "abc",
      "records:*",
      crypto.randomUUID().toUpperCase(),
      `${crypto.randomUUID()}x`,
      "../x",
    ]
  ) {
    assert.equal(isRecordId(id), false, id);
  }
});
