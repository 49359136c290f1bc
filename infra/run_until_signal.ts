/**
 * The life of a long-running Kafka program (01 and 02 consumers, 08
 * processor): signal handlers installed before anything connects, a clean
 * exit 0 on SIGINT/SIGTERM at any moment (also during start-up), and a
 * non-zero exit with a message when the consumer dies for good.
 *
 * @example
 * ```ts
 * runUntilSignal("consumer", () => startConsumer(config), {
 *   describeError: (err) => describeKafkaError(err, config.brokers),
 * });
 * ```
 * @module
 */

/** What {@linkcode runUntilSignal} runs. */
export interface Running {
  /** Finishes the work in hand and closes every client. */
  stop(): Promise<void>;
  /** Resolves with the error if the program can no longer work (never, otherwise). */
  failed: Promise<Error>;
}

/** Options for {@linkcode runUntilSignal}. */
export interface RunOptions {
  /** Turns a start-up or fatal error into one line. Default: its message. */
  describeError?: (err: unknown) => string;
  /** Called after a clean stop, before exit 0 (e.g. to print a summary). */
  onStopped?: () => void;
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Starts the program and exits when it is done: 0 after a signal and a clean
 * stop; 1 when starting fails or `failed` resolves. A signal during start-up
 * waits for the start to finish and then stops, so group members leave and
 * offsets are committed; a second signal exits at once (130 or 143).
 */
export function runUntilSignal(
  name: string,
  start: () => Promise<Running>,
  options: RunOptions = {},
): void {
  const { describeError = (err) => (err as Error).message ?? String(err), onStopped } = options;
  let stopping = false;
  const fail = (err: unknown, what: string) => {
    if (stopping) return;
    console.error(`${name}: ${what}${describeError(err)}`);
    Deno.exit(1);
  };
  for (const [signal, code] of Object.entries(SIGNALS) as [Deno.Signal, number][]) {
    Deno.addSignalListener(signal, async () => {
      if (stopping) {
        console.error(`${name}: ${signal} again: exiting without a clean stop`);
        Deno.exit(code);
      }
      stopping = true;
      console.error(`${name}: ${signal}: stopping`);
      let started: Running;
      try {
        started = await running;
      } catch {
        Deno.exit(0); // It never started: nothing to close.
      }
      await started.stop();
      onStopped?.();
      Deno.exit(0);
    });
  }
  // Only now, with the handlers in place: a signal at any later moment is a clean stop.
  const running = start();
  running.then(
    (started) =>
      started.failed.then((err) => fail(err, "stopped for good (kafkajs will not restart it): ")),
    (err) => fail(err, ""),
  );
}
