/**
 * "An upload to S3 invokes the function", locally: a throwaway S3 server
 * whose event notifications go to the relay, which invokes the function under
 * the emulator. Started in the order that works (the relay first: the S3
 * server refuses to start if its webhook does not answer).
 *
 * @example
 * ```ts
 * const trigger = await startS3Trigger("exercises/03/handler.handler", { env: { ROWS_TABLE: "t" } });
 * try {
 *   // upload to trigger.endpoint, then:
 *   await until(() => trigger.relay.deliveries.length === 1, 10_000, "the invocation");
 * } finally {
 *   await trigger.stop();
 * }
 * ```
 * @module
 */
import { type FunctionOptions, type LambdaFunction, startFunction } from "./emulator.ts";
import { type RelayOptions, type S3Relay, startS3Relay } from "./s3_relay.ts";
import { startS3Server } from "./s3_server.ts";

/** A running trigger: S3 server, relay and function. */
export interface S3Trigger {
  /** The S3 server's endpoint (upload here). */
  endpoint: string;
  relay: S3Relay;
  fn: LambdaFunction;
  /** Stops all three, the function last (after the deliveries in progress). */
  stop(): Promise<void>;
}

/** Options: the function's, and the relay's filter and retries. */
export type TriggerOptions =
  & FunctionOptions
  & Pick<
    RelayOptions,
    "bucket" | "suffix" | "retries" | "retryDelayMs" | "failedFile" | "onDelivery"
  >;

/**
 * Starts the three. The function gets `S3_ENDPOINT` set to this S3 server,
 * so it reads the object the event names from where it was uploaded.
 */
export async function startS3Trigger(
  handler: string,
  options: TriggerOptions = {},
): Promise<S3Trigger> {
  const { env = {}, name, timeoutSeconds, onLog, readOnly, ...relayOptions } = options;
  let fn: LambdaFunction | undefined;
  const relay = startS3Relay({
    ...relayOptions,
    invoke: (event) => {
      if (!fn) throw new Error("the function is not started yet");
      return fn.invoke(event);
    },
  });
  let server;
  try {
    server = await startS3Server(relay.url);
  } catch (err) {
    await relay.close();
    throw err;
  }
  try {
    fn = await startFunction(handler, {
      env: { ...env, S3_ENDPOINT: server.endpoint },
      name,
      timeoutSeconds,
      onLog,
      readOnly,
    });
  } catch (err) {
    await server.stop();
    await relay.close();
    throw err;
  }
  const started = fn;
  return {
    endpoint: server.endpoint,
    relay,
    fn: started,
    async stop() {
      await server.stop();
      await relay.close();
      await started.stop();
    },
  };
}
