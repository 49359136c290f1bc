/**
 * Single flight: concurrent calls for the same key share one run of the work
 * (Go's `golang.org/x/sync/singleflight`). In this exercise it stops a miss
 * storm: 50 requests for a user who is not cached make one API call, not 50.
 *
 * In process only: two processes of the same service still make one call
 * each (see the README for a cross-process lock, and why it is seldom worth it).
 *
 * @module
 */

/**
 * Runs at most one call per key at a time; callers that arrive while it runs
 * get its result (or its error). Nothing is kept once the call settles: the
 * next call runs the work again. This is not a cache.
 *
 * @example
 * ```ts
 * const flight = new SingleFlight<string>();
 * const [a, b] = await Promise.all([
 *   flight.do("42", () => fetchUser("42")),
 *   flight.do("42", () => fetchUser("42")), // joins the first: fetchUser runs once
 * ]);
 * ```
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();
  /** How many calls joined one that was already running (and so did no work). */
  joined = 0;

  /** Runs `work` for `key`, or joins the call for `key` that is already running. */
  do(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running) {
      this.joined++;
      return running;
    }
    // `work` starts at once (no extra microtask on a cache hit); a synchronous
    // throw becomes a rejected call. Either way `finally` runs in a later
    // microtask, so the key is deleted after the `set` below, never before.
    let started: Promise<T>;
    try {
      started = work();
    } catch (err) {
      started = Promise.reject(err);
    }
    const call = started.finally(() => this.#running.delete(key));
    this.#running.set(key, call);
    return call;
  }

  /** The number of keys with a call running now. */
  get size(): number {
    return this.#running.size;
  }
}
