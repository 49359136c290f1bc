import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { deadLetter, deadLetterMessage, decodeUtf8, EXCERPT_CHARS } from "./dead_letter.ts";
import { messageBytes } from "./kafka.ts";
import { seededRandom } from "./random.ts";

Deno.test("decodeUtf8() names the first invalid byte and its offset", () => {
  assert.deepEqual(decodeUtf8(new TextEncoder().encode('{"a":"₹𝄞"}')), {
    ok: true,
    text: '{"a":"₹𝄞"}',
  });
  const cases: [number[], string][] = [
    [[0x61, 0xff], "byte 0xff at offset 1"],
    [[0xc0, 0x80], "byte 0xc0 at offset 0"], // overlong NUL
    [[0xed, 0xa0, 0x80], "byte 0xed at offset 0"], // a UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], "byte 0xf4 at offset 0"], // above U+10FFFF
    [[0x61, 0xe2, 0x82], "a sequence cut short by the end at offset 1"],
    [[0xe2, 0x28, 0xa1], "byte 0xe2 at offset 0"],
  ];
  for (const [bytes, where] of cases) {
    assert.deepEqual(decodeUtf8(new Uint8Array(bytes)), {
      ok: false,
      reason: `not valid UTF-8: ${where}`,
    });
  }
});

Deno.test("decodeUtf8() on random bytes: valid as TextDecoder says, and valid up to the offset named", () => {
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const valid = (bytes: Uint8Array) => {
    try {
      strict.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const random = seededRandom(7);
  const next = () => Math.floor(random() * 256);
  for (let n = 0; n < 5000; n++) {
    // Half of the inputs all high bytes, so multi-byte sequences come up often.
    const bytes = new Uint8Array(
      Array.from({ length: 1 + (n % 9) }, () => next() | (0x80 * (n & 1))),
    );
    const decoded = decodeUtf8(bytes);
    assert.equal(decoded.ok, valid(bytes), `bytes ${[...bytes]}`);
    if (decoded.ok) continue;
    const at = Number(decoded.reason.match(/offset (\d+)/)![1]);
    assert.ok(valid(bytes.subarray(0, at)), `bytes ${[...bytes]}: valid before offset ${at}`);
    if (!decoded.reason.includes("cut short")) {
      // The named byte starts no valid sequence, however many bytes follow it.
      for (let k = 1; k <= 4 && at + k <= bytes.length; k++) {
        assert.ok(!valid(bytes.subarray(at, at + k)), `bytes ${[...bytes]}: offset ${at}`);
      }
    }
  }
});

Deno.test("deadLetter() keeps the whole record when it fits, as text or base64", () => {
  const text = JSON.parse(deadLetter({ reason: "r" }, new TextEncoder().encode("not json"), 1000));
  assert.deepEqual(text, { reason: "r", record_bytes: 8, record: "not json" });
  const binary = JSON.parse(deadLetter({ reason: "r" }, new Uint8Array([0xff, 0x00]), 1000));
  assert.deepEqual(binary, { reason: "r", record_bytes: 2, record_base64: "/wA=" });
  assert.deepEqual(JSON.parse(deadLetter({ reason: "r" }, null, 1000)), {
    reason: "r",
    record: null,
  });
});

Deno.test("deadLetter() always fits: an excerpt, the size and the digest of a record too big", () => {
  const limit = 1_048_000;
  // Every control character becomes six in JSON: 300 KB of them would be 1.8 MB.
  const escapes = new Uint8Array(300_000).fill(0x01);
  const big = new TextEncoder().encode("x".repeat(2_000_000));
  const binary = new Uint8Array(2_000_000).fill(0xff);
  for (const original of [escapes, big, binary]) {
    const value = deadLetter({ reason: "r".repeat(5000), source: "t/0@1" }, original, limit);
    assert.ok(Buffer.byteLength(value) <= limit, `${Buffer.byteLength(value)} bytes`);
    const parsed = JSON.parse(value);
    assert.equal(parsed.record_truncated, true);
    assert.equal(parsed.record_bytes, original.length);
    assert.equal(parsed.record_sha256, createHash("sha256").update(original).digest("hex"));
    assert.equal(parsed.source, "t/0@1");
    assert.ok(parsed.reason.startsWith("r".repeat(EXCERPT_CHARS)));
    assert.ok(parsed.reason.length < 2 * EXCERPT_CHARS);
    assert.ok(parsed.record_excerpt ?? parsed.record_excerpt_base64);
    assert.equal(parsed.record, undefined);
  }
  // A limit that leaves no room for an excerpt still gets the digest.
  const tiny = JSON.parse(deadLetter({ reason: "r" }, big, 300));
  assert.equal(tiny.record_excerpt, undefined);
  assert.equal(tiny.record_bytes, big.length);
});

Deno.test("deadLetterMessage() fits key, value and record overhead within the topic's limit", () => {
  const limit = 1_048_588;
  const key = `orders/0@${"9".repeat(19)}-${"k".repeat(2000)}`;
  // The last: a value that alone would fit the limit, but not beside the 2 KB key.
  const nearLimit = new Uint8Array(limit - 1000).fill(0x78);
  const originals = [new Uint8Array(2_000_000).fill(0x01), new Uint8Array(300_000).fill(0xff)];
  for (const original of [...originals, nearLimit]) {
    const message = deadLetterMessage(key, { reason: "r" }, original, limit);
    assert.equal(message.key, key);
    assert.ok(messageBytes(message) <= limit, `${messageBytes(message)} bytes`);
    assert.equal(JSON.parse(message.value).record_bytes, original.length);
  }
  // What fits whole stays whole.
  const small = deadLetterMessage("k", { reason: "r" }, new TextEncoder().encode("x"), limit);
  assert.equal(JSON.parse(small.value).record, "x");
});
