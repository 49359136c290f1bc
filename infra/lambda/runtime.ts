/**
 * A Deno custom runtime for AWS Lambda: the Runtime API loop that runs one
 * handler. The same code runs under the runtime interface emulator (tests),
 * in the `provided.al2023` base image, and in AWS.
 *
 * The loop: `GET /runtime/invocation/next` → `handler(event, context)` →
 * `POST /runtime/invocation/<id>/response`, or `/error` when the handler
 * throws (Lambda then counts the invocation as failed and, for an S3
 * trigger, retries it). A start-up failure goes to `/runtime/init/error`.
 *
 * @module
 */

/** What a handler learns about its invocation (the fields Node's runtime gives). */
export interface Context {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  memoryLimitInMB: string;
  invokedFunctionArn: string;
  logGroupName: string;
  logStreamName: string;
  /** Epoch ms by which the invocation must end. */
  deadlineMs: number;
  getRemainingTimeInMillis(): number;
}

/** A Lambda handler: an async function of the event. */
export type Handler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

/** The body Lambda expects on `/error` and `/init/error`. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
}

/**
 * Turns anything thrown into Lambda's error format.
 *
 * @example
 * ```ts
 * toLambdaError(new RangeError("bad")); // { errorType: "RangeError", errorMessage: "bad", stackTrace: [...] }
 * ```
 */
export function toLambdaError(err: unknown): LambdaError {
  if (err instanceof Error) {
    return {
      errorType: err.name,
      errorMessage: err.message,
      stackTrace: (err.stack ?? "").split("\n").slice(1).map((line) => line.trim()),
    };
  }
  return { errorType: "Error", errorMessage: String(err), stackTrace: [] };
}

function api(path: string): string {
  const host = Deno.env.get("AWS_LAMBDA_RUNTIME_API");
  if (!host) {
    throw new Error(
      "Cannot start the Lambda runtime as 'AWS_LAMBDA_RUNTIME_API' is not set: " +
        "run it under Lambda or the runtime interface emulator",
    );
  }
  return `http://${host}/2018-06-01/runtime${path}`;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const json = JSON.stringify(body ?? null);
  const response = await fetch(api(path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: json,
  });
  await response.body?.cancel();
  if (!response.ok) {
    throw new Error(`The Runtime API refused POST ${path}: ${response.status}`);
  }
}

/** Reports a start-up failure (Lambda then fails the invocation with it). */
export async function reportInitError(err: unknown): Promise<void> {
  const error = toLambdaError(err);
  console.error(`lambda-runtime: init failed: ${error.errorType}: ${error.errorMessage}`);
  await post("/init/error", error, { "Lambda-Runtime-Function-Error-Type": error.errorType });
}

function contextOf(headers: Headers): Context {
  const deadlineMs = Number(headers.get("lambda-runtime-deadline-ms") ?? Date.now() + 900_000);
  const name = Deno.env.get("AWS_LAMBDA_FUNCTION_NAME") ?? "function";
  return {
    awsRequestId: headers.get("lambda-runtime-aws-request-id") ?? "",
    functionName: name,
    functionVersion: Deno.env.get("AWS_LAMBDA_FUNCTION_VERSION") ?? "$LATEST",
    memoryLimitInMB: Deno.env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") ?? "128",
    invokedFunctionArn: headers.get("lambda-runtime-invoked-function-arn") ?? "",
    logGroupName: Deno.env.get("AWS_LAMBDA_LOG_GROUP_NAME") ?? `/aws/lambda/${name}`,
    logStreamName: Deno.env.get("AWS_LAMBDA_LOG_STREAM_NAME") ?? "",
    deadlineMs,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
}

/**
 * Runs `handler` for every invocation, forever (Lambda freezes or ends the
 * process; there is no shutdown message). Errors from the handler are
 * reported to Lambda and the loop goes on.
 *
 * @example
 * ```ts
 * await serve(async (event, context) => ({ ok: true, id: context.awsRequestId }));
 * ```
 */
export async function serve<E, R>(handler: Handler<E, R>): Promise<never> {
  while (true) {
    const next = await fetch(api("/invocation/next"));
    if (!next.ok) throw new Error(`The Runtime API answered ${next.status} to /invocation/next`);
    const context = contextOf(next.headers);
    const trace = next.headers.get("lambda-runtime-trace-id");
    if (trace) Deno.env.set("_X_AMZN_TRACE_ID", trace);
    else Deno.env.delete("_X_AMZN_TRACE_ID");
    const id = context.awsRequestId;
    try {
      const text = await next.text();
      const result = await handler((text === "" ? null : JSON.parse(text)) as E, context);
      // Serialised here, so a result JSON cannot hold (a BigInt, a cycle) is
      // the function's error, and so is one the Runtime API refuses (over 6 MB).
      await post(`/invocation/${id}/response`, result);
    } catch (err) {
      const error = toLambdaError(err);
      console.error(`lambda-runtime: ${id} failed: ${error.errorType}: ${error.errorMessage}`);
      await post(`/invocation/${id}/error`, error, {
        "Lambda-Runtime-Function-Error-Type": error.errorType,
      });
    }
  }
}
