/**
 * Makes the two buckets the function uses, if missing. For compose
 * (`make ex09-up` runs it once) and by hand:
 *
 * ```sh
 * SOURCE_BUCKET=orders-raw OUTPUT_BUCKET=orders-summaries deno run -A exercises/09/setup.ts
 * ```
 *
 * @module
 */
import { ensureBucket, s3Client } from "../../infra/lambda/upload.ts";
import { setting } from "../../infra/lambda/aws.ts";
import { readConfig } from "./config.ts";

const config = readConfig();
const source = setting(Deno.env.toObject(), "SOURCE_BUCKET", "orders-raw");
if (source === config.outputBucket) {
  console.error(
    `setup: SOURCE_BUCKET and OUTPUT_BUCKET are both "${source}": use two buckets, or every summary written would be an upload to summarise`,
  );
  Deno.exit(1);
}
const s3 = s3Client();
try {
  for (const bucket of [source, config.outputBucket]) {
    await ensureBucket(s3, bucket);
    console.error(`setup: bucket ${bucket} is there`);
  }
} catch (err) {
  console.error(`setup: ${(err as Error).message}`);
  Deno.exitCode = 1;
} finally {
  s3.destroy();
}
