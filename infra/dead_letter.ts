/**
 * What the Kafka exercises (01, 02, 08) need to reject a record without
 * losing it: a strict UTF-8 decode that names where the bytes go wrong, and a
 * dead letter that always fits the dead-letter topic's message size limit.
 *
 * @example
 * ```ts
 * import { deadLetter, decodeUtf8 } from "../../infra/dead_letter.ts";
 * const decoded = decodeUtf8(new Uint8Array([0x7b, 0xff, 0x7d]));
 * // { ok: false, reason: "not valid UTF-8: byte 0xff at offset 1" }
 * deadLetter({ reason: "bad" }, new Uint8Array([0xff]), 1_048_576);
 * // '{"reason":"bad","record_bytes":1,"record_base64":"/w=="}'
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

/** Bytes a Kafka record and its batch need besides key and value (batch header 61, record ≤ 40). */
export const RECORD_OVERHEAD = 128;

/** How much of an original a dead letter keeps when the whole would not fit. */
export const EXCERPT_CHARS = 1024;

/** A strict decode: the text, or why the bytes are not UTF-8. */
export type Decoded = { ok: true; text: string } | { ok: false; reason: string };

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 strictly (RFC 8259 §8.1: JSON text is UTF-8): invalid bytes
 * are an error naming the first one and its offset, never U+FFFD.
 *
 * @example
 * ```ts
 * decodeUtf8(new TextEncoder().encode("₹")); // { ok: true, text: "₹" }
 * decodeUtf8(new Uint8Array([0xe2, 0x82])); // { ok: false, reason: "not valid UTF-8: …" }
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): Decoded {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const [at, cutShort] = invalidUtf8At(bytes);
    const what = cutShort
      ? `a sequence cut short by the end at offset ${at}`
      : `byte 0x${bytes[at].toString(16).padStart(2, "0")} at offset ${at}`;
    return { ok: false, reason: `not valid UTF-8: ${what}` };
  }
}

/** Where the first invalid UTF-8 sequence starts, and whether the end cut it short. */
function invalidUtf8At(bytes: Uint8Array): [number, boolean] {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number, min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return [i, false];
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return [i, true];
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return [i, false];
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return [i, false];
    i += need + 1;
  }
  return [bytes.length, true]; // Not reached for bytes a strict decoder refused.
}

/**
 * The JSON value of a dead letter: `fields` (the reason, where it came from),
 * plus the original record as `record` when it is UTF-8 text, or as
 * `record_base64` when it is not, and `record_bytes`, its size.
 *
 * When that would not fit in `maxBytes` (the dead-letter topic's
 * `max.message.bytes` less the key and {@linkcode RECORD_OVERHEAD}), the
 * original is replaced by `record_excerpt` (its first
 * {@linkcode EXCERPT_CHARS} characters, or bytes as base64) with
 * `record_truncated: true` and `record_sha256`, so the dead letter is still
 * sent and the original can be matched. Long string fields are cut too.
 *
 * @example
 * ```ts
 * const big = new TextEncoder().encode('"' + "\\u0000".repeat(500_000) + '"');
 * JSON.parse(deadLetter({ reason: "not an order" }, big, 1_048_000)).record_truncated; // true
 * ```
 */
export function deadLetter(
  fields: Record<string, unknown>,
  original: Uint8Array | null,
  maxBytes: number,
): string {
  if (original === null) return JSON.stringify({ ...fields, record: null });
  const decoded = decodeUtf8(original);
  const whole = decoded.ok
    ? { record_bytes: original.length, record: decoded.text }
    : { record_bytes: original.length, record_base64: Buffer.from(original).toString("base64") };
  const full = JSON.stringify({ ...fields, ...whole });
  if (Buffer.byteLength(full) <= maxBytes) return full;
  const cutFields = Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, typeof v === "string" ? excerpt(v) : v]),
  );
  const excerptOf = decoded.ok
    ? excerpt(decoded.text)
    : Buffer.from(original.subarray(0, EXCERPT_CHARS)).toString("base64");
  const summary = {
    ...cutFields,
    record_bytes: original.length,
    record_truncated: true,
    record_sha256: createHash("sha256").update(original).digest("hex"),
    [decoded.ok ? "record_excerpt" : "record_excerpt_base64"]: excerptOf,
  };
  const cut = JSON.stringify(summary);
  if (Buffer.byteLength(cut) <= maxBytes) return cut;
  // Only a limit far below any broker's default gets here: keep the digest alone.
  return JSON.stringify({
    ...summary,
    record_excerpt: undefined,
    record_excerpt_base64: undefined,
  });
}

function excerpt(text: string): string {
  if (text.length <= EXCERPT_CHARS) return text;
  // Never cut a surrogate pair in half: the excerpt must stay valid UTF-16/UTF-8.
  let end = EXCERPT_CHARS;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/**
 * A dead-letter message for the topic whose `max.message.bytes` is
 * `maxMessageBytes`: keyed `key`, its value from {@linkcode deadLetter},
 * sized so that key, value and {@linkcode RECORD_OVERHEAD} fit together.
 *
 * @example
 * ```ts
 * const message = deadLetterMessage("orders/0@7", { reason: "not JSON" }, bytes, 1_048_588);
 * await producer.send({ topic: "orders.dlq", messages: [message] });
 * ```
 */
export function deadLetterMessage(
  key: string,
  fields: Record<string, unknown>,
  original: Uint8Array | null,
  maxMessageBytes: number,
): { key: string; value: string } {
  const room = maxMessageBytes - Buffer.byteLength(key) - RECORD_OVERHEAD;
  return { key, value: deadLetter(fields, original, room) };
}
