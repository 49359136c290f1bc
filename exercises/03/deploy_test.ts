/**
 * deploy.sh with stub `aws` and `docker` commands that record their
 * arguments (infra/lambda/_deploy_stubs.ts): what it would make in AWS, and
 * that a bad setting or a missing tool stops it before it makes anything.
 */
import assert from "node:assert/strict";
import { argOf, runDeploy } from "../../infra/lambda/_deploy_stubs.ts";

const SCRIPT = "exercises/03/deploy.sh";

Deno.test("deploy.sh makes the bucket, the table and the function, with one notification for .csv", async () => {
  const run = await runDeploy(SCRIPT);
  assert.equal(run.code, 0, run.stderr);
  const actions = run.changes.map((call) => `${call[1]} ${call[2]}`);
  assert.deepEqual(actions.slice(0, 3), [
    "s3api create-bucket",
    "dynamodb create-table",
    "ecr create-repository",
  ]);
  const put = run.calls.find((call) => call[2] === "put-bucket-notification-configuration")!;
  const { LambdaFunctionConfigurations: configurations } = JSON.parse(
    argOf(put, "--notification-configuration")!,
  );
  assert.deepEqual(configurations.map((c: { Filter: unknown }) => c.Filter), [
    { Key: { FilterRules: [{ Name: "suffix", Value: ".csv" }] } },
  ]);
  const policy = run.calls.find((call) => call[2] === "put-role-policy")!;
  assert.match(argOf(policy, "--policy-document")!, /"s3:ListBucket"/);
});

Deno.test("deploy.sh checks every setting and tool before it makes anything", async () => {
  const cases: [Record<string, string>, string, ("aws" | "docker")[]?][] = [
    [{ MEMORY_MB: "99999" }, "MEMORY_MB is a whole number from 128 to 10240, not '99999'"],
    [{ MEMORY_MB: "-1" }, "MEMORY_MB is a whole number"],
    [{ TIMEOUT_SECONDS: "901" }, "TIMEOUT_SECONDS is a whole number from 1 to 900"],
    [{ ROWS_TABLE: "a b" }, "ROWS_TABLE 'a b' is not a DynamoDB table name"],
    [{ ROWS_TABLE: "ab" }, "ROWS_TABLE 'ab' is not a DynamoDB table name"],
    [{ CSV_HEADER: "yes" }, "CSV_HEADER is true or false, not 'yes'"],
    [{ UPLOAD_BUCKET: "Uploads" }, "'Uploads' is not a valid S3 bucket name"],
    [{ ARCHITECTURE: "aarch64" }, "ARCHITECTURE is x86_64 or arm64, not 'aarch64'"],
    [{ IMAGE_TAG: "v 1" }, "IMAGE_TAG 'v 1' is not a Docker tag"],
    [{}, "'docker' is not on PATH", ["aws"]],
  ];
  for (const [env, message, tools] of cases) {
    const run = await runDeploy(SCRIPT, { env, tools });
    const what = JSON.stringify(env) + (tools ? ` with only ${tools}` : "");
    assert.notEqual(run.code, 0, what);
    assert.ok(run.stderr.includes(message), `${what}: ${run.stderr}`);
    assert.deepEqual(run.changes, [], `${what}: nothing is made`);
  }
});
