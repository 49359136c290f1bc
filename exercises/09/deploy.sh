#!/usr/bin/env bash
# Exercise 09 in AWS: the order summariser as a Lambda function (container
# image with Polars, exercises/09/Dockerfile) that every .json, .ndjson or
# .jsonl upload to the source bucket invokes, writing its summary to the output bucket. It cannot
# be tried without an AWS account: read it, and infra/lambda/deploy.sh,
# before you run it.
#
# Usage: exercises/09/deploy.sh     (from anywhere; needs the AWS CLI v2 with
#                                    credentials for the account, and Docker)
#
# SOURCE AND OUTPUT MUST BE DIFFERENT BUCKETS. The function writes into the
# output bucket; were it the source bucket, each summary it writes could be
# an upload that invokes it again, and again: a loop that runs up a bill. This
# script refuses to deploy when they are the same.
#
# Checks every setting and that Docker is there, then makes both buckets
# unless they exist. Then infra/lambda/deploy.sh builds and
# pushes the image, puts the role and its policy
# (exercises/09/iam-policy.json: read the source bucket's objects, write to
# the output bucket under OUTPUT_PREFIX only, write the function's own log,
# send to its failed queue), creates or updates the function, connects the
# source bucket's .json, .ndjson and .jsonl uploads to it (one notification
# each), and makes the SQS queue that keeps each
# upload's event that still fails after the retries. Run it again after a
# change: it updates in place.
#
# Settings (env vars), with their defaults:
#   AWS_REGION       AWS_DEFAULT_REGION, else the region of the CLI's profile
#   SOURCE_BUCKET    orders-raw-<account id>-<region> (bucket names are global)
#   OUTPUT_BUCKET    orders-summaries-<account id>-<region>
#   OUTPUT_PREFIX    summaries/ ("" for the whole bucket; else segments ending in /)
#   FUNCTION_NAME    drills-ex09-order-summaries
#   MEMORY_MB        1024 (Polars works in memory; Lambda gives CPU by memory)
#   TIMEOUT_SECONDS  60
#   ARCHITECTURE, MAX_RETRIES, FAILED_QUEUE, ECR_REPOSITORY, ROLE_NAME, IMAGE_TAG:
#                    as infra/lambda/deploy.sh says (x86_64, 2, the function's
#                    name followed by -failed, the function's name, …)
#
# Then (with the buckets of your run; the summary of orders.json is
# <prefix>orders.ndjson):
#   aws s3 cp orders.json s3://orders-raw-<account id>-<region>/
#   aws logs tail /aws/lambda/drills-ex09-order-summaries --follow
#   aws s3 cp s3://orders-summaries-<account id>-<region>/summaries/orders.ndjson -
# and the failures it keeps (14 days): each body is the invocation record,
# requestContext.condition, responseContext.functionError and requestPayload
# (the S3 event); receiving one does not delete it:
#   aws sqs receive-message --queue-url "$(aws sqs get-queue-url \
#     --queue-name drills-ex09-order-summaries-failed --query QueueUrl --output text)" \
#     --max-number-of-messages 10 --wait-time-seconds 5
#
# S3's suffix filter is case-sensitive: orders.JSON does not invoke the function.
# The policy allows s3:ListBucket on the source bucket: without it S3 answers
# a key deleted before the function reads it with AccessDenied, not NoSuchKey,
# and the event would fail three times and end up in the failed queue instead
# of being skipped with a log line.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY=$ROOT/infra/lambda/deploy.sh
export AWS_PAGER=""

die() {
  printf 'deploy 09: %s\n' "$*" >&2
  exit 1
}

# The region and account (infra/lambda/deploy.sh says why not, if it cannot tell).
accounts=$("$DEPLOY" account) || exit 1
read -r AWS_REGION AWS_ACCOUNT_ID <<<"$accounts"
export AWS_REGION AWS_DEFAULT_REGION=$AWS_REGION
# Exported: the policy's placeholders ({{SOURCE_BUCKET}}, ...) are filled from them.
export AWS_ACCOUNT_ID
export SOURCE_BUCKET=${SOURCE_BUCKET:-orders-raw-$AWS_ACCOUNT_ID-$AWS_REGION}
export OUTPUT_BUCKET=${OUTPUT_BUCKET:-orders-summaries-$AWS_ACCOUNT_ID-$AWS_REGION}
# Unset: summaries/; set to "": the whole output bucket.
export OUTPUT_PREFIX=${OUTPUT_PREFIX-summaries/}
export FUNCTION_NAME=${FUNCTION_NAME:-drills-ex09-order-summaries}

if [ "$SOURCE_BUCKET" = "$OUTPUT_BUCKET" ]; then
  die "REFUSING TO DEPLOY: SOURCE_BUCKET and OUTPUT_BUCKET are both '$SOURCE_BUCKET'.
  The function would invoke itself with every summary it writes, in a loop that
  runs up a bill. Give the summaries a bucket of their own (OUTPUT_BUCKET)."
fi
# The prefix ends up in the policy's resource ARN: no wildcards, no empty or
# dot-only segments (the handler refuses those too).
if [ -n "$OUTPUT_PREFIX" ] && ! [[ $OUTPUT_PREFIX =~ ^([A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*/)+$ ]]; then
  die "OUTPUT_PREFIX is \"\" or segments of A-Z a-z 0-9 _ . - each ending in /, not '$OUTPUT_PREFIX'"
fi
export DOCKERFILE=exercises/09/Dockerfile POLICY_FILE=exercises/09/iam-policy.json
# Every ending the handler reads: one notification each (S3 takes one suffix
# per filter; these three do not overlap: none ends with another).
export TRIGGER_BUCKET=$SOURCE_BUCKET TRIGGER_SUFFIXES=".json .ndjson .jsonl"
export MEMORY_MB=${MEMORY_MB:-1024} TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-60}
# The function's env: the real S3 endpoint (virtual-hosted), where summaries
# go. Lambda itself sets the region and the credentials.
FUNCTION_ENV=(
  "S3_ENDPOINT=https://s3.$AWS_REGION.amazonaws.com"
  S3_FORCE_PATH_STYLE=false
  "OUTPUT_BUCKET=$OUTPUT_BUCKET"
  "OUTPUT_PREFIX=$OUTPUT_PREFIX"
)
# Every setting (the buckets' names too) and tool, before anything is made.
"$DEPLOY" check "${FUNCTION_ENV[@]}"

"$DEPLOY" bucket "$SOURCE_BUCKET" "$OUTPUT_BUCKET"

"$DEPLOY" function "${FUNCTION_ENV[@]}"
