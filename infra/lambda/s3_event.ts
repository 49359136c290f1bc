/**
 * The S3 event notification as Lambda receives it, and the objects it names.
 * Shared by the Lambda handlers (exercises 03 and 09) and the local relay.
 *
 * @module
 */

/** One record of an S3 event (the fields the handlers use). */
export interface S3EventRecord {
  eventSource: string;
  eventName: string;
  eventTime?: string;
  awsRegion?: string;
  s3: {
    bucket: { name: string; arn?: string };
    object: {
      key: string;
      size?: number;
      eTag?: string | null;
      versionId?: string | null;
      sequencer?: string;
    };
  };
}

/** What S3 sends: one or more records. */
export interface S3Event {
  Records: S3EventRecord[];
}

/** An object named by an event record, its key decoded. */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  eventName: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
}

/**
 * Decodes a key as S3 puts it in an event: URL-encoded form value, so '+'
 * is a space and a real '+' arrives as `%2B`.
 *
 * @example
 * ```ts
 * decodeS3Key("my+file%2Bv2+%281%29.csv"); // "my file+v2 (1).csv"
 * ```
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
  } catch {
    throw new URIError(`Cannot decode the S3 key as it is not URL-encoded: got "${encoded}"`);
  }
}

/**
 * Encodes a key the way S3 does in events (Java's URLEncoder: only letters,
 * digits and `.-*_` stay, space becomes '+'), keeping '/' as S3 does. The
 * local relay uses it so handlers see what AWS would send.
 *
 * @example
 * ```ts
 * encodeS3Key("in/my file+v2 (1).csv"); // "in/my+file%2Bv2+%281%29.csv"
 * ```
 */
export function encodeS3Key(key: string): string {
  return key.split("/").map((part) =>
    encodeURIComponent(part)
      .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, "+")
  ).join("/");
}

/**
 * Every object in an S3 event (all records, not just the first), keys
 * decoded, the ETag without its quotes. A record that names no S3 object
 * (another source, no bucket, key or event name, a key that is not
 * URL-encoded) is a TypeError in its place, naming the record, so the
 * others can still be handled. Throws a TypeError when the event has no
 * Records array at all.
 *
 * @example
 * ```ts
 * s3Objects({ Records: [{ eventSource: "aws:s3", eventName: "ObjectCreated:Put",
 *   s3: { bucket: { name: "in" }, object: { key: "a+b.csv", eTag: "e1" } } }, { eventSource: "aws:sqs" }] });
 * // [{ bucket: "in", key: "a b.csv", eventName: "ObjectCreated:Put", etag: "e1" },
 * //  TypeError("Cannot read record 2 of the event as an S3 record as its eventSource is not aws:s3: …")]
 * ```
 */
export function s3Objects(event: unknown): (S3ObjectRef | TypeError)[] {
  const records = (event as S3Event | null)?.Records;
  if (!Array.isArray(records)) {
    throw new TypeError(
      `Cannot read the event as an S3 event: no Records array in ${
        JSON.stringify(event)?.slice(0, 200)
      }`,
    );
  }
  return records.map((record: S3EventRecord, i) => {
    const bucket = record?.s3?.bucket?.name;
    const key = record?.s3?.object?.key;
    const eventName = record?.eventName;
    const problem = record?.eventSource !== "aws:s3"
      ? "its eventSource is not aws:s3"
      : typeof bucket !== "string" || bucket === ""
      ? "it has no s3.bucket.name"
      : typeof key !== "string" || key === ""
      ? "it has no s3.object.key"
      : typeof eventName !== "string" || eventName === ""
      ? "it has no eventName"
      : undefined;
    const invalid = (why: string) =>
      new TypeError(
        `Cannot read record ${i + 1} of the event as an S3 record as ${why}: ${
          JSON.stringify(record)?.slice(0, 200)
        }`,
      );
    if (problem) return invalid(problem);
    let decoded: string;
    try {
      decoded = decodeS3Key(key);
    } catch {
      return invalid("its key is not URL-encoded");
    }
    const object = record.s3.object;
    const ref: S3ObjectRef = { bucket, key: decoded, eventName };
    if (typeof object.size === "number") ref.size = object.size;
    if (typeof object.eTag === "string" && object.eTag) {
      ref.etag = object.eTag.replace(/^"|"$/g, "");
    }
    if (typeof object.versionId === "string" && object.versionId) {
      ref.versionId = object.versionId;
    }
    if (typeof object.sequencer === "string" && object.sequencer) {
      ref.sequencer = object.sequencer;
    }
    return ref;
  });
}
