import assert from "node:assert/strict";
import { seededRandom } from "../../infra/random.ts";
import { outputKey } from "./output_key.ts";

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

/** What must hold for every key: under the prefix, no dot or empty segment, within S3's limit. */
function assertSafe(key: string, prefix = "summaries/"): void {
  assert.ok(key.startsWith(prefix), key);
  assert.ok(key.endsWith(".ndjson"), key);
  const segments = key.slice(prefix.length).split("/");
  for (const segment of segments) {
    assert.ok(
      segment !== "" && !/^\.+$/.test(segment),
      `segment ${JSON.stringify(segment)} of ${key}`,
    );
  }
  assert.ok(!key.includes("\\"), key);
  assert.ok(!/[\p{Cc}\p{Cf}\p{Cs}]/u.test(key), key);
  assert.ok(utf8Length(key) <= 1024, `${utf8Length(key)} bytes`);
}

Deno.test("outputKey() replaces the extension and keeps the folders", () => {
  const cases: [string, string][] = [
    ["orders/2024-05-01.json", "summaries/orders/2024-05-01.ndjson"],
    ["orders.ndjson", "summaries/orders.ndjson"],
    ["in/orders.tar.gz", "summaries/in/orders.tar.ndjson"],
    ["orders", "summaries/orders.ndjson"],
    ["orders.", "summaries/orders.ndjson"],
    ["ORDERS_v2-final.JSON", "summaries/ORDERS_v2-final.ndjson"],
  ];
  for (const [input, expected] of cases) assert.equal(outputKey(input), expected, input);
});

Deno.test("outputKey() never leaves its prefix, whatever the key", () => {
  const cases: [string, string][] = [
    ["../../etc/passwd", "summaries/etc/passwd.ndjson"],
    ["a/../../b.json", "summaries/a/b.ndjson"],
    ["/abs/x.json", "summaries/abs/x.ndjson"],
    ["//x.json", "summaries/x.ndjson"],
    ["a\\..\\b.json", "summaries/a/b.ndjson"],
    ["..\\..\\windows\\win.ini", "summaries/windows/win.ndjson"],
    ["%2e%2e/x.json", "summaries/_2e_2e/x.ndjson"],
    ["%2e%2e%2fx.json", "summaries/_2e_2e_2fx.ndjson"],
    ["./a/./b/.../c.json", "summaries/a/b/c.ndjson"],
    [".\u0000./x.json", "summaries/x.ndjson"], // removing the NUL must not make a ".."
    ["..\u202e/x.json", "summaries/x.ndjson"],
    ["\uff0e\uff0e/x.json", "summaries/_/x.ndjson"], // fullwidth dots are not dots
    ["a/ .. /b.json", "summaries/a/b.ndjson"],
    ["a/b.json/", "summaries/a/b.ndjson"],
  ];
  for (const [input, expected] of cases) {
    const key = outputKey(input);
    assert.equal(key, expected, input);
    assertSafe(key);
  }
});

Deno.test("outputKey() keeps letters of any script and replaces other characters with _", () => {
  const cases: [string, string][] = [
    ["my file+v2 (1).json", "summaries/my file_v2 _1_.ndjson"],
    ["données/été.json", "summaries/données/été.ndjson"],
    ["donne\u0301es/e\u0301te\u0301.json", "summaries/données/été.ndjson"], // NFC
    ["आदेश/सूची.json", "summaries/आदेश/सूची.ndjson"], // combining marks kept
    ["注文/2024年.json", "summaries/注文/2024年.ndjson"],
    ["report 😀 final.json", "summaries/report _ final.ndjson"],
    ['a:b*c?d"e<f>g|h.json', "summaries/a_b_c_d_e_f_g_h.ndjson"],
    ["tab\there\nnewline.json", "summaries/tabherenewline.ndjson"],
    ["  padded  /  name .json", "summaries/padded/name.ndjson"],
    ["zero\u200bwidth.json", "summaries/zerowidth.ndjson"],
  ];
  for (const [input, expected] of cases) assert.equal(outputKey(input), expected, input);
});

Deno.test("outputKey() keeps a dot file whole: .json has no extension", () => {
  assert.equal(outputKey(".json"), "summaries/.json.ndjson");
  assert.equal(outputKey("dir/.json"), "summaries/dir/.json.ndjson");
  assert.equal(outputKey("..json"), "summaries/..json.ndjson");
  assertSafe(outputKey(".json"));
});

Deno.test("outputKey() cuts a long key to 1024 bytes, at a character, keeping .ndjson", () => {
  const ascii = outputKey("a".repeat(2000) + ".json");
  assert.equal(ascii, "summaries/" + "a".repeat(1024 - 10 - 7) + ".ndjson");
  for (const char of ["é", "ह", "𠀀", "e\u0301"]) {
    const key = outputKey(`dir/${char.repeat(2000)}.json`);
    assertSafe(key);
    assert.ok(utf8Length(key) > 1024 - 4, `${utf8Length(key)} bytes for ${char}`);
    assert.ok(key.isWellFormed());
  }
  // A cut that would leave "..": the segment is dropped, the folder becomes the name.
  const dots = outputKey("dir/" + ".".repeat(1020) + "x.json", { prefix: "out/" });
  assert.equal(dots, "out/dir.ndjson");
  const deep = outputKey("a/".repeat(1000) + "x.json");
  assertSafe(deep);
  assert.ok(deep.endsWith("/a.ndjson"));
});

Deno.test("outputKey() takes another prefix, or none", () => {
  assert.equal(outputKey("x.json", { prefix: "out/daily/" }), "out/daily/x.ndjson");
  assert.equal(outputKey("../x.json", { prefix: "" }), "x.ndjson");
});

Deno.test("outputKey() throws a RangeError naming the key when nothing usable is left", () => {
  for (const input of ["", "/", "../..", "..\\..\\", " / . / ", "\u0000", "\u202e/.."]) {
    assert.throws(() => outputKey(input), {
      name: "RangeError",
      message: "Cannot derive an output key as nothing usable is left of the input key: " +
        `current value is ${JSON.stringify(input)}`,
    }, JSON.stringify(input));
  }
  assert.throws(() => outputKey("../".repeat(500)), {
    message: /current value is "(\.\.\/){33}\.…"$/,
  });
});

Deno.test("outputKey() rejects a prefix that is not clean", () => {
  for (
    const prefix of ["summaries", "/summaries/", "../x/", "a//", "a/./", "a b /", "a+b/", "\u0000/"]
  ) {
    assert.throws(() => outputKey("x.json", { prefix }), {
      name: "RangeError",
      message:
        /^Cannot derive an output key as the prefix must be "" or clean segments ending in "\/"/,
    }, prefix);
  }
  assert.throws(() => outputKey("x.json", { prefix: "p".repeat(1020) + "/" }), RangeError);
  assert.throws(() => outputKey("x.json", { prefix: 42 as unknown as string }), TypeError);
  assert.throws(() => outputKey(undefined as unknown as string), TypeError);
});

Deno.test("outputKey() stays safe on random hostile keys", () => {
  const random = seededRandom(9);
  const pieces = [
    "..",
    ".",
    "/",
    "\\",
    "a",
    "é",
    "😀",
    " ",
    "%2e",
    "\u0000",
    "\u202e",
    "+",
    ".json",
    "\ud800",
  ];
  for (let i = 0; i < 2000; i++) {
    const input = Array.from(
      { length: 1 + Math.floor(random() * 30) },
      () => pieces[Math.floor(random() * pieces.length)],
    ).join("");
    try {
      assertSafe(outputKey(input));
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
    }
  }
});
