#!/bin/sh
# As in the official image: redis-server without a config file listens on
# every interface with protected mode off (the container's network is the fence).
set -e
if [ "$1" = redis-server ]; then
  shift
  exec redis-server --bind 0.0.0.0 --protected-mode no "$@"
fi
exec "$@"
