/**
 * The Lambda row of `make bench-python`: cold start under the same runtime
 * interface emulator, from starting it to the first answered invoke, for
 * exercise 09's function (the Deno runtime, Polars, the AWS SDK; run as
 * exercises/09's tests run it, `startFunction()`) and a Python function that
 * imports boto3 and pandas (lambda_handler.py, on awslambdaric from the
 * venv). Both get the same event, a JSON file of no orders on S3, and must
 * give the same answer and write the same (empty) summary. In turn, medians
 * of 3.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Row } from "../measure.ts";
import { awsConfig, env } from "../../env.ts";
import { emulatorPath, invokeUrl, startFunction } from "../../lambda/emulator.ts";
import { ensureBucket } from "../../lambda/upload.ts";
import { HERE, inTurn, median, python } from "./peers.ts";
import { startCommand } from "../../script.ts";

const RUNS = 3;
const say = (line: string) => console.error(line);

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

/** Emulator start → first answer, for ours; returns the ms and the answer. */
async function coldOurs(event: unknown, vars: Record<string, string>) {
  const started = performance.now();
  const fn = await startFunction("exercises/09/handler.handler", { env: vars });
  try {
    const first = await fn.invoke(event);
    const ms = performance.now() - started;
    if (!first.ok) throw new Error(`exercise 09: ${first.error.errorMessage}`);
    return { ms, result: first.result };
  } finally {
    await fn.stop();
  }
}

/** The same for the Python function: the emulator runs `python -m awslambdaric lambda_handler.handler`. */
async function coldPython(event: unknown, vars: Record<string, string>) {
  const started = performance.now();
  const port = freePort();
  const rie = startCommand(await emulatorPath(), [
    "--runtime-interface-emulator-address",
    `127.0.0.1:${port}`,
    "--runtime-api-address",
    `127.0.0.1:${freePort()}`,
    await python(),
    "-m",
    "awslambdaric",
    "lambda_handler.handler",
  ], {
    ...vars,
    AWS_REGION: awsConfig().region,
    AWS_ACCESS_KEY_ID: awsConfig().credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: awsConfig().credentials.secretAccessKey,
    S3_ENDPOINT: env("S3_ENDPOINT"),
    LAMBDA_TASK_ROOT: HERE,
    AWS_LAMBDA_FUNCTION_NAME: "function",
    AWS_LAMBDA_FUNCTION_TIMEOUT: "60",
  }, HERE);
  try {
    // Ready = the port accepts a connection, as startFunction() waits.
    const deadline = Date.now() + 10_000;
    while (true) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        if (Date.now() > deadline) {
          throw new Error(`the emulator did not listen:\n${rie.stderr.tail()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const first = await invokeUrl(
      `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`,
      event,
    );
    const ms = performance.now() - started;
    if (!first.ok) {
      throw new Error(`lambda_handler.py: ${first.error.errorMessage}\n${rie.stderr.tail()}`);
    }
    return { ms, result: first.result };
  } finally {
    await rie.stop();
  }
}

/** Lambda: cold start of 09's function against a boto3 + pandas one. */
export async function benchColdStart(): Promise<Row[]> {
  const stamp = Date.now();
  const source = `bench-py-lambda-in-${stamp}`;
  const output = `bench-py-lambda-out-${stamp}`;
  const s3 = new S3Client({
    ...awsConfig(),
    endpoint: env("S3_ENDPOINT"),
    forcePathStyle: true,
  });
  const event = { bucket: source, key: "small.json" };
  const vars = { OUTPUT_BUCKET: output };
  try {
    for (const bucket of [source, output]) await ensureBucket(s3, bucket);
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "small.json", Body: "[]" }));
    const summary = async () => {
      const object = await s3.send(
        new GetObjectCommand({ Bucket: output, Key: "summaries/small.ndjson" }),
      );
      return await object.Body!.transformToString();
    };
    const runs = await inTurn(
      RUNS,
      async () => ({ ...await coldOurs(event, vars), summary: await summary() }),
      async () => ({ ...await coldPython(event, vars), summary: await summary() }),
    );
    for (let i = 0; i < RUNS; i++) {
      assert.deepEqual(runs.theirs[i].result, runs.ours[i].result, "the two answers differ");
      assert.equal(runs.theirs[i].summary, runs.ours[i].summary, "the two summaries differ");
    }
    const ms = (r: { ms: number }[]) => r.map((x) => Math.round(x.ms));
    say(
      `lambda cold start (same answer): ours ${ms(runs.ours).join(", ")} ms, ` +
        `boto3 + pandas ${ms(runs.theirs).join(", ")} ms`,
    );
    return [{
      exercise: "09",
      metric: "Lambda cold start: emulator start → first answer",
      unit: "ms",
      ours: median(ms(runs.ours)),
      reference: median(ms(runs.theirs)),
      referenceTool: "Python boto3 + pandas (awslambdaric)",
      higherIsBetter: false,
    }];
  } finally {
    for (const bucket of [source, output]) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() =>
        undefined
      );
      for (const object of listed?.Contents ?? []) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }));
      }
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
    }
    s3.destroy();
  }
}
