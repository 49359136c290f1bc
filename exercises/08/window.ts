/**
 * Time arithmetic for the rolling counts: durations such as `5m`, the bucket
 * a click falls in, and which buckets make up a window. Pure functions: no
 * Redis here.
 *
 * A window of n buckets is the bucket that holds `now` and the n - 1 buckets
 * before it. With 1-minute buckets, `window=5m` counts the clicks of the
 * current minute and of the 4 whole minutes before it: between 4 and 5
 * minutes of history, depending on how far into the current minute `now` is.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: a whole number followed by `ms`, `s`, `m` or `h`.
 * Returns null for anything else (no unit, fractions, negative numbers).
 *
 * @example
 * ```ts
 * parseDuration("5m"); // 300000
 * parseDuration("250ms"); // 250
 * parseDuration("5"); // null
 * ```
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * UNITS[match[2]];
}

/**
 * Writes milliseconds in the largest unit that divides them exactly.
 *
 * @example
 * ```ts
 * formatDuration(300_000); // "5m"
 * formatDuration(90_000); // "90s"
 * formatDuration(1_500); // "1500ms"
 * ```
 */
export function formatDuration(ms: number): string {
  for (const unit of ["h", "m", "s"]) {
    if (ms > 0 && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The start (epoch ms) of the bucket that holds `ts`.
 *
 * @example
 * ```ts
 * bucketStart(Date.parse("2026-11-01T09:15:42Z"), 60_000) === Date.parse("2026-11-01T09:15:00Z"); // true
 * ```
 */
export function bucketStart(ts: number, bucketMs: number): number {
  return Math.floor(ts / bucketMs) * bucketMs;
}

/**
 * The starts of the buckets a window covers at `now`, newest first.
 *
 * @example
 * ```ts
 * windowBuckets(125_000, 180_000, 60_000); // [120000, 60000, 0]
 * ```
 */
export function windowBuckets(now: number, windowMs: number, bucketMs: number): number[] {
  const newest = bucketStart(now, bucketMs);
  return Array.from({ length: windowMs / bucketMs }, (_, i) => newest - i * bucketMs);
}

/**
 * When a bucket's key can go: once the bucket has left the longest window
 * (`retentionMs`), plus one bucket of slack for clock differences between
 * Redis and the processes that read the counts.
 *
 * @example
 * ```ts
 * bucketExpiry(0, 60_000, 3_600_000); // 3660000
 * ```
 */
export function bucketExpiry(start: number, bucketMs: number, retentionMs: number): number {
  return start + retentionMs + bucketMs;
}

/** Limits for {@linkcode parseWindow}. */
export interface WindowLimits {
  /** Bucket length: a window is a whole number of buckets. */
  bucketMs: number;
  /** The longest window: buckets older than this have expired. */
  maxMs: number;
  /** The window when the parameter is absent. */
  defaultMs: number;
}

/**
 * Reads the `window` query parameter. Absent means the default; anything that
 * is not a whole number of buckets up to the longest window is a RangeError
 * whose message can go back to the client as it is.
 *
 * @example
 * ```ts
 * const limits = { bucketMs: 60_000, maxMs: 3_600_000, defaultMs: 300_000 };
 * parseWindow(undefined, limits); // 300000
 * parseWindow("15m", limits); // 900000
 * parseWindow("90s", limits); // throws RangeError: not a whole number of 1m buckets
 * ```
 */
export function parseWindow(value: string | undefined, limits: WindowLimits): number {
  if (value === undefined) return limits.defaultMs;
  const ms = parseDuration(value);
  const shown = JSON.stringify(value);
  if (ms === null) {
    throw new RangeError(
      `Cannot use 'window' as it is not a duration such as 30s, 5m or 1h: current value is ${shown}`,
    );
  }
  const bucket = formatDuration(limits.bucketMs);
  if (ms === 0 || ms % limits.bucketMs !== 0) {
    throw new RangeError(
      `Cannot use 'window' as it is not a whole number of ${bucket} buckets: current value is ${shown}`,
    );
  }
  if (ms > limits.maxMs) {
    throw new RangeError(
      `Cannot use 'window' as it is longer than the ${
        formatDuration(limits.maxMs)
      } the counts are kept for: current value is ${shown}`,
    );
  }
  return ms;
}
