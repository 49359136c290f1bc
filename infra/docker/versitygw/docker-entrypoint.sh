#!/bin/sh
# versitygw with the container's arguments (gateway options, then the backend).
exec /app/versitygw "$@"
