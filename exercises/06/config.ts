/**
 * Exercise 06's settings, read from env vars in one place, with defaults that
 * work with `make services`. A bad value stops the program with a message
 * naming the variable.
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
  /** `BACKOFF_JITTER`: 0 for exact waits, up to 1 to spread them. Default 0. */
  backoffJitter: number;
  /** `REQUEST_TIMEOUT_MS`: a call slower than this fails (and is retried). Default 5000. */
  requestTimeoutMs: number;
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
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const text = (name: string, fallback: string): string => {
    const value = (vars[name] ?? fallback).trim();
    if (value === "") {
      throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
    }
    return value;
  };
  const number = (name: string, fallback: number, min: number, max: number, integer: boolean) => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (
      !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))
    ) {
      throw new RangeError(
        `Cannot use '${name}' as it is not ${
          integer ? "an integer" : "a number"
        } from ${min} to ${max}: current value is "${raw}"`,
      );
    }
    return value;
  };
  const url = (name: string, fallback: string, protocols: string[]) => {
    const raw = text(name, fallback);
    if (!URL.canParse(raw) || !protocols.includes(new URL(raw).protocol)) {
      throw new TypeError(
        `Cannot use '${name}' as it is not a ${
          protocols.join(" or ")
        } URL: current value is "${raw}"`,
      );
    }
    return raw.replace(/\/$/, "");
  };
  return {
    redisUrl: url("REDIS_URL", "redis://127.0.0.1:6379", ["redis:", "rediss:"]),
    flakyUrl: url("FLAKY_URL", "http://127.0.0.1:8606", ["http:", "https:"]),
    queue: text("QUEUE_NAME", "flaky-calls"),
    attempts: number("ATTEMPTS", 4, 1, 100, true),
    backoffBaseMs: number("BACKOFF_BASE_MS", 1000, 0, 3_600_000, true),
    backoffJitter: number("BACKOFF_JITTER", 0, 0, 1, false),
    requestTimeoutMs: number("REQUEST_TIMEOUT_MS", 5000, 1, 600_000, true),
  };
}
