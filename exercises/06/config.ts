/**
 * Exercise 06's settings, read from env vars in one place, with defaults that
 * work with `make services`. A bad value stops the program with a message
 * naming the variable and its value.
 *
 * @module
 */

/** Settings of the worker and the enqueuer. */
export interface Config {
  /** `REDIS_URL`. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `FLAKY_URL`: the flaky service. Default `http://127.0.0.1:8606`. */
  flakyUrl: string;
  /** `QUEUE_NAME`. Default `flaky-calls`. */
  queue: string;
  /** `ATTEMPTS`: attempts in all, the first included ("retry up to 3 times" = 4). Default 4. */
  attempts: number;
  /** `BACKOFF_BASE_MS`: the wait after the first failure; doubles after each. Default 1000. */
  backoffBaseMs: number;
  /** `BACKOFF_MAX_MS`: no wait is longer, as Celery's `retry_backoff_max`. Default 60000. */
  backoffMaxMs: number;
  /** `BACKOFF_JITTER`: 0 for exact waits, up to 1 to spread them. Default 0. */
  backoffJitter: number;
  /** `REQUEST_TIMEOUT_MS`: a call slower than this fails (and is retried). Default 5000. */
  requestTimeoutMs: number;
  /** `CONCURRENCY`: calls one worker makes at once; they wait on the network. Default 50. */
  concurrency: number;
}

/** Settings of the flaky service. */
export interface FlakyConfig {
  /** `FLAKY_PORT`: 0 picks a free one. Default 8606. */
  port: number;
  /** `FLAKY_HOST`. Default `127.0.0.1` (a container needs `0.0.0.0`). */
  hostname: string;
  /** `FLAKY_FAILURE_RATE`: share of requests answered 503, 0 to 1. Default 0.5. */
  failureRate: number;
  /** `FLAKY_SEED`: seed of its random source. Default: a random one. */
  seed?: number;
  /** `FLAKY_LATENCY_MS`: how long each answer takes. Default 0. */
  latencyMs: number;
}

type Vars = Record<string, string | undefined>;

function text(vars: Vars, name: string, fallback: string): string {
  const value = (vars[name] ?? fallback).trim();
  if (value === "") {
    throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
  }
  return value;
}

/**
 * The setting as a number from `min` to `max`, written in decimal digits
 * (`"2.5"`, `"-1"`, `"1e3"`, `"0x10"` and `""` are refused), or a
 * `RangeError` naming the setting and its value.
 */
function number(
  vars: Vars,
  name: string,
  fallback: number,
  range: { min: number; max: number; integer: boolean },
): number {
  const raw = vars[name] ?? String(fallback);
  const value = Number(raw.trim());
  const pattern = range.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!pattern.test(raw.trim()) || value < range.min || value > range.max) {
    throw new RangeError(
      `Cannot use '${name}' as it is not ${
        range.integer ? "an integer" : "a number"
      } from ${range.min} to ${range.max}: current value is ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function url(vars: Vars, name: string, fallback: string, protocols: string[]): string {
  const raw = text(vars, name, fallback);
  if (!URL.canParse(raw) || !protocols.includes(new URL(raw).protocol)) {
    throw new TypeError(
      `Cannot use '${name}' as it is not a ${
        protocols.join(" or ")
      } URL: current value is "${raw}"`,
    );
  }
  return raw.replace(/\/$/, "");
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ BACKOFF_BASE_MS: "200" }).backoffBaseMs; // 200
 * readConfig({ ATTEMPTS: "0" }); // throws RangeError
 * ```
 */
export function readConfig(vars: Vars = Deno.env.toObject()): Config {
  const integer = (min: number, max: number) => ({ min, max, integer: true });
  const config = {
    redisUrl: url(vars, "REDIS_URL", "redis://127.0.0.1:6379", ["redis:", "rediss:"]),
    flakyUrl: url(vars, "FLAKY_URL", "http://127.0.0.1:8606", ["http:", "https:"]),
    queue: text(vars, "QUEUE_NAME", "flaky-calls"),
    attempts: number(vars, "ATTEMPTS", 4, integer(1, 100)),
    backoffBaseMs: number(vars, "BACKOFF_BASE_MS", 1000, integer(0, 3_600_000)),
    backoffMaxMs: number(vars, "BACKOFF_MAX_MS", 60_000, integer(0, 86_400_000)),
    backoffJitter: number(vars, "BACKOFF_JITTER", 0, { min: 0, max: 1, integer: false }),
    requestTimeoutMs: number(vars, "REQUEST_TIMEOUT_MS", 5000, integer(1, 600_000)),
    concurrency: number(vars, "CONCURRENCY", 50, integer(1, 1000)),
  };
  if (config.backoffMaxMs < config.backoffBaseMs) {
    throw new RangeError(
      `Cannot use 'BACKOFF_MAX_MS' as it is below BACKOFF_BASE_MS (${config.backoffBaseMs}): current value is "${config.backoffMaxMs}"`,
    );
  }
  return config;
}

/**
 * Reads the flaky service's settings from the environment (or from `vars`).
 *
 * @example
 * ```ts
 * readFlakyConfig({ FLAKY_SEED: "13" }).seed; // 13
 * readFlakyConfig({ FLAKY_PORT: "-1" }); // throws RangeError
 * ```
 */
export function readFlakyConfig(vars: Vars = Deno.env.toObject()): FlakyConfig {
  const integer = (min: number, max: number) => ({ min, max, integer: true });
  return {
    port: number(vars, "FLAKY_PORT", 8606, integer(0, 65_535)),
    hostname: text(vars, "FLAKY_HOST", "127.0.0.1"),
    failureRate: number(vars, "FLAKY_FAILURE_RATE", 0.5, { min: 0, max: 1, integer: false }),
    ...(vars.FLAKY_SEED === undefined
      ? {}
      : { seed: number(vars, "FLAKY_SEED", 0, integer(0, 2 ** 32 - 1)) }),
    latencyMs: number(vars, "FLAKY_LATENCY_MS", 0, integer(0, 60_000)),
  };
}
