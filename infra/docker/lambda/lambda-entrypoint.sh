#!/bin/sh
# The base image's entrypoint: the handler named by CMD becomes _HANDLER; in
# AWS (AWS_LAMBDA_RUNTIME_API set) the runtime's bootstrap runs directly,
# elsewhere under the runtime interface emulator (Invoke API on port 8080).
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"

RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
  exec /usr/local/bin/aws-lambda-rie "$RUNTIME_ENTRYPOINT"
else
  exec "$RUNTIME_ENTRYPOINT"
fi
