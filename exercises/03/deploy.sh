#!/usr/bin/env bash
# Exercise 03 in AWS: the CSV row counter as a Lambda function (container
# image, exercises/03/Dockerfile) that every .csv upload to a bucket invokes,
# writing one item per object to a DynamoDB table. It cannot be tried without
# an AWS account: read it, and infra/lambda/deploy.sh, before you run it.
#
# Usage: exercises/03/deploy.sh     (from anywhere; needs the AWS CLI v2 with
#                                    credentials for the account, and Docker)
#
# Checks every setting and that Docker is there, then makes, unless they
# exist: the upload bucket, and the table (on-demand
# capacity, partition key `object`, a string: s3://<bucket>/<key>). Then
# infra/lambda/deploy.sh builds and pushes the image, puts the role and its
# policy (exercises/03/iam-policy.json: read the upload bucket's objects, put
# items in the table, write the function's own log, send to its failed queue),
# creates or updates the function, connects the bucket's .csv uploads to it,
# and makes the SQS queue that keeps each upload's event that still fails
# after the retries. Run it again after a change: it updates in place.
#
# Settings (env vars), with their defaults:
#   AWS_REGION       AWS_DEFAULT_REGION, else the region of the CLI's profile
#   UPLOAD_BUCKET    csv-uploads-<account id>-<region> (bucket names are global)
#   ROWS_TABLE       csv-row-counts
#   CSV_HEADER       true: the first record of each file is a header, not a row
#   FUNCTION_NAME    drills-ex03-csv-row-counter
#   MEMORY_MB        512
#   TIMEOUT_SECONDS  60
#   ARCHITECTURE, MAX_RETRIES, FAILED_QUEUE, ECR_REPOSITORY, ROLE_NAME, IMAGE_TAG:
#                    as infra/lambda/deploy.sh says (x86_64, 2, the function's
#                    name followed by -failed, the function's name, …)
#
# Then (with the bucket and table of your run):
#   aws s3 cp my.csv s3://csv-uploads-<account id>-<region>/
#   aws logs tail /aws/lambda/drills-ex03-csv-row-counter --follow
#   aws dynamodb scan --table-name csv-row-counts
# and the failures it keeps (14 days): each body is the invocation record,
# requestContext.condition, responseContext.functionError and requestPayload
# (the S3 event); receiving one does not delete it:
#   aws sqs receive-message --queue-url "$(aws sqs get-queue-url \
#     --queue-name drills-ex03-csv-row-counter-failed --query QueueUrl --output text)" \
#     --max-number-of-messages 10 --wait-time-seconds 5
#
# Two things to know: S3's suffix filter is case-sensitive, so Orders.CSV does
# not invoke the function (the handler would count it); and an object deleted
# before the function reads it is skipped with a log line: the policy allows
# s3:ListBucket on the bucket for that, as without it S3 answers AccessDenied,
# not NoSuchKey, and the event would end up in the failed queue.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY=$ROOT/infra/lambda/deploy.sh
export AWS_PAGER=""

die() {
  printf 'deploy 03: %s\n' "$*" >&2
  exit 1
}

# The region and account (infra/lambda/deploy.sh says why not, if it cannot tell).
accounts=$("$DEPLOY" account) || exit 1
read -r AWS_REGION AWS_ACCOUNT_ID <<<"$accounts"
export AWS_REGION AWS_DEFAULT_REGION=$AWS_REGION
# Exported: the policy's placeholders ({{UPLOAD_BUCKET}}, ...) are filled from them.
export AWS_ACCOUNT_ID
export UPLOAD_BUCKET=${UPLOAD_BUCKET:-csv-uploads-$AWS_ACCOUNT_ID-$AWS_REGION}
export ROWS_TABLE=${ROWS_TABLE:-csv-row-counts}
export FUNCTION_NAME=${FUNCTION_NAME:-drills-ex03-csv-row-counter}
CSV_HEADER=${CSV_HEADER:-true}

# Every setting and tool is checked before anything is made: a bad value stops
# the deploy with nothing half-made in AWS.
case $CSV_HEADER in true | false) ;; *) die "CSV_HEADER is true or false, not '$CSV_HEADER'" ;; esac
[[ $ROWS_TABLE =~ ^[A-Za-z0-9_.-]{3,255}$ ]] ||
  die "ROWS_TABLE '$ROWS_TABLE' is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"
export DOCKERFILE=exercises/03/Dockerfile POLICY_FILE=exercises/03/iam-policy.json
export TRIGGER_BUCKET=$UPLOAD_BUCKET TRIGGER_SUFFIXES=.csv
export MEMORY_MB=${MEMORY_MB:-512} TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-60}
# The function's env: the real endpoints (virtual-hosted S3), the table, the
# CSV dialect. Lambda itself sets the region and the credentials.
FUNCTION_ENV=(
  "S3_ENDPOINT=https://s3.$AWS_REGION.amazonaws.com"
  S3_FORCE_PATH_STYLE=false
  "DYNAMODB_ENDPOINT=https://dynamodb.$AWS_REGION.amazonaws.com"
  "ROWS_TABLE=$ROWS_TABLE"
  "CSV_HEADER=$CSV_HEADER"
)
"$DEPLOY" check "${FUNCTION_ENV[@]}"

"$DEPLOY" bucket "$UPLOAD_BUCKET"

if aws dynamodb describe-table --table-name "$ROWS_TABLE" >/dev/null 2>&1; then
  printf 'table %s: exists\n' "$ROWS_TABLE" >&2
else
  aws dynamodb create-table --table-name "$ROWS_TABLE" \
    --attribute-definitions AttributeName=object,AttributeType=S \
    --key-schema AttributeName=object,KeyType=HASH \
    --billing-mode PAY_PER_REQUEST >/dev/null
  aws dynamodb wait table-exists --table-name "$ROWS_TABLE"
  printf 'table %s: created\n' "$ROWS_TABLE" >&2
fi

"$DEPLOY" function "${FUNCTION_ENV[@]}"
