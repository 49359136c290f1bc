/**
 * Values as error messages quote them: the type and the value, long text cut
 * so that a message (a dead letter, a 400, a log line) stays small whatever
 * a record holds.
 *
 * @module
 */

/** How many characters of a long value a message shows. */
const SHOWN = 60;

/**
 * The first `max` characters (code points) of `text`, then "…" when there
 * are more. A cut never splits a surrogate pair, and a megabyte string costs
 * no copy beyond what is kept.
 *
 * @example
 * ```ts
 * shorten("abcdef", 3); // "abc…"
 * shorten("😀😀😀", 2); // "😀😀…"
 * ```
 */
export function shorten(text: string, max: number): string {
  const end = codeUnitsOf(text, max);
  return end < text.length ? `${text.slice(0, end)}…` : text;
}

/**
 * A value as a message shows it: `string "25000"`, `number 1.5`, `boolean
 * true`, `null`, `undefined`, `an array`, `an object`, `a function`. Text
 * longer than 60 characters is cut (between code points) and its length
 * said: `string "aaaa…" (5000 characters)`. Inside the quotes the text is
 * JSON-escaped, so control characters and lone surrogates show as `\n`,
 * `\ud800`.
 *
 * @example
 * ```ts
 * describe("25000"); // 'string "25000"'
 * describe(42); // "number 42"
 * describe([1]); // "an array"
 * describe("é".repeat(5000)); // 'string "éé…é…" (5000 characters)', 60 é shown
 * ```
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  const text = typeof value === "symbol" ? value.toString() : String(value);
  const end = codeUnitsOf(text, SHOWN);
  const shown = end < text.length ? `${text.slice(0, end)}…` : text;
  const quoted = typeof value === "string" ? JSON.stringify(shown) : shown;
  return end < text.length
    ? `${typeof value} ${quoted} (${codePoints(text)} characters)`
    : `${typeof value} ${quoted}`;
}

/** How many UTF-16 code units the first `max` code points of `text` take. */
function codeUnitsOf(text: string, max: number): number {
  let units = 0;
  for (let n = 0; n < max && units < text.length; n++) units += isPairAt(text, units) ? 2 : 1;
  return units;
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i += isPairAt(text, i) ? 2 : 1) n++;
  return n;
}

function isPairAt(text: string, i: number): boolean {
  const high = text.charCodeAt(i);
  const low = text.charCodeAt(i + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}
