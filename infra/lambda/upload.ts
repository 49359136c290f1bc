/**
 * Uploads a file to a bucket (made if missing): how a user sets off the S3
 * trigger of exercises 03 and 09 without the AWS CLI. Prints one JSON line.
 *
 * ```sh
 * deno run -A infra/lambda/upload.ts csv-uploads exercises/03/samples/orders.csv
 * deno run -A infra/lambda/upload.ts csv-uploads ./my.csv "in/my file.csv"
 * ```
 *
 * S3_ENDPOINT and the AWS_* variables as in `infra/lambda/aws.ts`.
 *
 * @module
 */
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { readAwsSettings } from "./aws.ts";

/** A client for the S3 of `readAwsSettings()`. */
export function s3Client(vars?: Record<string, string | undefined>): S3Client {
  const aws = readAwsSettings(vars);
  return new S3Client({
    region: aws.region,
    credentials: aws.credentials,
    endpoint: aws.s3Endpoint,
    forcePathStyle: aws.forcePathStyle,
  });
}

/** Creates the bucket unless it exists. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

if (import.meta.main) {
  const [bucket, file, key = file?.split("/").pop()] = Deno.args;
  if (!bucket || !file) {
    console.error("usage: deno run -A infra/lambda/upload.ts <bucket> <file> [key]");
    Deno.exit(2);
  }
  const s3 = s3Client();
  try {
    const body = await Deno.readFile(file).catch((err) => {
      throw new Error(`Cannot read '${file}': ${err.message}`);
    });
    await ensureBucket(s3, bucket);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    console.log(
      JSON.stringify({ bucket, key, bytes: body.length, etag: put.ETag?.replaceAll('"', "") }),
    );
  } catch (err) {
    console.error(`upload: ${(err as Error).message}`);
    Deno.exitCode = 1;
  } finally {
    s3.destroy();
  }
}
