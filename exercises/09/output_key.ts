/**
 * The S3 key a summary is written under, from the key of the object it
 * summarises. The input key comes from an S3 event, so anyone who can upload
 * chooses it: the output key is built to stay under its prefix whatever it is.
 *
 * @module
 */

/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
const EXTENSION = ".ndjson";

/** Options of {@linkcode outputKey}. */
export interface OutputKeyOptions {
  /** Where summaries go: `""` or clean segments ending in `/`. Default: `"summaries/"`. */
  prefix?: string;
}

/**
 * `<prefix><input key, sanitised, with its extension replaced by .ndjson>`.
 *
 * The key is read literally (the caller has URL-decoded it once already: a
 * `%2e` here is three characters, not a dot). It is NFC-normalised and cut
 * into segments at `/` and `\`. In each segment, control and format
 * characters (NUL, newlines, bidi overrides, zero-width joiners) are removed;
 * letters, combining marks and digits of any script, `-`, `_`, `.` and spaces
 * are kept; every other run of characters (`+`, `(`, `%`, `:`, `*`, emoji…)
 * becomes one `_`, so words stay apart. Spaces at the ends of a segment are
 * trimmed. Segments left empty or made only of dots (`.`, `..`, `...`) are
 * dropped, not resolved: `a/../b.json` gives `a/b.ndjson`. The extension is
 * what follows the last dot of the file name, unless that dot comes first
 * (`.json` has none). The key is cut, at a character boundary, to S3's 1024
 * bytes, keeping `.ndjson`.
 *
 * Different input keys can give the same output key (`a+b.json` and
 * `a(b.json`, or two long keys that differ only past the cut).
 *
 * @throws {RangeError} when nothing usable is left of the key, or the prefix is not clean
 * @example
 * ```ts
 * outputKey("orders/2024-05-01.json"); // "summaries/orders/2024-05-01.ndjson"
 * outputKey("../../etc/passwd"); // "summaries/etc/passwd.ndjson"
 * outputKey("a\\..\\b.json"); // "summaries/a/b.ndjson"
 * outputKey("my file+v2 (1).json"); // "summaries/my file_v2 _1_.ndjson"
 * outputKey("données/été.json", { prefix: "out/" }); // "out/données/été.ndjson"
 * outputKey("../.."); // throws RangeError
 * ```
 */
export function outputKey(inputKey: string, options: OutputKeyOptions = {}): string {
  const { prefix = "summaries/" } = options;
  if (typeof inputKey !== "string") {
    throw new TypeError(
      `Cannot derive an output key as the input key is not a string: got ${typeof inputKey}`,
    );
  }
  checkPrefix(prefix);
  const segments = clean(inputKey.normalize("NFC"));
  const name = segments.pop() ?? "";
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? trimSpaces(name.slice(0, dot)) : name;
  segments.push(usable(stem) ? stem : name);
  const budget = MAX_KEY_BYTES - utf8Length(prefix) - EXTENSION.length;
  const path = clean(cutToBytes(segments.filter(usable).join("/"), budget)).join("/");
  if (path === "") {
    throw new RangeError(
      `Cannot derive an output key as nothing usable is left of the input key: ` +
        `current value is ${quote(inputKey)}`,
    );
  }
  return prefix + path + EXTENSION;
}

/** The usable segments of a path, each cleaned. */
function clean(path: string): string[] {
  return path.split(/[/\\]/).map(cleanSegment).filter(usable);
}

function cleanSegment(segment: string): string {
  return trimSpaces(
    segment
      .replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, "")
      .replace(/[^\p{L}\p{M}\p{N}\-_. ]+/gu, "_"),
  );
}

function trimSpaces(text: string): string {
  return text.replace(/^ +| +$/g, "");
}

function usable(segment: string): boolean {
  return segment !== "" && !/^\.+$/.test(segment);
}

/**
 * Throws unless `prefix` is `""` or clean segments ending in `/` (what
 * {@linkcode outputKey} accepts). `config.ts` checks OUTPUT_PREFIX with it.
 *
 * @example
 * ```ts
 * checkPrefix("summaries/"); // fine
 * checkPrefix("a+b/"); // throws RangeError
 * ```
 */
export function checkPrefix(prefix: unknown): void {
  if (typeof prefix !== "string") {
    throw new TypeError(
      `Cannot derive an output key as the prefix is not a string: got ${typeof prefix}`,
    );
  }
  if (prefix === "") return;
  const segments = prefix.slice(0, -1).split("/");
  const isClean = prefix.endsWith("/") &&
    segments.every((segment) => usable(segment) && cleanSegment(segment) === segment) &&
    prefix === prefix.normalize("NFC");
  if (!isClean) {
    throw new RangeError(
      `Cannot derive an output key as the prefix must be "" or clean segments ending in "/": ` +
        `current value is ${quote(prefix)}`,
    );
  }
  if (utf8Length(prefix) + 1 + EXTENSION.length > MAX_KEY_BYTES) {
    throw new RangeError(
      `Cannot derive an output key as the prefix leaves no room in ${MAX_KEY_BYTES} bytes: ` +
        `current value is ${quote(prefix)}`,
    );
  }
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8, never half a character. */
function cutToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += utf8Length(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
