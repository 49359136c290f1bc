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
 * As a program, for trying a function by hand: the function's settings come
 * from your env (e.g. ROWS_TABLE), the trigger's from TRIGGER_BUCKET,
 * TRIGGER_SUFFIXES (space-separated), TRIGGER_S3_PORT (default 7071) and TRIGGER_FAILED_FILE
 * (default `failed-events.jsonl`). Ctrl-C stops it.
 *
 * ```sh
 * TRIGGER_BUCKET=csv-uploads deno run -A infra/lambda/s3_trigger.ts exercises/03/handler.handler
 * S3_ENDPOINT=http://127.0.0.1:7071 deno run -A infra/lambda/upload.ts csv-uploads my.csv
 * ```
 *
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

/** Options: the function's, the relay's filter and retries, and the S3 server's port. */
export type TriggerOptions =
  & FunctionOptions
  & Pick<
    RelayOptions,
    "bucket" | "suffixes" | "retries" | "retryDelayMs" | "failedFile" | "onDelivery"
  >
  & {
    /** The S3 server's port. Default 0: a free one. */
    s3Port?: number;
  };

/**
 * Starts the three. The function gets `S3_ENDPOINT` set to this S3 server,
 * so it reads the object the event names from where it was uploaded.
 */
export async function startS3Trigger(
  handler: string,
  options: TriggerOptions = {},
): Promise<S3Trigger> {
  const { env = {}, name, timeoutSeconds, onLog, readOnly, image, s3Port = 0, ...relayOptions } =
    options;
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
    server = await startS3Server(relay.url, s3Port);
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
      image,
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
      // The relay first: it stops taking events and finishes the deliveries in
      // progress while the S3 server and the function are still there.
      try {
        await relay.close();
      } finally {
        try {
          await server.stop();
        } finally {
          await started.stop();
        }
      }
    },
  };
}

if (import.meta.main) {
  const handler = Deno.args[0];
  if (!handler) {
    console.error("usage: deno run -A infra/lambda/s3_trigger.ts <module>.<export>");
    Deno.exit(2);
  }
  const env = (name: string) => Deno.env.get(name)?.trim() || undefined;
  const port = Number(env("TRIGGER_S3_PORT") ?? 7071);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(
      `Cannot use 'TRIGGER_S3_PORT' as it is not a port: current value is "${
        env("TRIGGER_S3_PORT")
      }"`,
    );
    Deno.exit(1);
  }
  const failedFile = env("TRIGGER_FAILED_FILE") ?? "failed-events.jsonl";
  const trigger = await startS3Trigger(handler, {
    bucket: env("TRIGGER_BUCKET"),
    suffixes: env("TRIGGER_SUFFIXES")?.split(/\s+/),
    failedFile,
    s3Port: port,
    onLog: (line) => console.error(`  ${line}`),
    onDelivery: (d) => console.log(JSON.stringify(d)),
  });
  console.error(
    `s3-trigger: S3 with events on ${trigger.endpoint} → relay ${trigger.relay.url} → ${handler} ` +
      `under the emulator (${trigger.fn.url}); failed events go to ${failedFile}`,
  );
  const stop = async () => {
    await trigger.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
