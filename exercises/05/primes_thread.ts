/**
 * The `primes` task's search, on a web worker thread: `PrimesThreads` in
 * tasks.ts starts it once and sends it one job's numbers after another. A long search here leaves the BullMQ worker's
 * thread free to renew the job's lock (BullMQ's sandboxed processors fork
 * Node, which Deno does not support: bullmq#3024).
 *
 * Receives the numbers as a `Uint32Array`, answers with the distinct primes
 * among them, ascending, as a `Uint32Array`.
 *
 * @module
 */
import { primesAmong } from "./numbers.ts";

const thread = self as unknown as {
  onmessage: (event: MessageEvent<Uint32Array>) => void;
  postMessage(message: Uint32Array, transfer: Transferable[]): void;
};

thread.onmessage = (event) => {
  const primes = Uint32Array.from(primesAmong(event.data));
  thread.postMessage(primes, [primes.buffer]);
};
