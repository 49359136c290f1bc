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
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { Handler } from "../../infra/lambda/runtime.ts";
import { type S3ObjectRef, s3Objects } from "../../infra/lambda/s3_event.ts";
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

function log(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}

/** The objects to transform: an S3 event's records, or one `{bucket, key}`. */
export function inputsOf(event: unknown): S3ObjectRef[] {
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
    let object;
    try {
      object = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(ref.etag ? { IfMatch: `"${ref.etag}"` } : {}),
        }),
      );
    } catch (err) {
      // Replaced since the event (its own event follows) or deleted: nothing to do.
      const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : 0;
      if (status === 412 || (err as Error).name === "NoSuchKey") {
        const reason = status === 412
          ? `replaced since the event (ETag is no longer ${ref.etag})`
          : "deleted since the event";
        return { bucket, key, status: "skipped", reason };
      }
      throw err;
    }
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

  return async (event, context) => {
    const outcomes: Outcome[] = [];
    const failures: string[] = [];
    for (const ref of inputsOf(event)) {
      try {
        const outcome = await transformObject(ref);
        log({ message: outcome.status, requestId: context.awsRequestId, ...outcome });
        outcomes.push(outcome);
      } catch (err) {
        const reason = `Cannot transform s3://${ref.bucket}/${ref.key}: ${
          (err as Error).message.replace(/^Cannot transform orders: /, "")
        }`;
        log({
          message: "failed",
          requestId: context.awsRequestId,
          bucket: ref.bucket,
          key: ref.key,
          reason,
        });
        failures.push(reason);
      }
      // Polars' frames live in native memory that V8 does not see: they are
      // freed by finalizers after a GC, which V8 would not start on its own
      // (its heap stays small), so a warm function would grow file by file.
      // infra/lambda/bootstrap exposes gc().
      (globalThis as { gc?: () => void }).gc?.();
    }
    if (failures.length > 0) throw new Error(failures.join("; "));
    return { outcomes };
  };
}

/**
 * The Lambda entry point (`_HANDLER=exercises/09/handler.handler`), built
 * when Lambda loads this module (its init phase): a bad setting fails the
 * start-up, naming the variable, instead of every invocation.
 */
export const handler: Handler<unknown, Result> = createHandler(readConfig());
