#!/usr/bin/env bash
# The exercises' images and compose stacks on a real Docker engine, as
# `make exNN-up` runs them, for `make test-docker`.
#
# Usage: infra/docker.sh test [NN...]   engine, stand-ins, then each exercise: build, up, check, down
#        infra/docker.sh engine         start the private engine if none answers; print its DOCKER_HOST
#        infra/docker.sh standins       build the stand-in base images the engine cannot pull
#        infra/docker.sh stop           stop the private engine and undo its network changes
#
# The engine: the one DOCKER_HOST (or /var/run/docker.sock) points at if it
# answers; else a private dockerd from Debian's docker.io (installed if
# missing), with its own data root under .services/docker and its socket in a
# short /tmp path (unix socket paths are limited to 107 bytes), never touching
# a user's own engine or images. `stop` ends it by pid and restores the
# iptables rules saved before it started, and removes the bridges it made.
#
# Stand-ins: registries of images cannot be reached from our machines, so an
# upstream base image that is missing and cannot be pulled is built locally
# under the same name and tag, from a Debian root made with debootstrap
# (cached in $DRILLS_CACHE) with the same users, paths, entrypoint and env as
# upstream (infra/docker/<name>/Dockerfile says what each stands in for). An
# engine that can pull uses the real images.
#
# Stand-ins: denoland/deno (and its bin- image), redis, apache/kafka, the
# Lambda base image public.ecr.aws/lambda/provided:al2023, amazon/dynamodb-local
# and versity/versitygw. Every exercise is run (01 to 10).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DRILLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/de-drills}
RUN=${DRILLS_RUN:-$ROOT/.services}/docker
DENO=${DENO:-deno}
COVERED=(01 02 03 04 05 06 07 08 09 10)
DEBIAN_SUITE=bookworm
DEBIAN_PACKAGES=ca-certificates,tini,redis-server,openjdk-17-jre-headless,curl,wget
STANDIN_BASE=drills-standin/debian:$DEBIAN_SUITE

say() { printf '%s\n' "$*" >&2; }
die() {
  say "docker: $*"
  exit 1
}

# A short, per-checkout path for the engine's sockets.
short_dir() { echo "/tmp/drills-docker-$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)"; }

answers() { timeout 10 docker info >/dev/null 2>&1; }

engine() {
  if [ -n "${DOCKER_HOST:-}" ] && answers; then
    echo "$DOCKER_HOST"
    return
  fi
  unset DOCKER_HOST
  if [ -S /var/run/docker.sock ] && answers; then
    echo "unix:///var/run/docker.sock"
    return
  fi
  local dir
  dir=$(short_dir)
  export DOCKER_HOST="unix://$dir/docker.sock"
  if [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null && answers; then
    echo "$DOCKER_HOST"
    return
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    say "installing docker.io from Debian (the engine; the CLI may be newer)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; } ||
      die "apt-get install docker.io failed"
  fi
  [ "$(id -u)" -eq 0 ] || die "a private engine needs root (dockerd); or point DOCKER_HOST at your engine"
  command -v docker >/dev/null 2>&1 || die "the docker CLI is missing"
  mkdir -p "$RUN" "$dir"
  # What the engine changes in the firewall is undone by `stop`.
  [ -f "$RUN/iptables.before" ] || iptables-save >"$RUN/iptables.before"
  say "starting a private dockerd (data in $RUN/data, socket $dir/docker.sock)"
  setsid nohup dockerd --data-root "$RUN/data" --exec-root "$dir/exec" --pidfile "$RUN/pid" \
    -H "$DOCKER_HOST" --storage-driver overlay2 >"$RUN/log" 2>&1 </dev/null &
  local deadline=$((SECONDS + 60))
  until answers; do
    [ "$SECONDS" -lt "$deadline" ] || die "dockerd did not answer in 60 s; last lines of $RUN/log: $(tail -5 "$RUN/log")"
    sleep 0.5
  done
  echo "$DOCKER_HOST"
}

stop() {
  # Only what this checkout's private engine started: a user's own engine is never touched.
  [ -f "$RUN/pid" ] || [ -f "$RUN/iptables.before" ] || return 0
  local pid dir
  dir=$(short_dir)
  if [ -f "$RUN/pid" ] && pid=$(cat "$RUN/pid") && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    say "docker: private engine stopped"
  fi
  rm -f "$RUN/pid"
  local link
  for link in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' |
    grep -E '^(docker0|br-[0-9a-f]{12})$' || true); do
    ip link delete "$link" 2>/dev/null || true
  done
  if [ -f "$RUN/iptables.before" ]; then
    # iptables-save prints only the tables that exist, and restoring leaves the
    # others alone: a table Docker made (on a fresh machine, filter and nat) is
    # restored as the kernel's empty default, else its chains and FORWARD's
    # DROP policy would stay.
    {
      cat "$RUN/iptables.before"
      grep -q '^\*filter$' "$RUN/iptables.before" ||
        printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'
      grep -q '^\*nat$' "$RUN/iptables.before" ||
        printf '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n'
    } | iptables-restore && rm -f "$RUN/iptables.before"
  fi
  rm -rf "$dir"
}

# The Debian root the stand-ins start from, made once per package list.
debian_root() {
  local key tar
  key=$(printf '%s %s' "$DEBIAN_SUITE" "$DEBIAN_PACKAGES" | sha256sum | cut -c1-10)
  tar="$CACHE/standin-debian-$DEBIAN_SUITE-$key.tar"
  if [ ! -f "$tar" ]; then
    command -v debootstrap >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    } || die "apt-get install debootstrap failed"
    local dir
    dir=$(mktemp -d)
    say "making a Debian $DEBIAN_SUITE root with debootstrap (once; cached in $tar)"
    debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" "$DEBIAN_SUITE" "$dir" \
      http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
      die "debootstrap failed: $(tail -5 "$CACHE/debootstrap.log")"
    mkdir -p "$CACHE"
    tar -C "$dir" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  echo "$tar"
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# standin IMAGE DIR: the real image if it is there or can be pulled, else the stand-in
# (built again when its files under infra/docker/DIR change).
standin() {
  local image=$1 dir=$2 key label
  key=$(find "$ROOT/infra/docker/$dir" -type f -exec cat {} + | cat - "$ROOT/infra/docker.sh" |
    sha256sum | cut -c1-12)
  if have_image "$image"; then
    label=$(docker image inspect -f '{{index .Config.Labels "drills.standin"}}' "$image" 2>/dev/null)
    # No label: the real image, pulled or loaded by the user. Keep it.
    [ -z "$label" ] || [ "$label" = "$key" ] && return
  elif timeout 30 docker pull -q "$image" >/dev/null 2>&1; then
    say "docker: pulled $image"
    return
  fi
  have_image "$STANDIN_BASE" || docker import - "$STANDIN_BASE" <"$(debian_root)" >/dev/null
  local context
  context=$(mktemp -d)
  cp -r "$ROOT/infra/docker/$dir/." "$context/"
  # What each stand-in is made of, from the host: binaries and jars the native
  # services already installed, and the CA bundle the host trusts.
  case $dir in
  deno)
    cp "$(deno_bin)" "$context/deno"
    cp /etc/ssl/certs/ca-certificates.crt "$context/"
    ;;
  deno-bin) cp "$(deno_bin)" "$context/deno" ;;
  kafka)
    local libs
    libs=$("$ROOT/infra/services.sh" kafka-classpath)
    cp -r "${libs%/\*}" "$context/libs"
    cp "$ROOT/infra/kafka/log4j2.properties" "$context/"
    ;;
  lambda)
    cp "$("$ROOT/infra/services.sh" bin rie)" "$context/aws-lambda-rie"
    cp /etc/ssl/certs/ca-certificates.crt "$context/"
    ;;
  versitygw) cp "$("$ROOT/infra/services.sh" bin versitygw)" "$context/versitygw" ;;
  dynamodb)
    "$ROOT/infra/services.sh" install dynamodb >&2
    local npm
    npm=$(sed -n 's/^DYNAMODB_LOCAL_NPM=//p' "$ROOT/infra/services.sh")
    cp -r "$CACHE/${npm/@/-}" "$context/lib"
    ;;
  esac
  say "docker: building a stand-in for $image (infra/docker/$dir)"
  DOCKER_BUILDKIT=0 docker build -q --label "drills.standin=$key" -t "$image" "$context" >/dev/null
  rm -rf "$context"
}

deno_bin() { "$DENO" eval --no-config 'console.log(Deno.execPath())'; }

# The Lambda base image, with the dated tag exercises 03 and 09 pin in their FROM line.
lambda_image() {
  sed -nE 's#^FROM (public\.ecr\.aws/lambda/provided:[^ ]+).*#\1#p' \
    "$ROOT/exercises/03/Dockerfile" "$ROOT/exercises/09/Dockerfile" | sort -u
}

standins() {
  standin denoland/deno:2.9.6 deno
  standin denoland/deno:bin-2.9.6 deno-bin
  standin redis:7.4-alpine redis
  standin apache/kafka:4.1.2 kafka
  local image
  for image in $(lambda_image); do standin "$image" lambda; done
  standin amazon/dynamodb-local:3.3.1 dynamodb
  standin versity/versitygw:v1.7.0 versitygw
}

# Host ports the stacks publish, moved off the native services' ports.
export REDIS_HOST_PORT=16379 API_PORT=13000 USER_API_HOST_PORT=18044 KAFKA_HOST_PORT=29092 HTTP_HOST_PORT=18080 \
  S3_HOST_PORT=17070 DYNAMODB_HOST_PORT=18000 FUNCTION_HOST_PORT=19000

test_one() {
  local nn=$1 started=$SECONDS
  say "docker: exercise $nn: build and up"
  "$ROOT/infra/compose.sh" up "$nn" >"$RUN/ex$nn.log" 2>&1 || {
    tail -20 "$RUN/ex$nn.log" >&2
    "$ROOT/infra/compose.sh" down "$nn" >/dev/null 2>&1 || true
    die "exercise $nn did not come up (log: $RUN/ex$nn.log)"
  }
  local rc=0
  "$DENO" run -A --frozen "$ROOT/infra/docker/check.ts" "$nn" || rc=$?
  if [ "$rc" -ne 0 ]; then
    # What every container printed, kept in the log before down removes them.
    local id
    for id in $(docker ps -aq --filter "label=com.docker.compose.project=drills-ex$nn"); do
      printf '\n--- %s\n' "$(docker inspect -f '{{.Name}}' "$id")" >>"$RUN/ex$nn.log"
      docker logs "$id" >>"$RUN/ex$nn.log" 2>&1 || true
    done
  fi
  "$ROOT/infra/compose.sh" down "$nn" >>"$RUN/ex$nn.log" 2>&1 || true
  [ "$rc" -eq 0 ] || die "exercise $nn: the check against its containers failed (containers' output: $RUN/ex$nn.log)"
  say "docker: exercise $nn ok in $((SECONDS - started)) s"
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in
  engine) engine ;;
  standins)
    DOCKER_HOST=$(engine)
    export DOCKER_HOST
    standins
    ;;
  stop) stop ;;
  test)
    local list=("$@")
    [ ${#list[@]} -gt 0 ] || list=("${COVERED[@]}")
    # An engine this run started is stopped (and its network changes undone) when it ends.
    if ! { [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; }; then trap stop EXIT; fi
    DOCKER_HOST=$(engine)
    export DOCKER_HOST
    local started=$SECONDS
    standins
    say "docker: stand-ins ready in $((SECONDS - started)) s"
    for nn in "${list[@]}"; do test_one "$nn"; done
    # Rebuilt images leave their old layers behind: keep the data root from growing.
    docker image prune -f >/dev/null 2>&1 || true
    say "docker: ${#list[@]} exercises ok in $((SECONDS - started)) s"
    ;;
  *) die "usage: infra/docker.sh test [NN...] | engine | standins | stop" ;;
  esac
}

main "$@"
