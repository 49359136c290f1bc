/**
 * Exercise 09: a Lambda function (shipped as a container image) that reads
 * a JSON file of orders from S3, summarises it per customer with Polars, and
 * writes the summary to another bucket as NDJSON.
 *
 * Invoked by an S3 upload (every record of the event) or directly with
 * `{"bucket": "...", "key": "..."}`. For each object:
 * 1. skip keys that are not `.json` / `.ndjson` / `.jsonl`, and the function's
 *    own output (if the output bucket is also a source), saying so in the log;
 * 2. read the object whole (Polars needs it), refusing one above MAX_INPUT_MB;
 * 3. transform and check every record before anything is written, so a bad
 *    file fails the invocation (naming the object, record and reason) and
 *    leaves no half-written output;
 * 4. write the summary under a key derived from the input's, sanitised so it
 *    never leaves OUTPUT_PREFIX. The same input gives the same bytes under
 *    the same key, so a repeated event rewrites an identical object.
 *
 * @module
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Handler } from "../../infra/lambda/runtime.ts";
import { type S3ObjectRef, s3Objects } from "../../infra/lambda/s3_event.ts";
import { handleEach, readEventObject } from "../../infra/lambda/s3_objects.ts";
import { type Config, readConfig } from "./config.ts";
import { outputKey } from "./output_key.ts";
import { transformOrders } from "./transform.ts";

/** What happened to one input object. */
export interface Outcome {
  bucket: string;
  key: string;
  status: "written" | "skipped";
  /** `s3://<bucket>/<key>` of the summary. */
  output?: string;
  orders?: number;
  customers?: number;
  bytes?: number;
  reason?: string;
}

/** The function's answer: one outcome per input object. */
export interface Result {
  outcomes: Outcome[];
}

const JSON_KEY = /\.(json|ndjson|jsonl)$/i;

/** The objects to transform: an S3 event's records, or one `{bucket, key}`. */
export function inputsOf(event: unknown): (S3ObjectRef | TypeError)[] {
  const direct = event as { bucket?: unknown; key?: unknown } | null;
  if (direct && typeof direct === "object" && !("Records" in direct)) {
    if (typeof direct.bucket !== "string" || typeof direct.key !== "string") {
      throw new TypeError(
        `Cannot read the event: expected an S3 event or {"bucket": "...", "key": "..."}, got ${
          JSON.stringify(event)?.slice(0, 200)
        }`,
      );
    }
    return [{ bucket: direct.bucket, key: direct.key, eventName: "Invoke" }];
  }
  return s3Objects(event);
}

/**
 * Builds the handler with its S3 client (made once per cold start).
 *
 * @example
 * ```ts
 * const handler = createHandler(readConfig({ OUTPUT_BUCKET: "orders-summaries" }));
 * ```
 */
export function createHandler(config: Config): Handler<unknown, Result> {
  const s3 = new S3Client({
    region: config.region,
    credentials: config.credentials,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.forcePathStyle,
  });

  async function transformObject(ref: S3ObjectRef): Promise<Outcome> {
    const { bucket, key } = ref;
    if (ref.eventName !== "Invoke" && !ref.eventName.startsWith("ObjectCreated:")) {
      return { bucket, key, status: "skipped", reason: `event ${ref.eventName} is not an upload` };
    }
    if (!JSON_KEY.test(key)) {
      return { bucket, key, status: "skipped", reason: "not a .json, .ndjson or .jsonl key" };
    }
    if (bucket === config.outputBucket && key.startsWith(config.outputPrefix)) {
      return { bucket, key, status: "skipped", reason: "the function's own output" };
    }
    const object = await readEventObject(s3, ref);
    if ("skipped" in object) return { bucket, key, status: "skipped", reason: object.skipped };
    const size = object.ContentLength ?? 0;
    if (size > config.maxInputBytes) {
      await object.Body?.transformToWebStream().cancel();
      throw new RangeError(
        `the object is ${size} bytes, above MAX_INPUT_MB (${config.maxInputBytes} bytes)`,
      );
    }
    const input = await object.Body!.transformToByteArray();
    const summary = transformOrders(input);
    const output = outputKey(key, { prefix: config.outputPrefix });
    await s3.send(
      new PutObjectCommand({
        Bucket: config.outputBucket,
        Key: output,
        Body: summary.ndjson,
        ContentType: "application/x-ndjson",
        Metadata: {
          "source-bucket": bucket,
          "source-etag": (object.ETag ?? "").replaceAll('"', ""),
        },
      }),
    );
    return {
      bucket,
      key,
      status: "written",
      output: `s3://${config.outputBucket}/${output}`,
      orders: summary.orders,
      customers: summary.customers,
      bytes: summary.ndjson.length,
    };
  }

  return async (event, context) => ({
    outcomes: await handleEach(inputsOf(event), transformObject, {
      context,
      action: "transform",
      ownPrefix: "Cannot transform orders: ",
      // Polars' frames live in native memory that V8 does not see: they are
      // freed by finalizers after a GC, which V8 would not start on its own
      // (its heap stays small), so a warm function would grow file by file.
      // infra/lambda/bootstrap exposes gc().
      afterEach: () => (globalThis as { gc?: () => void }).gc?.(),
    }),
  });
}

/**
 * The Lambda entry point (`_HANDLER=exercises/09/handler.handler`), built
 * when Lambda loads this module (its init phase): a bad setting fails the
 * start-up, naming the variable, instead of every invocation.
 */
export const handler: Handler<unknown, Result> = createHandler(readConfig());
