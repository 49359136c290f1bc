/**
 * Handlers for the runtime's tests: echo the event and context, fail on
 * request, and read an env var.
 *
 * @module
 */
import type { Context } from "../runtime.ts";

/** Returns the event, the context's fields and one env var. */
export function echo(event: unknown, context: Context): Promise<unknown> {
  return Promise.resolve({
    event,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    arn: context.invokedFunctionArn,
    remainingMs: context.getRemainingTimeInMillis(),
    greeting: Deno.env.get("GREETING") ?? null,
    cwd: Deno.cwd(),
  });
}

/** Throws a RangeError naming the event's `what`. */
export function fail(event: { what?: string }): Promise<never> {
  return Promise.reject(new RangeError(`Cannot handle ${event?.what ?? "it"}: asked to fail`));
}

/** Never answers: for the emulator's timeout. */
export function hang(): Promise<never> {
  return new Promise(() => setInterval(() => {}, 1_000));
}

/** Writes a file in /tmp and tries one in the task root; says what happened. */
export async function write(): Promise<{ tmp: string; taskRoot: string }> {
  const attempt = async (path: string) => {
    try {
      await Deno.writeTextFile(path, "x");
      await Deno.remove(path);
      return "written";
    } catch (err) {
      return (err as Error).name;
    }
  };
  return {
    tmp: await attempt(`/tmp/drills-write-${crypto.randomUUID()}`),
    taskRoot: await attempt(`${Deno.env.get("LAMBDA_TASK_ROOT")}/drills-write-test`),
  };
}

/** Returns what JSON cannot hold (a BigInt), or the event when asked to behave. */
export function unsendable(event: { ok?: boolean }): Promise<unknown> {
  return Promise.resolve(event?.ok ? event : { big: 1n });
}
