/**
 * Internal test helper: runs a deploy script (exercises/NN/deploy.sh) with
 * stub `aws` and `docker` commands first on PATH, which record every call
 * and answer as an empty AWS account would (nothing exists yet). No AWS
 * account is needed or touched: PATH holds only the stubs, /usr/bin and /bin.
 *
 * @module
 */

const ACCOUNT = "123456789012";

// Answers as an account where nothing exists yet: describe/get/head fail,
// create and put succeed, the few queries the script reads answer in shape.
const AWS_STUB = String.raw`#!/usr/bin/env bash
printf '%s\x1f' aws "$@" >>"$STUB_LOG"; printf '\x1e' >>"$STUB_LOG"
arg() { local want=$1; shift; while [ $# -gt 1 ]; do [ "$1" = "$want" ] && { printf '%s' "$2"; return; }; shift; done; }
case "$1 $2" in
"sts get-caller-identity") echo ${ACCOUNT} ;;
"configure get") exit 1 ;;
"s3api head-bucket" | "dynamodb describe-table" | "ecr describe-repositories" | "sqs get-queue-url") exit 254 ;;
"ecr get-login-password") echo password ;;
"ecr describe-images") echo sha256:0123456789abcdef ;;
"iam get-role") [ -n "$(arg --query "$@")" ] || exit 254; echo "arn:aws:iam::${ACCOUNT}:role/$(arg --role-name "$@")" ;;
"lambda get-function") [ -n "$(arg --query "$@")" ] || exit 254; echo "arn:aws:lambda:$AWS_REGION:${ACCOUNT}:function:$(arg --function-name "$@")" ;;
"sqs create-queue") echo "https://sqs.$AWS_REGION.amazonaws.com/${ACCOUNT}/$(arg --queue-name "$@")" ;;
"sqs get-queue-attributes") url=$(arg --queue-url "$@"); echo "arn:aws:sqs:$AWS_REGION:${ACCOUNT}:${"$"}{url##*/}" ;;
esac
exit 0
`;

// \`docker login --password-stdin\` reads the password, as the real one does
// (else \`aws ecr get-login-password\` would die of SIGPIPE under pipefail).
const DOCKER_STUB = String.raw`#!/usr/bin/env bash
printf '%s\x1f' docker "$@" >>"$STUB_LOG"; printf '\x1e' >>"$STUB_LOG"
[ "$1" != login ] || cat >/dev/null
`;

/** What a deploy run did. */
export interface DeployRun {
  code: number;
  stderr: string;
  /** Every stub call, in order: the command and its arguments. */
  calls: string[][];
  /** The calls that make or change something in AWS (create, put, add, update, set, build, push). */
  changes: string[][];
}

/**
 * Runs `script` (a path from the repo root) with `env` and stubs for `tools`
 * (default: aws and docker; leave one out to see the script without it).
 *
 * @example
 * ```ts
 * const run = await runDeploy("exercises/03/deploy.sh", { env: { MEMORY_MB: "1" } });
 * run.changes; // []
 * ```
 */
export async function runDeploy(
  script: string,
  options: { env?: Record<string, string>; tools?: ("aws" | "docker")[]; args?: string[] } = {},
): Promise<DeployRun> {
  const { env = {}, tools = ["aws", "docker"], args = [] } = options;
  const dir = await Deno.makeTempDir({ prefix: "deploy-stubs-" });
  try {
    const log = `${dir}/calls`;
    await Deno.writeTextFile(log, "");
    for (const tool of tools) {
      await Deno.writeTextFile(`${dir}/${tool}`, tool === "aws" ? AWS_STUB : DOCKER_STUB, {
        mode: 0o755,
      });
    }
    // The system's tools without a real aws or docker (Debian's docker.io puts one in
    // /usr/bin): a missing stub must mean a missing tool, and no call may reach a real one.
    await Deno.mkdir(`${dir}/system`);
    for (const bin of ["/usr/bin", "/bin"]) {
      for await (const entry of Deno.readDir(bin)) {
        if (["aws", "docker"].includes(entry.name)) continue;
        await Deno.symlink(`${bin}/${entry.name}`, `${dir}/system/${entry.name}`).catch(() => {});
      }
    }
    const root = new URL("../../", import.meta.url).pathname;
    const output = await new Deno.Command("/bin/bash", {
      args: [`${root}${script}`, ...args],
      clearEnv: true,
      env: {
        PATH: `${dir}:${dir}/system`,
        HOME: dir,
        STUB_LOG: log,
        AWS_REGION: "ap-south-1",
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    // One call per \x1e, its words ended by \x1f: arguments may hold newlines.
    const calls = (await Deno.readTextFile(log)).split("\x1e").slice(0, -1)
      .map((call) => call.split("\x1f").slice(0, -1));
    const changes = calls.filter(([tool, group, action]) =>
      tool === "docker"
        ? group === "build" || group === "push"
        : /^(create|put|add|update|set|delete)-/.test(action ?? "")
    );
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr), calls, changes };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The value after `flag` in a recorded call. */
export function argOf(call: string[], flag: string): string | undefined {
  const i = call.indexOf(flag);
  return i === -1 ? undefined : call[i + 1];
}
