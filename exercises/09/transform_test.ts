import assert from "node:assert/strict";
import { seededRandom } from "../../infra/random.ts";
import { type PolarsTransformResult, transformOrders } from "./transform.ts";
import { transformOrdersPlain } from "./reference.ts";
import { type TransformResult } from "./summary.ts";

type Transform = (input: Uint8Array | string) => TransformResult;
/** Polars reading (TypeScript only when in doubt), TypeScript reading, and the plain reference. */
const transforms: [string, Transform][] = [
  ["transformOrders()", (input) => transformOrders(input)],
  [
    'transformOrders({ reader: "typescript" })',
    (input) => transformOrders(input, { reader: "typescript" }),
  ],
  ["transformOrdersPlain()", transformOrdersPlain],
];
const text = (result: TransformResult) => new TextDecoder().decode(result.ndjson);
const order = (
  customer_id: unknown,
  amount: unknown,
  created_at: unknown = "2024-05-01T10:00:00Z",
) => JSON.stringify({ customer_id, amount, created_at });

/** Compares the outputs line by line first, so a failure shows one line, not megabytes. */
function assertSameOutput(actual: TransformResult, expected: TransformResult): void {
  const [a, e] = [text(actual).split("\n"), text(expected).split("\n")];
  const i = a.findIndex((line, i) => line !== e[i]);
  if (i !== -1) assert.equal(a[i], e[i], `first difference on output line ${i + 1}`);
  assert.equal(a.length, e.length);
  assert.deepEqual(actual.ndjson, expected.ndjson);
  assert.deepEqual(actual.rows, expected.rows);
  assert.equal(actual.customers, expected.customers);
  assert.equal(actual.orders, expected.orders);
}

const handChecked = [
  '{"order_id":"o1","customer_id":"c2","amount":12000.5,"currency":"INR","created_at":"2024-05-01T10:00:00+05:30"}',
  '{"order_id":"o2","customer_id":"c1","amount":10000,"created_at":"2024-05-02T09:15:00Z"}',
  "",
  '{"order_id":"o3","customer_id":"c2","amount":99.99,"created_at":"2024-04-30T23:59:59.999Z"}',
  '{"order_id":"o4","customer_id":7,"amount":0.005,"created_at":"2024-05-03T00:00:00-01:00"}',
  '{"order_id":"o5","customer_id":"c1","amount":10000.01,"created_at":"2024-05-01T00:00:00.5+00:00","extra":{"n":[1,"]"]}}',
  '{"order_id":"o6","customer_id":"c2","amount":250000,"created_at":"2024-05-01T04:30:00Z"}',
];

const handCheckedOutput = [
  '{"customer_id":"7","orders":1,"total_amount":0.01,"avg_amount":0.01,"max_amount":0.01,"high_value_orders":0,"first_order_at":"2024-05-03T01:00:00.000Z","last_order_at":"2024-05-03T01:00:00.000Z"}',
  '{"customer_id":"c1","orders":2,"total_amount":20000.01,"avg_amount":10000.01,"max_amount":10000.01,"high_value_orders":1,"first_order_at":"2024-05-01T00:00:00.500Z","last_order_at":"2024-05-02T09:15:00.000Z"}',
  '{"customer_id":"c2","orders":3,"total_amount":262100.49,"avg_amount":87366.83,"max_amount":250000.00,"high_value_orders":2,"first_order_at":"2024-04-30T23:59:59.999Z","last_order_at":"2024-05-01T04:30:00.000Z"}',
].map((line) => line + "\n").join("");

for (const [name, transform] of transforms) {
  Deno.test(`${name} summarises a hand-checked input exactly`, () => {
    const result = transform(handChecked.join("\n"));
    assert.equal(text(result), handCheckedOutput);
    if (name === "transformOrders()") {
      assert.equal((result as PolarsTransformResult).reader, "polars");
    }
    assert.equal(result.orders, 6);
    assert.equal(result.customers, 3);
    assert.deepEqual(result.rows[1], {
      customer_id: "c1",
      orders: 2,
      total_amount: 20000.01,
      avg_amount: 10000.01, // 2000001 paise / 2 = 1000000.5, half up
      max_amount: 10000.01,
      high_value_orders: 1, // ₹10,000.00 exactly is not above ₹10,000
      first_order_at: "2024-05-01T00:00:00.500Z",
      last_order_at: "2024-05-02T09:15:00.000Z",
    });
  });

  Deno.test(`${name} gives the same output for a JSON array, NDJSON, bytes and text`, () => {
    const records = handChecked.filter((line) => line !== "");
    const inputs = [
      `[${records.join(",")}]`,
      `\n  [\n  ${records.join(",\n  ")}\n]\n`,
      records.join("\r\n") + "\r\n",
      new TextEncoder().encode("\uFEFF" + handChecked.join("\n")),
      "\uFEFF" + handChecked.join("\n"),
    ];
    for (const input of inputs) assert.equal(text(transform(input)), handCheckedOutput);
  });

  Deno.test(`${name} gives empty output (0 bytes) for empty input`, () => {
    for (const input of ["", " \n\r\n\t", "[]", " [ \n ] \n", "\uFEFF", new Uint8Array(0)]) {
      const { rows, ndjson, customers, orders } = transform(input);
      assert.deepEqual({ rows, ndjson, customers, orders }, {
        rows: [],
        ndjson: new Uint8Array(0),
        customers: 0,
        orders: 0,
      });
    }
  });

  Deno.test(`${name} reads integer-only amounts as money too`, () => {
    const result = transform([order("c1", 100), order("c1", 20001), order("c1", 0)].join("\n"));
    assert.equal(
      text(result),
      '{"customer_id":"c1","orders":3,"total_amount":20101.00,"avg_amount":6700.33,' +
        '"max_amount":20001.00,"high_value_orders":1,' +
        '"first_order_at":"2024-05-01T10:00:00.000Z","last_order_at":"2024-05-01T10:00:00.000Z"}\n',
    );
  });

  Deno.test(`${name} takes integer and string customer ids as one customer`, () => {
    const result = transform([order(7, 1), order("7", 2), order("07", 4), order(-3, 8)].join("\n"));
    assert.deepEqual(
      result.rows.map((row) => [row.customer_id, row.orders, row.total_amount]),
      [["-3", 1, 8], ["07", 1, 4], ["7", 2, 3]],
    );
  });

  Deno.test(`${name} rounds to paise half up, on the amount as a double`, () => {
    const totals = (...amounts: number[]) =>
      transform(amounts.map((amount) => order("c", amount)).join("\n")).rows[0];
    assert.equal(totals(0.005).total_amount, 0.01); // half to even would give 0.00
    assert.equal(totals(0.125).total_amount, 0.13);
    assert.equal(totals(1.005).total_amount, 1); // 1.005 is 1.00499999999999989... as a double
    assert.equal(totals(0.01, 0.02).avg_amount, 0.02); // 1.5 paise
    assert.equal(totals(0.01, 0.01, 0.02).avg_amount, 0.01); // 1.33 paise
    assert.equal(totals(0.01, 0.02, 0.02).avg_amount, 0.02); // 1.67 paise
    assert.equal(totals(10000.004).high_value_orders, 0); // ₹10,000.00 once in paise
    assert.equal(totals(10000.006).high_value_orders, 1);
  });

  Deno.test(`${name} sorts customers by UTF-8 bytes`, () => {
    const ids = ["😀", "\uFFFD", "é", "b", "B", "9", "10", "a\u0000"];
    const result = transform(ids.map((id) => order(id, 1)).join("\n"));
    assert.deepEqual(
      result.rows.map((row) => row.customer_id),
      ["10", "9", "B", "a\u0000", "b", "é", "\uFFFD", "😀"],
    );
  });

  Deno.test(`${name} accepts strict ISO 8601 date-times and gives them in UTC`, () => {
    const cases: [string, string][] = [
      ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000Z"],
      ["2024-05-01T10:00:00+05:30", "2024-05-01T04:30:00.000Z"],
      ["2024-05-01T10:00:00-00:00", "2024-05-01T10:00:00.000Z"],
      ["2024-05-01T00:00:00-23:59", "2024-05-01T23:59:00.000Z"],
      ["2024-05-01T10:00:00.1Z", "2024-05-01T10:00:00.100Z"],
      ["2024-05-01T10:00:00.123999999Z", "2024-05-01T10:00:00.123Z"], // cut, not rounded
      ["2024-02-29T23:59:59+00:00", "2024-02-29T23:59:59.000Z"],
      ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"],
      ["1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"],
      ["0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"],
      ["0000-01-01T00:00:00+01:00", "-000001-12-31T23:00:00.000Z"],
      ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
      ["9999-12-31T23:59:59.999-01:00", "+010000-01-01T00:59:59.999Z"],
    ];
    for (const [createdAt, utc] of cases) {
      assert.equal(transform(order("c", 1, createdAt)).rows[0].first_order_at, utc, createdAt);
    }
  });
}

Deno.test("transformOrders() with either reader and transformOrdersPlain() agree byte for byte on 20,000 random orders", () => {
  const seed = 20240501;
  const random = seededRandom(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const odd = [
    ..."é😀\uFFFD\u007f\u0001\t\n\u2028 ]",
    'q"uote',
    "back\\slash",
    "brace{[",
    "</script>",
  ];
  const customer = () => {
    const n = Math.floor(random() * 3000);
    if (n < 20) return odd[n % odd.length];
    return random() < 0.3 ? n : random() < 0.5 ? String(n) : `c${String(n).padStart(5, "0")}`;
  };
  const amount = () =>
    pick([
      () => Math.floor(random() * 3_000_000) / 100, // rupees and paise
      () => Math.floor(random() * 30_000), // whole rupees
      () => (Math.floor(random() * 3_000_000) * 10 + 5) / 1000, // half a paisa
      () => random() * 50_000, // any double
      () => pick([0, 10000, 10000.01, 9999.99, 10000.004, 10000.005, 10000.006]),
    ])();
  const createdAt = () => {
    const ms = Date.UTC(2023, 0, 1) + Math.floor(random() * 2 * 365 * 86_400_000);
    const iso = new Date(ms).toISOString().slice(0, 19);
    const fraction = pick(["", ".5", ".123", ".123456", ".999999999"]);
    return iso + fraction + pick(["Z", "+05:30", "-08:00", "+00:00", "-00:00", "+14:00"]);
  };
  const records = Array.from({ length: 20_000 }, (_, i) =>
    JSON.stringify({
      order_id: `o${i}`,
      customer_id: customer(),
      amount: amount(),
      currency: "INR",
      created_at: createdAt(),
    }));
  const ndjson = records.map((r) => r + pick(["\n", "\n", "\r\n", "\n\n", "\n \n"])).join("");

  const bytes = new TextEncoder().encode(ndjson);
  const polars = transformOrders(bytes);
  const plain = transformOrdersPlain(bytes);
  assert.equal(polars.reader, "polars", "Polars should have been trusted with this input");
  assert.equal(polars.orders, 20_000, `seed ${seed}`);
  assert.ok(polars.customers > 2000, `only ${polars.customers} customers`);
  assertSameOutput(polars, plain);
  assertSameOutput(transformOrders(bytes, { reader: "typescript" }), plain);
  assertSameOutput(transformOrders(`[\n${records.join(",\n")}\n]`), plain);
});

const valid = order("c1", 1);
const badRecords: [string, string][] = [
  ["42", "an order must be a JSON object: got number 42"],
  ["[1]", "an order must be a JSON object: got an array"],
  ["null", "an order must be a JSON object: got null"],
  ['"c1"', 'an order must be a JSON object: got string "c1"'],
  ['{"amount":1,"created_at":"2024-05-01T10:00:00Z"}', "customer_id is missing"],
  [order(null, 1), "customer_id is missing"],
  [order("", 1), "customer_id is missing"],
  [order(1.5, 1), "customer_id must be a string or an integer: got number 1.5"],
  [order(1e20, 1), "customer_id must be a string or an integer: got number 100000000000000000000"],
  [order(true, 1), "customer_id must be a string or an integer: got boolean true"],
  [order({ id: 1 }, 1), "customer_id must be a string or an integer: got an object"],
  [order(["c1"], 1), "customer_id must be a string or an integer: got an array"],
  [order("\ud800", 1), 'customer_id must be well-formed Unicode: got string "\\ud800"'],
  ['{"customer_id":"c1","created_at":"2024-05-01T10:00:00Z"}', "amount is missing"],
  [order("c1", null), "amount is missing"],
  [order("c1", "25000"), 'amount must be a number: got string "25000"'],
  [order("c1", true), "amount must be a number: got boolean true"],
  [order("c1", { inr: 1 }), "amount must be a number: got an object"],
  [
    order("c1", "x".repeat(100)),
    `amount must be a number: got string "${"x".repeat(60)}…" (100 characters)`,
  ],
  [
    '{"customer_id":"c1","amount":1e999,"created_at":"2024-05-01T10:00:00Z"}',
    "amount must be finite: got Infinity",
  ],
  [order("c1", -1), "amount must not be negative: got -1"],
  [order("c1", -0.001), "amount must not be negative: got -0.001"],
  [order("c1", 1e14), "amount must be at most 90071992547409.91: got 100000000000000"],
  ['{"customer_id":"c1","amount":1}', "created_at is missing"],
  [order("c1", 1, null), "created_at is missing"],
];
const badDates: unknown[] = [
  "",
  "2024-05-01",
  "2024-05-01T10:00:00", // no offset: local time of whichever machine runs it
  "2024-05-01 10:00:00Z",
  "2024-05-01t10:00:00z",
  "2024-05-01T10:00Z",
  "2024-05-01T10:00:00.Z",
  "2024-05-01T10:00:00.1234567890Z",
  "2024-05-01T10:00:00+0530",
  "2024-05-01T10:00:00+05",
  "2024-05-01T10:00:00+24:00",
  "2024-05-01T10:00:00+05:60",
  "2024-05-01T10:00:00 Z",
  "2024-05-01T10:00:00Z ",
  "2024-02-30T10:00:00Z",
  "2023-02-29T10:00:00Z",
  "1900-02-29T10:00:00Z",
  "2024-04-31T10:00:00Z",
  "2024-13-01T10:00:00Z",
  "2024-00-10T10:00:00Z",
  "2024-05-00T10:00:00Z",
  "2024-05-01T24:00:00Z",
  "2024-05-01T23:60:00Z",
  "2024-05-01T23:59:60Z",
  "+002024-05-01T10:00:00Z",
  "２０２４-05-01T10:00:00Z",
  "2024-5-1T10:00:00Z",
  "Wed, 01 May 2024 10:00:00 GMT",
  1714557600000,
  true,
];
for (const createdAt of badDates) {
  badRecords.push([
    order("c1", 1, createdAt),
    "created_at must be an ISO 8601 date-time with Z or an offset, like 2024-05-01T10:00:00+05:30: " +
    `got ${
      typeof createdAt === "string"
        ? `string ${JSON.stringify(createdAt)}`
        : `${typeof createdAt} ${createdAt}`
    }`,
  ]);
}

for (const [name, transform] of transforms) {
  Deno.test(`${name} names the record, its line and the reason for each bad record`, () => {
    for (const [record, reason] of badRecords) {
      assert.throws(() => transform(`${valid}\n\n${valid}\n${record}\n${valid}\n`), {
        name: "TransformError",
        message: `Cannot transform orders: record 3 (line 4): ${reason}`,
      }, record);
      assert.throws(() => transform(`[${valid},\n${valid},\n${record},${valid}]`), {
        name: "TransformError",
        message: `Cannot transform orders: record 3: ${reason}`,
      }, record);
    }
  });

  Deno.test(`${name} rejects an NDJSON line that is not JSON`, () => {
    for (const line of ['{"customer_id":"c1",}', "{", "\u00a0", "NaN", valid + valid]) {
      assert.throws(() => transform(`${valid}\n${line}\n${valid}`), (err: Error) => {
        assert.equal(err.name, "TransformError");
        assert.match(
          err.message,
          /^Cannot transform orders: record 2 \(line 2\): not valid JSON: /,
        );
        return true;
      }, line);
    }
  });

  Deno.test(`${name} reports the first bad record, not a later one`, () => {
    const input = [valid, order("c1", -1), order("c1", "1")].join("\n");
    assert.throws(() => transform(input), { message: /record 2 \(line 2\): amount must not be/ });
  });

  Deno.test(`${name} rejects bytes that are not UTF-8, naming the line`, () => {
    // A real U+FFFD on line 1 must not be taken for a bad byte.
    const lines = `${order("\uFFFD", 1)}\n${valid}\n${order("c\u00e9", 1)}\n`;
    const bytes = new TextEncoder().encode(lines);
    const bad = bytes.slice();
    bad[bytes.indexOf(0xc3)] = 0xff;
    assert.throws(() => transform(bad), {
      name: "TransformError",
      message: "Cannot transform orders: line 3: not valid UTF-8",
    });
    assert.deepEqual(transform(bytes).rows.map((row) => row.customer_id), ["c1", "cé", "\uFFFD"]);
  });

  Deno.test(`${name} refuses a customer total it cannot add up exactly`, () => {
    const max = 90071992547409.91; // Number.MAX_SAFE_INTEGER paise
    const cases = [
      [order("a", 1), order("big", 5e13), order("big", 5e13), order("z", max)],
      // 1100 × 2^53 paise wraps an Int64 around: the check must not be fooled by it.
      [order("a", 1), ...Array.from({ length: 1100 }, () => order("big", max)), order("z", 1)],
    ];
    for (const lines of cases) {
      assert.throws(() => transform(lines.join("\n")), {
        name: "TransformError",
        message:
          'Cannot transform orders: total amount of customer "big" is too large to add up exactly: ' +
          "over 90071992547409.91",
      });
    }
    assert.equal(transform(order("z", max)).rows[0].total_amount, max);
  });
}

Deno.test("transformOrders() names the record of a JSON array that is not valid JSON", () => {
  const cases: [string, RegExp | string][] = [
    [`[${valid},]`, "record 2: not valid JSON: the record is empty"],
    [`[,${valid}]`, "record 1: not valid JSON: the record is empty"],
    [`[${valid},,${valid}]`, "record 2: not valid JSON: the record is empty"],
    [`[${valid}`, "not valid JSON: the array is not closed: the input ends after record 1"],
    [`[${valid},\n`, "not valid JSON: the array is not closed: the input ends after record 1"],
    ["[", "not valid JSON: the array is not closed: the input ends after record 0"],
    [`[${valid}] x`, 'not valid JSON: text after the end of the array: string "x"'],
    [`[${valid}][]`, 'not valid JSON: text after the end of the array: string "[]"'],
    [`[${valid},{"customer_id":"c`, /^record 2: not valid JSON: /],
    [`[${valid}},${valid}]`, /^record 1: not valid JSON: /],
    [`[${valid},{"customer_id":"c1",}]`, /^record 2: not valid JSON: /],
    [`[${valid},{"a":[1}]`, /^record 2: not valid JSON: /],
    [`[${valid} ${valid}]`, /^record 1: not valid JSON: /],
  ];
  for (const [input, reason] of cases) {
    const message = typeof reason === "string"
      ? `Cannot transform orders: ${reason}`
      : new RegExp(`^Cannot transform orders: ${reason.source.slice(1)}`);
    assert.throws(() => transformOrders(input), { name: "TransformError", message }, input);
    assert.throws(() => transformOrdersPlain(input), { name: "TransformError" }, input);
  }
});

Deno.test("transformOrders() reads again with TypeScript when Polars may have coerced a value", () => {
  // Real strings that look like what Polars makes of a float, a boolean, a big integer, an object.
  const lookAlikes = ["1.5", "1e+20", "true", "12345678901234567", "{x", "[1]"];
  for (const id of lookAlikes) {
    const input = [order("c1", 1), order(id, 2)].join("\n");
    const result = transformOrders(input);
    assert.equal(result.reader, "typescript", id);
    assertSameOutput(result, transformOrdersPlain(input));
  }
  // Types that change after the rows Polars infers its schema from, extra fields that clash.
  const late = [
    ...Array.from({ length: 200 }, (_, i) => order(i, i)),
    order("c1", 1.5),
    JSON.stringify({
      customer_id: "c2",
      amount: 1,
      created_at: "2024-05-01T10:00:00Z",
      x: { a: 1 },
    }),
    JSON.stringify({ customer_id: "c3", amount: 1, created_at: "2024-05-01T10:00:00Z", x: 1 }),
  ].join("\n");
  assertSameOutput(transformOrders(late), transformOrdersPlain(late));
});

Deno.test("transformOrders() trusts Polars with ordinary NDJSON, integer ids and integer amounts", () => {
  for (
    const input of [
      [order(7, 100), order(8, 250)].join("\n"),
      [order("c1", 100), order("c1", 99.5)].join("\n"),
      "\uFEFF" + order("c1", 1),
    ]
  ) {
    const result = transformOrders(input);
    assert.equal(result.reader, "polars", input);
    assertSameOutput(result, transformOrdersPlain(input));
  }
});

Deno.test("transformOrders() keeps date-times of one length in UTC as text and still checks each day", () => {
  const random = seededRandom(20261202);
  const at = (fraction: string) => {
    const ms = Date.UTC(2023, 0, 1) + Math.floor(random() * 2 * 365 * 86_400_000);
    return new Date(ms).toISOString().slice(0, 19) + fraction + "Z";
  };
  const file = (createdAt: (i: number) => string) =>
    Array.from({ length: 3000 }, (_, i) => order(`c${i % 40}`, i / 4, createdAt(i))).join("\n");
  // One length per file: the text is in time order, each customer's first and last converted.
  for (const fraction of ["", ".5", ".123", ".123456789"]) {
    const input = file(() => at(fraction));
    const result = transformOrders(input);
    assert.equal(result.reader, "polars", fraction);
    assertSameOutput(result, transformOrdersPlain(input));
  }
  // Lengths differ: "…00.5Z" sorts before "…00Z" as text but is later, so the arithmetic way.
  const mixed = [order("c1", 1, "2024-05-01T10:00:00Z"), order("c1", 2, "2024-05-01T10:00:00.5Z")]
    .join("\n");
  assert.equal(transformOrders(mixed).rows[0].last_order_at, "2024-05-01T10:00:00.500Z");
  assertSameOutput(transformOrders(mixed), transformOrdersPlain(mixed));
  // A day that is not in the calendar, among good ones of the same length: named as before.
  for (const day of ["2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10"]) {
    const input = file((i) => i === 2500 ? `${day}T10:00:00Z` : at("").slice(0, 10) + "T10:00:00Z");
    const expected = /^Cannot transform orders: record 2501 \(line 2501\): created_at must be/;
    assert.throws(() => transformOrdersPlain(input), { message: expected });
    assert.throws(() => transformOrders(input), { message: expected }, day);
  }
});

Deno.test("transformOrders() rejects an unknown reader", () => {
  assert.throws(
    () => transformOrders("", { reader: "pandas" as "polars" }),
    {
      name: "RangeError",
      message: /the reader must be "polars" or "typescript": current value is "pandas"/,
    },
  );
});

Deno.test("transformOrders() reads a JSON array with TypeScript: Polars's reads true as 1", () => {
  const input = `[${order("c1", 1)},${order("c1", true)}]`;
  assert.throws(() => transformOrders(input), {
    message: "Cannot transform orders: record 2: amount must be a number: got boolean true",
  });
  assert.equal(transformOrders(`[${order("c1", 1)}]`).reader, "typescript");
});

/** Both answer the same: the same bytes, or the same error. */
function assertAgree(input: string, what: string): void {
  let expected: TransformResult | Error, actual: TransformResult | Error;
  try {
    expected = transformOrdersPlain(input);
  } catch (err) {
    expected = err as Error;
  }
  try {
    actual = transformOrders(input);
  } catch (err) {
    actual = err as Error;
  }
  if (expected instanceof Error || actual instanceof Error) {
    assert.equal(
      actual instanceof Error ? `${actual.name}: ${actual.message}` : text(actual),
      expected instanceof Error ? `${expected.name}: ${expected.message}` : text(expected),
      what,
    );
  } else assertSameOutput(actual, expected);
}

Deno.test("transformOrders() takes the last of a repeated field, as JSON.parse and pandas do", () => {
  const at = '"created_at":"2024-05-01T10:00:00Z"';
  const cases = [
    [`{"customer_id":"c1","amount":5,"amount":7,${at}}`, "c1", 7],
    [`{"customer_id":"c1","customer_id":"c2","amount":5,${at}}`, "c2", 5],
    [`{"customer_id":"c1","amount":5,"\\u0061mount":7,${at}}`, "c1", 7],
    [`{"customer_id":"c1","customer\\u005Fid":"c2","amount":5,${at}}`, "c2", 5],
  ] as const;
  for (const [record, customer, total] of cases) {
    const input = [order("c0", 1), record].join("\n");
    const result = transformOrders(input);
    assert.deepEqual(
      result.rows.map((row) => [row.customer_id, row.total_amount]),
      [["c0", 1], [customer, total]],
      record,
    );
    assertSameOutput(result, transformOrdersPlain(input));
  }
  const dates = [
    order("c1", 1),
    order("c1", 2).replace("}", ',"created_at":"2025-01-01T00:00:00Z"}'),
  ];
  assert.equal(transformOrders(dates.join("\n")).rows[0].last_order_at, "2025-01-01T00:00:00.000Z");
});

Deno.test("transformOrders() agrees with transformOrdersPlain() where Polars and JSON.parse read numbers and names differently", () => {
  const at = '"created_at":"2024-05-01T10:00:00Z"';
  const odd = [
    ...["-0", "-0.0", "1e2", "1E+2", "1.5e1", "0.1e1", "5.", ".5", "05", "+5", "NaN", "Infinity"],
    ...["1e400", "-1e400", "1e-400", "9007199254740993", "9223372036854775807"],
    ...["9223372036854775808", "18446744073709551616", "123456789012345678901234567890"],
    ...["-123456789012345678901234567890", '"NaN"', '"1e2"', '"-0"', "true", "null", "[]", "{}"],
  ];
  for (const value of odd) {
    for (const field of ["customer_id", "amount"]) {
      const record = field === "amount"
        ? `{"customer_id":"c1","amount":${value},${at}}`
        : `{"customer_id":${value},"amount":1,${at}}`;
      for (const input of [`${order("c1", 1)}\n${record}\n`, `${record}\n${order(7, 1)}\n`]) {
        assertAgree(input, input);
      }
    }
  }
});

Deno.test("transformOrders() agrees with transformOrdersPlain() on 200 generated files of repeated, escaped and odd fields", () => {
  const seed = 9090;
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const escape = (name: string) =>
    name.replace(/[a-z_]/, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  // The first value of each is ordinary; the others are read differently by some parsers.
  const values: Record<string, readonly string[]> = {
    customer_id: [
      '"c1"',
      '"c2"',
      "7",
      "-0",
      "1e2",
      "7.0",
      '"1e2"',
      '"NaN"',
      "99999999999999999999",
    ],
    amount: ["5", "7.25", "-0", "1e2", "1E-2", "0.005", "1e400", "12345678901234567890", '"5"'],
    created_at: ['"2024-05-01T10:00:00Z"', '"2025-01-01T00:00:00+05:30"', '"2024-02-30T00:00:00Z"'],
  };
  let agreedOnOutput = 0;
  for (let file = 0; file < 200; file++) {
    const lines = [];
    for (let i = 0; i < 30; i++) {
      const fields: string[] = [];
      for (const name of Object.keys(values)) {
        const times = random() < 0.9 ? 1 : random() < 0.98 ? 2 : 0; // repeated, rarely missing
        for (let t = 0; t < times; t++) {
          const key = random() < 0.05 ? escape(name) : name;
          const value = random() < 0.97 ? values[name][0] : pick(values[name]);
          fields.push(`"${key}":${value}`);
        }
      }
      if (random() < 0.2) fields.push(`"note":"${pick(["amount", "customer_id", "\\u0061"])}"`);
      if (random() < 0.1) fields.push(`"meta":{"amount":${pick(values.amount)}}`);
      lines.push(`{${fields.sort(() => random() - 0.5).join(",")}}`);
    }
    const input = lines.join("\n") + "\n";
    assertAgree(input, `seed ${seed}, file ${file}`);
    try {
      transformOrdersPlain(input);
      agreedOnOutput++;
    } catch {
      // an error both gave, already compared
    }
  }
  assert.ok(agreedOnOutput >= 20, `only ${agreedOnOutput} of 200 files had no bad record`);
});
