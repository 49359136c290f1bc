/**
 * What processing a message means in this exercise: parse a payment and apply
 * it to the ledger. Pure functions, so the rules are easy to test.
 *
 * @module
 */

/** A payment message. */
export interface Payment {
  payment_id: string;
  /** In paise (integer), so sums are exact. */
  amount: number;
  /**
   * For demos and tests: how many attempts fail before this one succeeds, as
   * a flaky downstream would. Default 0.
   */
  fail_attempts?: number;
}

/** The message can never be processed: it is dead-lettered at once with this message, not retried. */
export class ProcessingError extends Error {
  override name = "ProcessingError";
}

/**
 * Parses a message value into a payment; a value that can never be processed
 * throws {@linkcode ProcessingError} naming the reason.
 *
 * @example
 * ```ts
 * parsePayment('{"payment_id":"p1","amount":2500}'); // { payment_id: "p1", amount: 2500 }
 * parsePayment('{"payment_id":"p1","amount":-5}'); // throws ProcessingError
 * ```
 */
export function parsePayment(value: string | null): Payment {
  if (value === null) throw new ProcessingError("message has no value");
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch (err) {
    throw new ProcessingError(`not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ProcessingError("a payment must be a JSON object");
  }
  const { payment_id, amount, fail_attempts = 0 } = data as Record<string, unknown>;
  if (typeof payment_id !== "string" || payment_id === "") {
    throw new ProcessingError("payment_id must be a non-empty string");
  }
  if (!Number.isSafeInteger(amount) || (amount as number) <= 0) {
    throw new ProcessingError(
      `amount must be a positive integer (paise): got ${JSON.stringify(amount)}`,
    );
  }
  if (!Number.isSafeInteger(fail_attempts) || (fail_attempts as number) < 0) {
    throw new ProcessingError(
      `fail_attempts must be an integer >= 0: got ${JSON.stringify(fail_attempts)}`,
    );
  }
  return { payment_id, amount: amount as number, fail_attempts: fail_attempts as number };
}

/**
 * The delay before attempt `attempt` (2, 3, …): `baseMs`, then doubled each time.
 *
 * @example
 * ```ts
 * [2, 3, 4].map((a) => retryDelay(a, 200)); // [200, 400, 800]
 * ```
 */
export function retryDelay(attempt: number, baseMs: number): number {
  return baseMs * 2 ** (attempt - 2);
}
