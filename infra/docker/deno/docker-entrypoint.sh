#!/bin/sh
# As in the official image: a deno subcommand or a flag runs deno, anything else runs as is.
set -e
if [ "$1" != "${1#-}" ]; then exec deno "$@"; fi
case "$1" in
bench | bundle | cache | check | compile | completions | coverage | doc | eval | fmt | help | info | init | install | jupyter | lint | lsp | publish | repl | run | serve | task | test | types | uninstall | upgrade | vendor)
  exec deno "$@"
  ;;
esac
exec "$@"
