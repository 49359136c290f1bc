/**
 * The local S3 trigger: receives the S3 server's event notifications
 * (versitygw's webhook), keeps the ones a Lambda S3 trigger would pass (one
 * bucket, event type, key suffixes), rewrites each record into the shape AWS
 * sends (event name without "s3:", key URL-encoded, ETag without quotes),
 * and invokes the function with it, one event at a time (the emulator runs one
 * invocation at a time).
 *
 * Like Lambda's asynchronous invocation, a failed invocation is retried
 * (`retries` times, default 2) and an event that still fails is never
 * dropped: it goes to the failure file (Lambda's on-failure destination) with
 * the error, and to stderr.
 *
 * As a program (compose, demos), configured from env vars:
 *
 * ```sh
 * RELAY_FUNCTION_URL=http://127.0.0.1:9000/2015-03-31/functions/function/invocations \
 * RELAY_BUCKET=uploads RELAY_SUFFIXES=".json .ndjson" deno run -A infra/lambda/s3_relay.ts
 * ```
 *
 * @module
 */
import { decodeS3Key, encodeS3Key, type S3EventRecord } from "./s3_event.ts";
import { type Invocation, invokeUrl } from "./emulator.ts";

/** What the relay did with one event. */
export interface Delivery {
  bucket: string;
  key: string;
  eventName: string;
  attempts: number;
  ok: boolean;
  /** The function's error after the last attempt. */
  error?: string;
  result?: unknown;
}

/** Options for {@linkcode startS3Relay}. */
export interface RelayOptions {
  /** Invokes the function (e.g. `LambdaFunction.invoke`, or {@linkcode invokeUrl}). */
  invoke: (event: unknown) => Promise<Invocation>;
  /** Only events for this bucket, as a bucket's trigger. Default: every bucket. */
  bucket?: string;
  /** Event name prefix to pass. Default "ObjectCreated:". */
  eventPrefix?: string;
  /**
   * Key endings to pass, any of them (case-sensitive, like S3's filters: one
   * notification per suffix). Default: any key.
   */
  suffixes?: string[];
  /** Retries after a failed invocation. Default 2, as Lambda. */
  retries?: number;
  /** Wait before retry n: `retryDelayMs × n`. Default 1000 (Lambda waits minutes). */
  retryDelayMs?: number;
  /** Failed events are appended here as JSON lines. Default: none (stderr only). */
  failedFile?: string;
  /** 127.0.0.1 unless set. */
  hostname?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Called after each event (for logs). */
  onDelivery?: (delivery: Delivery) => void;
}

/** A running relay. */
export interface S3Relay {
  /** The webhook URL to give the S3 server. */
  url: string;
  deliveries: Delivery[];
  /** Resolves once every event received so far has been delivered or failed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Rewrites a versitygw record into what AWS sends, or null when the trigger
 * would not fire for it.
 *
 * @example
 * ```ts
 * toAwsRecord(record, { bucket: "in", eventPrefix: "ObjectCreated:" });
 * ```
 */
export function toAwsRecord(
  record: S3EventRecord,
  filter: { bucket?: string; eventPrefix: string; suffixes?: string[] },
): S3EventRecord | null {
  const eventName = record.eventName.replace(/^s3:/, "");
  const { bucket, object } = record.s3;
  if (!eventName.startsWith(filter.eventPrefix)) return null;
  if (filter.bucket !== undefined && bucket.name !== filter.bucket) return null;
  if (filter.suffixes?.length && !filter.suffixes.some((end) => object.key.endsWith(end))) {
    return null;
  }
  return {
    ...record,
    eventName,
    s3: {
      ...record.s3,
      bucket: { ...bucket, arn: `arn:aws:s3:::${bucket.name}` },
      object: {
        ...object,
        key: encodeS3Key(object.key),
        eTag: object.eTag?.replace(/^"|"$/g, "") ?? null,
      },
    },
  };
}

/**
 * Starts the relay's HTTP server. It answers the S3 server at once (204) and
 * delivers in the background, in arrival order.
 */
export function startS3Relay(options: RelayOptions): S3Relay {
  const {
    invoke,
    eventPrefix = "ObjectCreated:",
    retries = 2,
    retryDelayMs = 1000,
    failedFile,
    onDelivery,
  } = options;
  const deliveries: Delivery[] = [];
  let queue: Promise<void> = Promise.resolve();

  const deliver = async (record: S3EventRecord) => {
    const event = { Records: [record] };
    const delivery: Delivery = {
      bucket: record.s3.bucket.name,
      key: decodeS3Key(record.s3.object.key),
      eventName: record.eventName,
      attempts: 0,
      ok: false,
    };
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
      delivery.attempts++;
      let outcome: Invocation;
      try {
        outcome = await invoke(event);
      } catch (err) {
        delivery.error = `cannot invoke the function: ${(err as Error).message}`;
        continue;
      }
      if (outcome.ok) {
        delivery.ok = true;
        delivery.result = outcome.result;
        delete delivery.error;
        break;
      }
      delivery.error = `${outcome.error.errorType}: ${outcome.error.errorMessage}`;
    }
    if (!delivery.ok) {
      console.error(
        `s3-relay: gave up on s3://${delivery.bucket}/${delivery.key} after ${delivery.attempts} attempts: ${delivery.error}`,
      );
      if (failedFile) {
        const line = { ...delivery, event, failed_at: new Date().toISOString() };
        try {
          await Deno.writeTextFile(failedFile, JSON.stringify(line) + "\n", { append: true });
        } catch (err) {
          // Still not dropped: the whole event goes to stderr instead.
          console.error(
            `s3-relay: cannot write to the failure file ${failedFile} (${
              (err as Error).message
            }); ` +
              `the event: ${JSON.stringify(line)}`,
          );
        }
      }
    }
    deliveries.push(delivery);
    try {
      onDelivery?.(delivery);
    } catch (err) {
      console.error(`s3-relay: onDelivery threw: ${(err as Error).message}`);
    }
  };

  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, async (request) => {
    if (request.method !== "POST") return new Response("POST events here\n", { status: 405 });
    let body: { Records?: S3EventRecord[] };
    try {
      body = await request.json();
    } catch (err) {
      console.error(`s3-relay: ignored a body that is not JSON: ${(err as Error).message}`);
      return new Response("not JSON\n", { status: 400 });
    }
    // versitygw's start-up check is {"Event":"s3:TestEvent",...}: no Records.
    for (const record of body.Records ?? []) {
      const aws = toAwsRecord(record, {
        bucket: options.bucket,
        eventPrefix,
        suffixes: options.suffixes,
      });
      // deliver() handles its own failures; the catch keeps the queue going whatever happens.
      if (aws) {
        queue = queue.then(() => deliver(aws)).catch((err) =>
          console.error(`s3-relay: delivery failed: ${(err as Error).message}`)
        );
      }
    }
    return new Response(null, { status: 204 });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}/`,
    deliveries,
    async idle() {
      let seen: Promise<void>;
      do {
        seen = queue;
        await seen;
      } while (seen !== queue);
    },
    async close() {
      await server.shutdown();
      await queue;
    },
  };
}

if (import.meta.main) {
  const env = (name: string) => Deno.env.get(name)?.trim() || undefined;
  const int = (name: string, fallback: number) => {
    const raw = env(name) ?? String(fallback);
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot use '${name}' as it is not a non-negative integer: current value is "${raw}"`,
      );
    }
    return value;
  };
  const functionUrl = env("RELAY_FUNCTION_URL") ??
    "http://127.0.0.1:9000/2015-03-31/functions/function/invocations";
  const relay = startS3Relay({
    invoke: (event) => invokeUrl(functionUrl, event),
    bucket: env("RELAY_BUCKET"),
    suffixes: env("RELAY_SUFFIXES")?.split(/\s+/),
    eventPrefix: env("RELAY_EVENT_PREFIX") ?? "ObjectCreated:",
    retries: int("RELAY_RETRIES", 2),
    retryDelayMs: int("RELAY_RETRY_DELAY_MS", 1000),
    failedFile: env("RELAY_FAILED_FILE"),
    hostname: env("RELAY_HOST") ?? "127.0.0.1",
    port: int("RELAY_PORT", 9500),
    onDelivery: (d) => console.log(JSON.stringify(d)),
  });
  console.error(`s3-relay: listening on ${relay.url}, invoking ${functionUrl}`);
  const stop = async () => {
    await relay.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
