#!/usr/bin/env bash
# Deploys a Lambda exercise (03, 09) to AWS as a container image, with its S3
# trigger. exercises/NN/deploy.sh sets the settings and calls this; it cannot
# be tried without an AWS account, so read it before you run it.
#
# Usage: infra/lambda/deploy.sh account                    print the region and the account id
#        infra/lambda/deploy.sh check [NAME=VALUE...]      check every setting and tool `function`
#                                                          needs, making nothing
#        infra/lambda/deploy.sh bucket NAME...             create each S3 bucket unless it exists
#                                                          (every name checked before the first)
#        infra/lambda/deploy.sh function [NAME=VALUE...]   build, push and deploy the function;
#                                                          each NAME=VALUE is one of its env vars
#
# exercises/NN/deploy.sh runs `check` before it makes its buckets or table, so
# a bad setting or a missing tool stops it before anything exists in AWS.
#
# Needs the AWS CLI v2 (credentials for the account, e.g. AWS_PROFILE) and
# Docker with buildx, from the repo root or anywhere. Every step can be run
# again: what exists is kept (repository, role, bucket, permission, queue) or
# replaced by the new version (image, code, configuration, role policy,
# trigger, the queue's retention, retries and failure destination). What
# `function` does:
#
#   1. ECR repository (made if missing); docker build --provenance=false
#      --platform linux/amd64 (or arm64), log in to ECR, push; the function
#      then runs the pushed image by digest, not by tag.
#   2. IAM role (made if missing) that Lambda may assume
#      (infra/lambda/trust-policy.json), and its one inline policy: POLICY_FILE
#      with each {{NAME}} replaced by the value of the variable NAME.
#   3. The function (package type Image): created, or its code then its
#      configuration updated, waiting until Lambda has applied each.
#   4. The trigger: S3 may invoke the function (for this bucket, in this
#      account only), and the bucket sends ObjectCreated events for keys
#      ending in any of TRIGGER_SUFFIXES to it: one notification per suffix,
#      as a filter holds one suffix. S3 refuses two notifications for the same
#      event type whose suffixes overlap (one ends with the other, as .json
#      and backup.json), so such a list stops the deploy here first. This
#      REPLACES the bucket's whole notification configuration: give the
#      function a bucket of its own.
#   5. S3 invokes asynchronously: a failed invocation is retried MAX_RETRIES
#      times, within 6 h of the event (the default, stated). Then it is not
#      dropped: Lambda sends its record to the SQS queue FAILED_QUEUE (made if
#      missing; each message kept 14 days, the most SQS keeps), as the local
#      relay appends it to its failure file. The function's log also keeps
#      each failure and why. To read the kept failures:
#        aws sqs receive-message --queue-url "$(aws sqs get-queue-url \
#          --queue-name F-failed --query QueueUrl --output text)" \
#          --max-number-of-messages 10 --wait-time-seconds 5
#      Each body is Lambda's invocation record: requestContext.condition
#      (RetriesExhausted, or EventAgeExceeded), responseContext.functionError,
#      requestPayload (the S3 event). Receiving does not remove a message (it
#      is hidden for 30 s, then back): aws sqs delete-message --queue-url Q
#      --receipt-handle R once it is dealt with.
#
# Settings (env vars), with their defaults:
#   FUNCTION_NAME    required; the function's name
#   DOCKERFILE       required; the image's Dockerfile, relative to the repo root
#   POLICY_FILE      required; the role's inline policy, relative to the repo root
#   TRIGGER_BUCKET   required; the bucket whose new objects invoke the function
#   TRIGGER_SUFFIXES "" (every key); else space-separated key endings (case-sensitive),
#                    e.g. ".json .ndjson .jsonl"
#   AWS_REGION       AWS_DEFAULT_REGION, else the region of the CLI's profile
#   AWS_ACCOUNT_ID   the account of the credentials (aws sts get-caller-identity)
#   ARCHITECTURE     x86_64 (image built for linux/amd64), or arm64 (linux/arm64)
#   MEMORY_MB        512
#   TIMEOUT_SECONDS  60
#   MAX_RETRIES      2 (0 to 2)
#   FAILED_QUEUE     $FUNCTION_NAME-failed; the SQS queue that keeps failed events
#   ECR_REPOSITORY   $FUNCTION_NAME
#   ROLE_NAME        $FUNCTION_NAME-role
#   IMAGE_TAG        the build's UTC time, YYYYmmdd-HHMMSS
#
# Placeholders in POLICY_FILE: {{AWS_REGION}}, {{AWS_ACCOUNT_ID}},
# {{FUNCTION_NAME}}, {{FAILED_QUEUE_ARN}} (the ARN FAILED_QUEUE has, or will
# have), and any exported variable (the bucket and table names that
# exercises/NN/deploy.sh exports). An unset one stops the deploy before
# anything is built.
#
# To remove it all again: aws lambda delete-function --function-name F;
# aws iam delete-role-policy --role-name F-role --policy-name F; aws iam
# delete-role --role-name F-role; aws ecr delete-repository --force
# --repository-name F; aws logs delete-log-group --log-group-name
# /aws/lambda/F; aws sqs delete-queue --queue-url "$(aws sqs get-queue-url
# --queue-name F-failed --query QueueUrl --output text)" (its kept failures go
# with it); then the exercise's buckets (aws s3 rb --force s3://B) and table.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# No pager: the CLI's output goes to this script, not to a terminal.
export AWS_PAGER=""

say() { printf '%s\n' "$*" >&2; }
die() {
  say "deploy: $*"
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH: $2"; }

# The region and account, once; exported so every aws call and the policy use them.
resolve_account() {
  need aws "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/)"
  AWS_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}
  [ -n "$AWS_REGION" ] || die "no AWS region: set AWS_REGION (e.g. AWS_REGION=ap-south-1)"
  export AWS_REGION AWS_DEFAULT_REGION=$AWS_REGION
  if [ -z "${AWS_ACCOUNT_ID:-}" ]; then
    AWS_ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text) ||
      die "the AWS CLI has no working credentials (aws sts get-caller-identity failed)"
  fi
  export AWS_ACCOUNT_ID
}

# json_safe WHAT VALUE: VALUE goes into JSON as it is, so it may hold no quote,
# backslash or control character.
json_safe() {
  if [[ $2 == *[\"\\]* || $2 =~ [[:cntrl:]] ]]; then
    die "$1 has a quote, backslash or control character: \"$2\""
  fi
}

# check_int NAME VALUE MIN MAX: VALUE is a whole number from MIN to MAX.
check_int() {
  if ! [[ $2 =~ ^[0-9]{1,6}$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    die "$1 is a whole number from $3 to $4, not '$2'"
  fi
}

# retry_on PATTERN COMMAND...: COMMAND, again every 5 s (up to 12 times) while
# it fails with an error matching PATTERN: AWS has not propagated something
# yet (a new role, a new permission). Its output goes to stdout.
retry_on() {
  local pattern=$1 out tries=1
  shift
  until out=$("$@" 2>&1); do
    if [ "$tries" -ge 12 ] || ! grep -qE "$pattern" <<<"$out"; then
      die "$1 $2 $3 failed: $out"
    fi
    say "  not propagated yet, trying again in 5 s"
    sleep 5
    tries=$((tries + 1))
  done
  printf '%s\n' "$out"
}

# --- bucket --------------------------------------------------------------------

check_bucket_name() {
  [[ $1 =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
    die "'$1' is not a valid S3 bucket name (3-63 of a-z 0-9 . -)"
}

# ensure_bucket NAME: creates the bucket in AWS_REGION unless it exists. New
# buckets block public access by default.
ensure_bucket() {
  local bucket=$1
  check_bucket_name "$bucket"
  if aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
    say "bucket $bucket: exists"
    return
  fi
  # A 403 on head-bucket (someone else's bucket) fails here, with S3's reason.
  if [ "$AWS_REGION" = us-east-1 ]; then
    aws s3api create-bucket --bucket "$bucket" >/dev/null
  else
    aws s3api create-bucket --bucket "$bucket" \
      --create-bucket-configuration "LocationConstraint=$AWS_REGION" >/dev/null
  fi
  aws s3api wait bucket-exists --bucket "$bucket"
  say "bucket $bucket: created in $AWS_REGION"
}

# --- function ------------------------------------------------------------------

# render_policy FILE: FILE with each {{NAME}} replaced by the value of NAME.
render_policy() {
  local file=$1 text name value
  [ -f "$file" ] || die "POLICY_FILE $file does not exist"
  text=$(<"$file")
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    [ -n "${!name+set}" ] || die "$file uses {{$name}}, but $name is not set"
    value=${!name}
    json_safe "$name (in $file)" "$value"
    text=${text//"{{$name}}"/"$value"}
  done < <(grep -oE '\{\{[A-Za-z_][A-Za-z0-9_]*\}\}' "$file" | tr -d '{}' | sort -u)
  printf '%s' "$text"
}

# environment_json NAME=VALUE...: the --environment argument of Lambda.
environment_json() {
  local pair name value vars=""
  for pair in "$@"; do
    [[ $pair == *=* ]] || die "expected NAME=VALUE for the function's environment, got '$pair'"
    name=${pair%%=*}
    value=${pair#*=}
    [[ $name =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || die "'$name' is not an env var name"
    json_safe "$name" "$value"
    vars+="${vars:+,}\"$name\":\"$value\""
  done
  printf '{"Variables":{%s}}' "$vars"
}

# notification ID FUNCTION_ARN SUFFIX: one LambdaFunctionConfiguration of S3,
# for keys ending in SUFFIX ("": every key).
notification() {
  local filter=""
  [ -z "$3" ] ||
    filter=",\"Filter\":{\"Key\":{\"FilterRules\":[{\"Name\":\"suffix\",\"Value\":\"$3\"}]}}"
  printf '{"Id":"%s","LambdaFunctionArn":"%s","Events":["s3:ObjectCreated:*"]%s}' "$1" "$2" "$filter"
}

# check_suffixes SUFFIX...: each usable in a filter, none repeated or the end of another.
check_suffixes() {
  local a b
  for a in "$@"; do
    json_safe TRIGGER_SUFFIXES "$a"
    for b in "$@"; do
      [ "$a" != "$b" ] || continue
      [[ $a != *"$b" ]] || die "TRIGGER_SUFFIXES '$a' ends with '$b': S3 refuses overlapping suffixes"
    done
  done
  [ "$(printf '%s\n' "$@" | sort | uniq -d)" = "" ] || die "TRIGGER_SUFFIXES repeats a suffix: '$*'"
}

# check_function NAME=VALUE...: every setting of `function`, its tools and
# files, the policy and the environment, into the globals deploy_function
# uses. Nothing is made; dies naming the first bad one.
check_function() {
  name=${FUNCTION_NAME:-} dockerfile=${DOCKERFILE:-} policy_file=${POLICY_FILE:-}
  bucket=${TRIGGER_BUCKET:-}
  read -r -a suffixes <<<"${TRIGGER_SUFFIXES:-}"
  [ -n "$name" ] || die "set FUNCTION_NAME"
  [[ $name =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die "FUNCTION_NAME '$name' is not a Lambda function name"
  [ -n "$dockerfile" ] || die "set DOCKERFILE (e.g. exercises/03/Dockerfile)"
  [ -n "$policy_file" ] || die "set POLICY_FILE (e.g. exercises/03/iam-policy.json)"
  [ -n "$bucket" ] || die "set TRIGGER_BUCKET"
  check_bucket_name "$bucket"
  # ${a[@]+"${a[@]}"}: bash 3.2 (macOS) takes an empty array for unset under set -u.
  check_suffixes ${suffixes[@]+"${suffixes[@]}"}
  arch=${ARCHITECTURE:-x86_64} memory=${MEMORY_MB:-512} timeout=${TIMEOUT_SECONDS:-60}
  retries=${MAX_RETRIES:-2} repo=${ECR_REPOSITORY:-$name} role=${ROLE_NAME:-$name-role}
  tag=${IMAGE_TAG:-$(date -u +%Y%m%d-%H%M%S)}
  queue=${FAILED_QUEUE:-$name-failed}
  case $arch in
  x86_64) platform=linux/amd64 ;;
  arm64) platform=linux/arm64 ;;
  *) die "ARCHITECTURE is x86_64 or arm64, not '$arch'" ;;
  esac
  check_int MEMORY_MB "$memory" 128 10240
  check_int TIMEOUT_SECONDS "$timeout" 1 900
  check_int MAX_RETRIES "$retries" 0 2
  [[ $repo =~ ^[a-z0-9]([a-z0-9._/-]{0,254})$ ]] ||
    die "ECR_REPOSITORY '$repo' (default: FUNCTION_NAME) is not an ECR repository name (a-z 0-9 . _ - /)"
  [[ $role =~ ^[A-Za-z0-9+=,.@_-]{1,64}$ ]] || die "ROLE_NAME '$role' is not an IAM role name"
  [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "IMAGE_TAG '$tag' is not a Docker tag"
  # A standard queue: Lambda's on-failure destination takes no FIFO queue.
  [[ $queue =~ ^[A-Za-z0-9_-]{1,80}$ ]] ||
    die "FAILED_QUEUE '$queue' is not an SQS standard queue name (1-80 of A-Z a-z 0-9 _ -)"
  need docker "install Docker (with buildx) to build the image"
  resolve_account
  cd "$ROOT"
  [ -f "$dockerfile" ] || die "DOCKERFILE $dockerfile does not exist"
  export FUNCTION_NAME=$name
  # Known before the queue is made (step 5): the policy lets the role send to it.
  export FAILED_QUEUE_ARN="arn:aws:sqs:$AWS_REGION:$AWS_ACCOUNT_ID:$queue"
  # Both before anything is built: a missing placeholder or a bad value stops here.
  policy=$(render_policy "$policy_file")
  environment=$(environment_json "$@")
}

deploy_function() {
  local name dockerfile policy_file bucket suffixes arch memory timeout retries repo role tag
  local queue platform policy environment
  check_function "$@"

  # 1. The image, in ECR.
  local registry="$AWS_ACCOUNT_ID.dkr.ecr.$AWS_REGION.amazonaws.com" digest image
  if ! aws ecr describe-repositories --repository-names "$repo" >/dev/null 2>&1; then
    aws ecr create-repository --repository-name "$repo" \
      --image-scanning-configuration scanOnPush=true >/dev/null
    say "ECR repository $repo: created"
  fi
  say "building $dockerfile for $platform"
  docker build --provenance=false --platform "$platform" -f "$dockerfile" \
    -t "$registry/$repo:$tag" .
  aws ecr get-login-password | docker login --username AWS --password-stdin "$registry" >/dev/null
  docker push "$registry/$repo:$tag"
  digest=$(aws ecr describe-images --repository-name "$repo" --image-ids "imageTag=$tag" \
    --query 'imageDetails[0].imageDigest' --output text)
  image="$registry/$repo@$digest"
  say "image: $image ($tag)"

  # 2. The role the function runs as, and what it may do.
  local role_arn
  if ! aws iam get-role --role-name "$role" >/dev/null 2>&1; then
    aws iam create-role --role-name "$role" \
      --assume-role-policy-document "file://infra/lambda/trust-policy.json" \
      --description "Lambda function $name (de-drills)" >/dev/null
    say "IAM role $role: created"
  fi
  aws iam put-role-policy --role-name "$role" --policy-name "$name" --policy-document "$policy"
  role_arn=$(aws iam get-role --role-name "$role" --query Role.Arn --output text)
  say "IAM role $role: policy $policy_file put"

  # 3. The function.
  if aws lambda get-function --function-name "$name" >/dev/null 2>&1; then
    aws lambda update-function-code --function-name "$name" --image-uri "$image" \
      --architectures "$arch" >/dev/null
    aws lambda wait function-updated --function-name "$name"
    aws lambda update-function-configuration --function-name "$name" --role "$role_arn" \
      --timeout "$timeout" --memory-size "$memory" --environment "$environment" >/dev/null
    aws lambda wait function-updated --function-name "$name"
    say "function $name: code and configuration updated"
  else
    # A role made seconds ago is not yet visible to Lambda: retried until it is.
    retry_on 'cannot be assumed' aws lambda create-function --function-name "$name" \
      --package-type Image --code "ImageUri=$image" --role "$role_arn" \
      --architectures "$arch" --timeout "$timeout" --memory-size "$memory" \
      --environment "$environment" --description "de-drills: $dockerfile" >/dev/null
    aws lambda wait function-active-v2 --function-name "$name"
    say "function $name: created"
  fi
  local function_arn
  function_arn=$(aws lambda get-function --function-name "$name" \
    --query Configuration.FunctionArn --output text)

  # 4. The trigger: S3 may invoke it (this bucket, this account), then the bucket does.
  local out statement="s3-invoke-$bucket"
  if ! out=$(aws lambda add-permission --function-name "$name" --statement-id "$statement" \
    --action lambda:InvokeFunction --principal s3.amazonaws.com \
    --source-arn "arn:aws:s3:::$bucket" --source-account "$AWS_ACCOUNT_ID" 2>&1); then
    grep -q 'already exists' <<<"$out" || die "aws lambda add-permission failed: $out"
  fi
  # One notification per suffix (a filter has one); no suffix: every key.
  local configurations="" suffix
  if [ ${#suffixes[@]} -eq 0 ]; then
    configurations=$(notification "$name" "$function_arn" "")
  fi
  for suffix in ${suffixes[@]+"${suffixes[@]}"}; do
    configurations+="${configurations:+,}$(notification "$name$suffix" "$function_arn" "$suffix")"
  done
  # S3 checks that it may invoke the function, which can lag add-permission.
  retry_on 'Unable to validate' aws s3api put-bucket-notification-configuration \
    --bucket "$bucket" --notification-configuration \
    "{\"LambdaFunctionConfigurations\":[$configurations]}" >/dev/null
  say "trigger: s3://$bucket/ keys ending in ${suffixes[*]:-anything} (ObjectCreated) -> $name"

  # 5. The asynchronous invocations S3 makes: retried, then what still fails is kept.
  local queue_url queue_arn retention=1209600
  if queue_url=$(aws sqs get-queue-url --queue-name "$queue" \
    --query QueueUrl --output text 2>/dev/null); then
    aws sqs set-queue-attributes --queue-url "$queue_url" \
      --attributes "MessageRetentionPeriod=$retention"
    say "SQS queue $queue: exists"
  else
    queue_url=$(aws sqs create-queue --queue-name "$queue" \
      --attributes "MessageRetentionPeriod=$retention" --query QueueUrl --output text)
    say "SQS queue $queue: created"
  fi
  queue_arn=$(aws sqs get-queue-attributes --queue-url "$queue_url" \
    --attribute-names QueueArn --query Attributes.QueueArn --output text)
  [ "$queue_arn" = "$FAILED_QUEUE_ARN" ] ||
    die "queue $queue is $queue_arn, but the role's policy lets it send to $FAILED_QUEUE_ARN"
  # Lambda checks that the role may send to the queue, which can lag put-role-policy.
  retry_on 'does not have permissions' aws lambda put-function-event-invoke-config \
    --function-name "$name" --maximum-retry-attempts "$retries" \
    --maximum-event-age-in-seconds 21600 \
    --destination-config "{\"OnFailure\":{\"Destination\":\"$queue_arn\"}}" >/dev/null
  say "failures: retried $retries times, then kept in $queue (14 days)"
  say "deployed: $function_arn"
  say "its log:  aws logs tail /aws/lambda/$name --follow"
  say "its failures: aws sqs receive-message --queue-url $queue_url" \
    "--max-number-of-messages 10 --wait-time-seconds 5"
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in
  account)
    # For exercises/NN/deploy.sh: `read -r AWS_REGION AWS_ACCOUNT_ID < <(deploy.sh account)`.
    resolve_account
    printf '%s %s\n' "$AWS_REGION" "$AWS_ACCOUNT_ID"
    ;;
  check)
    local name dockerfile policy_file bucket suffixes arch memory timeout retries repo role tag
    local queue platform policy environment
    check_function "$@"
    say "settings and tools: checked"
    ;;
  bucket)
    [ $# -gt 0 ] || die "usage: infra/lambda/deploy.sh bucket NAME..."
    local bucket
    for bucket in "$@"; do check_bucket_name "$bucket"; done
    resolve_account
    for bucket in "$@"; do ensure_bucket "$bucket"; done
    ;;
  function) deploy_function "$@" ;;
  *) die "usage: infra/lambda/deploy.sh account | check [NAME=VALUE...] | bucket NAME... | function [NAME=VALUE...]" ;;
  esac
}

main "$@"
