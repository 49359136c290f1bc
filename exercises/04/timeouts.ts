/**
 * Timeouts for many calls on one timer. ioredis's `commandTimeout` arms a
 * timer for every command; under Deno a timer that outlives the tick it was
 * set in costs about 4 µs to set and clear, and stays in memory until it
 * would have fired (measured in the README's bench section), which is a
 * sixth of a cache hit's CPU. Here one timer watches the oldest call still
 * running and is armed again for the next: with calls in a steady stream it
 * fires about once per timeout, whatever the rate.
 *
 * @module
 */

/** A call being watched: when it started, and how to fail it. */
interface Running {
  startedAt: number;
  fail: (err: Error) => void;
}

/**
 * Fails a call that has not settled within `ms` with `new Error(message)`;
 * one timer for all of them. The call itself goes on (a Redis command cannot
 * be taken back); its late result is dropped. `stop()` clears the timer.
 *
 * @example
 * ```ts
 * const timeouts = new Timeouts(500, "Command timed out");
 * await timeouts.run(redis.get("users:v1:42")); // or throws after 500 ms
 * timeouts.stop();
 * ```
 */
export class Timeouts {
  readonly #ms: number;
  readonly #message: string;
  // A Set iterates in insertion order: oldest call first.
  readonly #running = new Set<Running>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number, message: string) {
    this.#ms = ms;
    this.#message = message;
  }

  /** `call`'s result, or a rejection once it has run for `ms` without one. */
  run<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const running: Running = { startedAt: performance.now(), fail: reject };
      this.#running.add(running);
      this.#timer ??= setTimeout(this.#expire, this.#ms);
      call.then((value) => {
        this.#running.delete(running);
        resolve(value);
      }, (err) => {
        this.#running.delete(running);
        reject(err);
      });
    });
  }

  /** The number of calls being watched. */
  get size(): number {
    return this.#running.size;
  }

  /** Clears the timer (calls still running are no longer timed). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running.clear();
  }

  // Fails the calls that ran out of time, then waits for the oldest of the rest.
  readonly #expire = () => {
    this.#timer = undefined;
    const now = performance.now();
    for (const running of this.#running) {
      const left = running.startedAt + this.#ms - now;
      if (left > 0) {
        this.#timer = setTimeout(this.#expire, left);
        return;
      }
      this.#running.delete(running);
      running.fail(new Error(this.#message));
    }
  };
}
