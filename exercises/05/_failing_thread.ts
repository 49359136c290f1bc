/**
 * Test helper: a search thread (as primes_thread.ts) that throws when it is
 * sent the single number 13, to check that a failed thread is replaced.
 */
import { primesAmong } from "./numbers.ts";

const thread = self as unknown as {
  onmessage: (event: MessageEvent<Uint32Array>) => void;
  postMessage(message: Uint32Array, transfer: Transferable[]): void;
};

thread.onmessage = (event) => {
  if (event.data.length === 1 && event.data[0] === 13) throw new Error("unlucky 13");
  const primes = Uint32Array.from(primesAmong(event.data));
  thread.postMessage(primes, [primes.buffer]);
};
