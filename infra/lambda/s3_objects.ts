/**
 * What both S3-triggered handlers (exercises 03 and 09) do around their own
 * work: read the object an event names, pinned to the event's version, and
 * go through every object of the event, logging each outcome and failing
 * the invocation only after trying them all.
 *
 * @module
 */
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { Context } from "./runtime.ts";
import type { S3ObjectRef } from "./s3_event.ts";

/** A JSON log line on stdout: what CloudWatch Logs gets from the function. */
export function logLine(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}

/**
 * Gets the object the event announced: with `IfMatch` on the event's ETag
 * (and its version, when `pinVersion` and the event has one). When the
 * object was replaced since (412: the newer upload has its own event) or
 * deleted, there is nothing to do: `{ skipped: <why> }`.
 *
 * @example
 * ```ts
 * const got = await readEventObject(s3, ref);
 * if ("skipped" in got) console.log(got.skipped);
 * ```
 */
export async function readEventObject(
  s3: S3Client,
  ref: S3ObjectRef,
  options: { pinVersion?: boolean } = {},
): Promise<GetObjectCommandOutput | { skipped: string }> {
  try {
    return await s3.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(ref.etag ? { IfMatch: `"${ref.etag}"` } : {}),
        ...(options.pinVersion && ref.versionId ? { VersionId: ref.versionId } : {}),
      }),
    );
  } catch (err) {
    const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : 0;
    if (status === 412) {
      return { skipped: `replaced since the event (ETag is no longer ${ref.etag})` };
    }
    if ((err as Error).name === "NoSuchKey") return { skipped: "deleted since the event" };
    throw err;
  }
}

/**
 * Runs `handle` on every object, one at a time (a Lambda has little memory),
 * and logs each outcome. A failure is logged as
 * `Cannot <action> s3://<bucket>/<key>: <reason>` (the error's message with
 * `ownPrefix` cut off), a record that names no object (a TypeError from
 * `s3Objects()`) with its own message, and the next one is tried; then the
 * invocation fails with all the reasons (Lambda retries it; the objects
 * that worked are idempotent). An event with no records succeeds with a log
 * line saying so: there is nothing a retry could do. `afterEach` runs after
 * every object.
 *
 * @example
 * ```ts
 * const outcomes = await handleEach(s3Objects(event), countObject, {
 *   context,
 *   action: "count rows of",
 *   ownPrefix: "Cannot count rows: ",
 * });
 * ```
 */
export async function handleEach<O extends { status: string }>(
  refs: (S3ObjectRef | TypeError)[],
  handle: (ref: S3ObjectRef) => Promise<O>,
  options: { context: Context; action: string; ownPrefix: string; afterEach?: () => void },
): Promise<O[]> {
  const { context, action, ownPrefix, afterEach } = options;
  const requestId = context.awsRequestId;
  if (refs.length === 0) {
    logLine({
      message: "no records",
      requestId,
      reason: "the event has no records: nothing to do",
    });
    return [];
  }
  const outcomes: O[] = [];
  const failures: string[] = [];
  for (const [i, ref] of refs.entries()) {
    if (ref instanceof Error) {
      logLine({ message: "failed", requestId, record: i + 1, reason: ref.message });
      failures.push(ref.message);
      continue;
    }
    try {
      const outcome = await handle(ref);
      logLine({ message: outcome.status, requestId, ...outcome });
      outcomes.push(outcome);
    } catch (err) {
      const message = (err as Error).message;
      const reason = `Cannot ${action} s3://${ref.bucket}/${ref.key}: ${
        message.startsWith(ownPrefix) ? message.slice(ownPrefix.length) : message
      }`;
      logLine({ message: "failed", requestId, bucket: ref.bucket, key: ref.key, reason });
      failures.push(reason);
    }
    afterEach?.();
  }
  if (failures.length > 0) throw new Error(failures.join("; "));
  return outcomes;
}
