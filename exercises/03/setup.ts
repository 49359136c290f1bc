/**
 * Makes what the function needs, if missing: the upload bucket and the
 * counts table. For compose (`make ex03-up` runs it once) and by hand:
 *
 * ```sh
 * UPLOAD_BUCKET=csv-uploads ROWS_TABLE=csv-row-counts deno run -A exercises/03/setup.ts
 * ```
 *
 * @module
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureBucket, s3Client } from "../../infra/lambda/upload.ts";
import { setting } from "../../infra/lambda/aws.ts";
import { readConfig } from "./config.ts";
import { createCountsTable } from "./store.ts";

const config = readConfig();
const bucket = setting(Deno.env.toObject(), "UPLOAD_BUCKET", "csv-uploads");
const s3 = s3Client();
const dynamodb = new DynamoDBClient({
  region: config.region,
  credentials: config.credentials,
  endpoint: config.dynamodbEndpoint,
});
try {
  await ensureBucket(s3, bucket);
  console.error(`setup: bucket ${bucket} is there`);
  if (config.table) {
    try {
      await dynamodb.send(new DescribeTableCommand({ TableName: config.table }));
    } catch {
      await createCountsTable(dynamodb, config.table);
    }
    console.error(`setup: table ${config.table} is there`);
  }
} catch (err) {
  console.error(`setup: ${(err as Error).message}`);
  Deno.exitCode = 1;
} finally {
  s3.destroy();
  dynamodb.destroy();
}
