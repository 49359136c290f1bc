/**
 * Where a count goes: one DynamoDB item per S3 object, written so that the
 * same event delivered twice (S3 and Lambda both retry) leaves one item with
 * the right count, never a double increment, and so that an older upload's
 * count arriving late never replaces a newer one's.
 *
 * @module
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";

/** The count of one version of one object. */
export interface RowCount {
  bucket: string;
  key: string;
  rows: number;
  columns: number;
  bytes: number;
  /** The ETag of the version counted (S3's content identity). */
  etag: string;
  versionId?: string;
  /** The event's `sequencer`: S3's order of the events of one key (hex). */
  sequencer?: string;
  processedAt: string;
  requestId: string;
}

/** The table's partition key for an object: `s3://<bucket>/<key>`. */
export function objectId(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/**
 * S3's sequencers compare as hex strings of one length (S3 pads them to no
 * fixed width): left-padded here, upper case.
 *
 * @example
 * ```ts
 * sortableSequencer("ff") < sortableSequencer("100"); // true
 * ```
 */
export function sortableSequencer(sequencer: string): string {
  return sequencer.toUpperCase().padStart(32, "0");
}

/**
 * Writes the count of one version of an object:
 * - `"written"` when the table has no count for the object, or an older
 *   upload's with other content;
 * - `"duplicate"` when it has a count of the same content (same ETag): the
 *   same event again, or the same bytes uploaded again;
 * - `"stale"` when it has a newer upload's (this event came late).
 *
 * Older and newer are the events' sequencers when the event has one (S3's
 * events do); without one (a direct invoke), any other ETag is newer.
 *
 * @example
 * ```ts
 * await saveCount(client, "csv-row-counts", count); // "written", then "duplicate"
 * ```
 */
export async function saveCount(
  client: DynamoDBClient,
  table: string,
  count: RowCount,
): Promise<"written" | "duplicate" | "stale"> {
  const sequencer = count.sequencer ? sortableSequencer(count.sequencer) : undefined;
  try {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          object: { S: objectId(count.bucket, count.key) },
          bucket: { S: count.bucket },
          key: { S: count.key },
          rows: { N: String(count.rows) },
          columns: { N: String(count.columns) },
          bytes: { N: String(count.bytes) },
          etag: { S: count.etag },
          ...(count.versionId ? { version_id: { S: count.versionId } } : {}),
          ...(sequencer ? { sequencer: { S: sequencer } } : {}),
          processed_at: { S: count.processedAt },
          request_id: { S: count.requestId },
        },
        ConditionExpression: sequencer
          ? "attribute_not_exists(#object) OR " +
            "((attribute_not_exists(#seq) OR #seq < :seq) AND #etag <> :etag)"
          : "attribute_not_exists(#object) OR #etag <> :etag",
        ExpressionAttributeNames: {
          "#object": "object",
          "#etag": "etag",
          ...(sequencer ? { "#seq": "sequencer" } : {}),
        },
        ExpressionAttributeValues: {
          ":etag": { S: count.etag },
          ...(sequencer ? { ":seq": { S: sequencer } } : {}),
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return "written";
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    return err.Item?.etag?.S === count.etag ? "duplicate" : "stale";
  }
}

/**
 * Creates the table as the deploy script does (on-demand, key `object`), for
 * tests and the demo.
 *
 * @example
 * ```ts
 * await createCountsTable(client, "csv-row-counts");
 * ```
 */
export async function createCountsTable(client: DynamoDBClient, table: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "object", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "object", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}
