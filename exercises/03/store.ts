/**
 * Where a count goes: one DynamoDB item per S3 object, written so that the
 * same event delivered twice (S3 and Lambda both retry) leaves one item with
 * the right count, never a double increment.
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
  processedAt: string;
  requestId: string;
}

/** The table's partition key for an object: `s3://<bucket>/<key>`. */
export function objectId(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/**
 * Writes the count unless this version of the object (same ETag) is already
 * there. Returns `"written"`, or `"duplicate"` for an event seen before. A new
 * upload under the same key (another ETag) replaces the old count.
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
): Promise<"written" | "duplicate"> {
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
          processed_at: { S: count.processedAt },
          request_id: { S: count.requestId },
        },
        ConditionExpression: "attribute_not_exists(#object) OR #etag <> :etag",
        ExpressionAttributeNames: { "#object": "object", "#etag": "etag" },
        ExpressionAttributeValues: { ":etag": { S: count.etag } },
      }),
    );
    return "written";
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return "duplicate";
    throw err;
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
