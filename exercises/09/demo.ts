/**
 * Exercise 09 end to end, as `make demo` and `make ex09` run it: an S3
 * server that sends events (a throwaway versitygw), the relay, and the
 * function under the Lambda runtime interface emulator with Polars. Uploads
 * the sample orders, shows the summary and checks it against the plain
 * TypeScript computation; then a bad file (retried, kept, nothing written),
 * a hostile key, and a direct invoke. Progress on stderr; the last stdout
 * line is the summary.
 *
 * @module
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { until } from "../../infra/testing.ts";
import { startS3Trigger } from "../../infra/lambda/s3_trigger.ts";
import { ensureBucket } from "../../infra/lambda/upload.ts";
import { readAwsSettings } from "../../infra/lambda/aws.ts";
import { transformOrdersPlain } from "./reference.ts";
import type { Result } from "./handler.ts";

const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const source = `demo-ex09-raw-${stamp}`;
const output = `demo-ex09-out-${stamp}`;
const say = (line: string) => console.error(`09: ${line}`);
const failures: string[] = [];
const expect = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};
const samples = new URL("./samples/", import.meta.url);
const failedFile = await Deno.makeTempFile({ prefix: "ex09-failed-", suffix: ".jsonl" });
const aws = readAwsSettings();

const trigger = await startS3Trigger("exercises/09/handler.handler", {
  image: "exercises/09/Dockerfile", // run from what the image would hold, read-only
  env: { OUTPUT_BUCKET: output },
  name: "summarise-orders",
  bucket: source,
  suffixes: [".json", ".ndjson", ".jsonl"],
  retryDelayMs: 200,
  failedFile,
  onDelivery: (d) =>
    say(
      `  invocation for ${d.key}: ${d.ok ? "ok" : "FAILED"} after ${d.attempts} attempt(s)${
        d.ok ? "" : `: ${d.error}`
      }`,
    ),
});
const s3 = new S3Client({
  region: aws.region,
  credentials: aws.credentials,
  endpoint: trigger.endpoint,
  forcePathStyle: true,
});
const upload = (key: string, body: Uint8Array) =>
  s3.send(new PutObjectCommand({ Bucket: source, Key: key, Body: body }));
const read = async (key: string) =>
  await (await s3.send(new GetObjectCommand({ Bucket: output, Key: key }))).Body!
    .transformToByteArray();
const outputKeys = async () =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: output }))).Contents ?? []).map((o) => o.Key);
const delivered = (n: number) =>
  until(() => trigger.relay.deliveries.length >= n, 60_000, `${n} invocations`);

const facts: string[] = [];
try {
  say(`S3 with events on ${trigger.endpoint}: ${source} → function (Polars) → ${output}`);
  for (const bucket of [source, output]) await ensureBucket(s3, bucket);

  // 1. The sample orders: the summary, checked against the plain computation.
  const orders = await Deno.readFile(new URL("orders.json", samples));
  say("upload orders/2026-11-30.json (8 orders, 5 customers)");
  let t = performance.now();
  await upload("orders/2026-11-30.json", orders);
  await delivered(1);
  say(
    `  summary written ${
      (performance.now() - t).toFixed(0)
    } ms after the upload (cold start included)`,
  );
  const summary = await read("summaries/orders/2026-11-30.ndjson");
  for (const line of new TextDecoder().decode(summary).trim().split("\n")) say(`  ${line}`);
  const same = summary.length > 0 &&
    new TextDecoder().decode(summary) ===
      new TextDecoder().decode(transformOrdersPlain(orders).ndjson);
  say(`  equal to the plain TypeScript computation: ${same}`);
  expect(same, "the summary equals the plain computation");
  facts.push("8 orders → 5 customer rows, equal to the plain TypeScript computation");

  // 2. A bad file: the invocation fails, the relay retries twice, then keeps it.
  say("upload bad.json (record 2 has the amount as a string)");
  await upload("bad.json", await Deno.readFile(new URL("bad-amount.ndjson", samples)));
  await delivered(2);
  const bad = trigger.relay.deliveries[1];
  const kept = (await Deno.readTextFile(failedFile)).trim().split("\n").filter(Boolean);
  const written = await outputKeys();
  say(
    `  output bucket holds ${
      written.join(", ")
    }; failure file ${failedFile}: ${kept.length} event(s)`,
  );
  expect(!bad.ok && bad.attempts === 3, "bad.json failed 3 times");
  expect(
    bad.error?.includes('record 2 (line 2): amount must be a number: got string "25000"') ?? false,
    "the reason names the record",
  );
  expect(written.length === 1, "nothing written for bad.json");
  facts.push("bad.json failed 3 times naming record 2, nothing written, event kept");

  // 3. A hostile key: the output stays under summaries/.
  const hostile = "in\\..\\..\\x (copy)+1.json";
  say(`upload ${JSON.stringify(hostile)}`);
  await upload(hostile, orders);
  await delivered(3);
  const hostileOut = (trigger.relay.deliveries[2].result as Result | undefined)?.outcomes[0].output;
  say(`  written to ${hostileOut}`);
  expect(
    hostileOut === `s3://${output}/summaries/in/x _copy_1.ndjson`,
    `hostile key gave ${hostileOut}`,
  );
  facts.push("a key with ..\\ stayed under summaries/");

  // 4. A direct invoke ({bucket, key}), warm this time.
  t = performance.now();
  const direct = await trigger.fn.invoke({ bucket: source, key: "orders/2026-11-30.json" });
  say(
    `direct invoke {bucket, key}: ${direct.ok ? "ok" : "FAILED"} in ${
      (performance.now() - t).toFixed(0)
    } ms (warm)`,
  );
  expect(direct.ok, "the direct invoke works");
} catch (err) {
  failures.push((err as Error).message);
} finally {
  s3.destroy();
  await trigger.stop();
  await Deno.remove(failedFile).catch(() => undefined);
}

if (failures.length > 0) {
  console.log(`FAILED: ${failures.join("; ")}`);
  Deno.exit(1);
}
console.log(facts.join("; "));
