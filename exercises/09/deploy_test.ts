/**
 * deploy.sh with stub `aws` and `docker` commands that record their
 * arguments (infra/lambda/_deploy_stubs.ts): what it would make in AWS, and
 * that a bad setting or a missing tool stops it before it makes anything.
 */
import assert from "node:assert/strict";
import { argOf, runDeploy } from "../../infra/lambda/_deploy_stubs.ts";

const SCRIPT = "exercises/09/deploy.sh";
const SOURCE = "orders-raw-123456789012-ap-south-1";

Deno.test("deploy.sh connects every key ending the handler reads: one notification per suffix", async () => {
  const run = await runDeploy(SCRIPT);
  assert.equal(run.code, 0, run.stderr);
  const put = run.calls.find((call) => call[2] === "put-bucket-notification-configuration");
  assert.ok(put, "the trigger is put");
  assert.equal(argOf(put, "--bucket"), SOURCE);
  const { LambdaFunctionConfigurations: configurations } = JSON.parse(
    argOf(put, "--notification-configuration")!,
  );
  assert.deepEqual(
    configurations.map((c: { Filter: { Key: { FilterRules: { Value: string }[] } } }) =>
      c.Filter.Key.FilterRules.map((rule) => rule.Value)
    ),
    [[".json"], [".ndjson"], [".jsonl"]],
  );
  assert.equal(new Set(configurations.map((c: { Id: string }) => c.Id)).size, 3, "Ids differ");
  for (const c of configurations) assert.deepEqual(c.Events, ["s3:ObjectCreated:*"]);
});

Deno.test("deploy.sh gives the role s3:ListBucket on the source bucket, so a deleted upload is skipped", async () => {
  const run = await runDeploy(SCRIPT);
  assert.equal(run.code, 0, run.stderr);
  const put = run.calls.find((call) => call[2] === "put-role-policy");
  const policy = JSON.parse(argOf(put!, "--policy-document")!);
  const list = policy.Statement.filter((s: { Action: string | string[] }) =>
    [s.Action].flat().includes("s3:ListBucket")
  );
  assert.deepEqual(list.map((s: { Resource: string }) => s.Resource), [`arn:aws:s3:::${SOURCE}`]);
});

Deno.test("deploy.sh checks every setting and tool before it makes anything", async () => {
  const cases: [Record<string, string>, string, ("aws" | "docker")[]?][] = [
    [{ MEMORY_MB: "99999" }, "MEMORY_MB is a whole number from 128 to 10240, not '99999'"],
    [{ MEMORY_MB: "1e3" }, "MEMORY_MB is a whole number"],
    [{ TIMEOUT_SECONDS: "0" }, "TIMEOUT_SECONDS is a whole number from 1 to 900"],
    [{ MAX_RETRIES: "3" }, "MAX_RETRIES is a whole number from 0 to 2"],
    [{ ARCHITECTURE: "arm" }, "ARCHITECTURE is x86_64 or arm64, not 'arm'"],
    [{ FUNCTION_NAME: "my function" }, "FUNCTION_NAME 'my function' is not a Lambda function name"],
    [{ FUNCTION_NAME: "Orders" }, "ECR_REPOSITORY 'Orders' (default: FUNCTION_NAME)"],
    [{ FAILED_QUEUE: "q.fifo" }, "FAILED_QUEUE 'q.fifo' is not an SQS standard queue name"],
    [{ SOURCE_BUCKET: "Orders_Raw" }, "'Orders_Raw' is not a valid S3 bucket name"],
    [{ OUTPUT_BUCKET: "x" }, "'x' is not a valid S3 bucket name"],
    [{ OUTPUT_BUCKET: SOURCE }, "REFUSING TO DEPLOY: SOURCE_BUCKET and OUTPUT_BUCKET"],
    [{ OUTPUT_PREFIX: "out" }, "OUTPUT_PREFIX is"],
    [{}, "'docker' is not on PATH", ["aws"]],
    [{}, "'aws' is not on PATH", ["docker"]],
  ];
  for (const [env, message, tools] of cases) {
    const run = await runDeploy(SCRIPT, { env, tools });
    const what = JSON.stringify(env) + (tools ? ` with only ${tools}` : "");
    assert.notEqual(run.code, 0, what);
    assert.ok(run.stderr.includes(message), `${what}: ${run.stderr}`);
    assert.deepEqual(run.changes, [], `${what}: nothing is made`);
  }
});

Deno.test("infra/lambda/deploy.sh check refuses suffixes S3 would take as overlapping", async () => {
  const env = {
    FUNCTION_NAME: "f",
    DOCKERFILE: "exercises/09/Dockerfile",
    POLICY_FILE: "exercises/09/iam-policy.json",
    TRIGGER_BUCKET: "orders-raw",
    SOURCE_BUCKET: "orders-raw",
    OUTPUT_BUCKET: "orders-out",
    OUTPUT_PREFIX: "",
  };
  const cases: [string, string | undefined][] = [
    [".json .ndjson .jsonl", undefined], // none ends with another
    [".json backup.json", "TRIGGER_SUFFIXES 'backup.json' ends with '.json'"],
    ["json .json", "TRIGGER_SUFFIXES '.json' ends with 'json'"],
    [".json .json", "TRIGGER_SUFFIXES repeats a suffix"],
    ['.js"on', "TRIGGER_SUFFIXES has a quote"],
  ];
  for (const [suffixes, message] of cases) {
    const run = await runDeploy("infra/lambda/deploy.sh", {
      env: { ...env, TRIGGER_SUFFIXES: suffixes },
      args: ["check"],
    });
    if (message === undefined) assert.equal(run.code, 0, run.stderr);
    else {
      assert.notEqual(run.code, 0, suffixes);
      assert.ok(run.stderr.includes(message), `${suffixes}: ${run.stderr}`);
    }
    assert.deepEqual(run.changes, []);
  }
});
