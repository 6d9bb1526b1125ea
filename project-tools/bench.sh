#!/usr/bin/env bash
# Measures the live feed: builds the app and the benchmark, starts a local cluster with
# run-local.sh (short waits between greetings, ports away from the defaults), runs FeedBench
# against every receiver's /feed, then stops the cluster, also on Ctrl-C or a failure.
#
# Usage: project-tools/bench.sh [FeedBench options]   e.g. --clients 1000 --duration 60s
#        project-tools/bench.sh --help                this text, then FeedBench's options
#
# The script passes FeedBench a --url for each receiver and a --pid for each receiver JVM, so
# that the report has their memory; every other option is FeedBench's (--clients, --duration,
# --ramp-rate, ...). The report goes to stdout, and also to BENCH_OUT as JSON (one file a run)
# and as a row of results.csv; the cluster's own log goes to BENCH_OUT/cluster.log.
#
# Environment:
#   RECEIVERS      receiver nodes (default 2); there is always one broadcaster
#   HTTP_PORT      the first receiver's HTTP port, the next ones counting up (default 18080)
#   REMOTING_PORT, MANAGEMENT_PORT   the first node's Pekko ports (defaults 17355 and 17626)
#   HELLO_MIN_DELAY, HELLO_MAX_DELAY   bounds of the wait between greetings (100ms, 200ms)
#   BENCH_HEAP     the benchmark JVM's maximum heap (default 4g; the JDK's WebSocket client keeps
#                  about 150 KB per connection)
#   BENCH_OUT      where reports and the cluster log go (default project-tools/target/bench)
#   READY_TIMEOUT  seconds to wait for every node to be ready (default 120)
#   SKIP_BUILD=1   reuse the last build
#
# Needs bash 4+, a JDK 17+, curl and ss (iproute2). Traffic stays on 127.0.0.1.

set -o errexit -o nounset -o pipefail

TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly TOOLS
ROOT="$(dirname "${TOOLS}")"
readonly ROOT
readonly HOST="127.0.0.1"
readonly MAIN_CLASS="io.hellocluster.tools.bench.FeedBench"
readonly CLASSPATH_GLOB="${TOOLS}/target/classes:${TOOLS}/target/lib/*"

RECEIVERS="${RECEIVERS:-2}"
HTTP_PORT="${HTTP_PORT:-18080}"
REMOTING_PORT="${REMOTING_PORT:-17355}"
MANAGEMENT_PORT="${MANAGEMENT_PORT:-17626}"
READY_TIMEOUT="${READY_TIMEOUT:-120}"
BENCH_HEAP="${BENCH_HEAP:-4g}"
BENCH_OUT="${BENCH_OUT:-${TOOLS}/target/bench}"
export HELLO_MIN_DELAY="${HELLO_MIN_DELAY:-100ms}"
export HELLO_MAX_DELAY="${HELLO_MAX_DELAY:-200ms}"
# The run-local.sh started here; empty until then.
CLUSTER_PID=""

usage() {
  sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
  echo "bench: $*" >&2
  exit 1
}

check_prerequisites() {
  ((BASH_VERSINFO[0] >= 4)) || die "bash ${BASH_VERSION} is too old; run it with bash 4+"
  command -v java >/dev/null \
    || die "java not found; install a JDK 17+ (e.g. apt install openjdk-17-jdk)"
  command -v curl >/dev/null || die "curl not found; install it (e.g. apt install curl)"
  command -v ss >/dev/null || die "ss not found; install it (e.g. apt install iproute2)"
}

check_settings() {
  local name
  for name in RECEIVERS HTTP_PORT REMOTING_PORT MANAGEMENT_PORT READY_TIMEOUT; do
    [[ "${!name}" =~ ^[1-9][0-9]{0,5}$ ]] \
      || die "${name}='${!name}' is not a positive whole number; set ${name} to one"
  done
}

build() {
  if [[ "${SKIP_BUILD:-0}" == 1 && -d "${TOOLS}/target/lib" && -d "${ROOT}/app/target/lib" ]]
  then
    return
  fi
  echo "==> Building the app and the benchmark (./mvnw package, tests skipped)"
  "${ROOT}/mvnw" -B -q -f "${ROOT}/pom.xml" -pl project-tools -am package -DskipTests \
    -Dskip.scripts -Dspotless.check.skip=true || die "the build failed (see above)"
}

# Starts run-local.sh in the background, its output in BENCH_OUT/cluster.log.
start_cluster() {
  echo "==> Starting 1 broadcaster and ${RECEIVERS} receivers (greetings every" \
    "${HELLO_MIN_DELAY}-${HELLO_MAX_DELAY}); log: ${BENCH_OUT}/cluster.log"
  BROADCASTERS=1 RECEIVERS="${RECEIVERS}" HTTP_PORT="${HTTP_PORT}" \
    REMOTING_PORT="${REMOTING_PORT}" MANAGEMENT_PORT="${MANAGEMENT_PORT}" \
    READY_TIMEOUT="${READY_TIMEOUT}" SKIP_BUILD=1 \
    "${ROOT}/run-local.sh" >"${BENCH_OUT}/cluster.log" 2>&1 &
  CLUSTER_PID=$!
}

# EXIT trap: stops run-local.sh, which stops its nodes and waits for them.
# shellcheck disable=SC2317  # called by the trap only
stop_cluster() {
  if [[ -n "${CLUSTER_PID}" ]] && kill -0 "${CLUSTER_PID}" 2>/dev/null; then
    echo "==> Stopping the cluster" >&2
    kill -TERM "${CLUSTER_PID}" 2>/dev/null || true
    wait "${CLUSTER_PID}" 2>/dev/null || true
  fi
}

# Sleeps $1 seconds such that a trapped signal (Ctrl-C) is handled at once.
pause() {
  sleep "$1" &
  wait "$!" || true
}

# Waits until every node's management endpoint says ready, or run-local.sh gives up.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) nodes=$((RECEIVERS + 1)) i ready
  while ((SECONDS < deadline)); do
    if ! kill -0 "${CLUSTER_PID}" 2>/dev/null; then
      tail -n 5 "${BENCH_OUT}/cluster.log" >&2
      die "the cluster did not start (above, the end of ${BENCH_OUT}/cluster.log)"
    fi
    ready=0
    for ((i = 0; i < nodes; i++)); do
      if curl -fsS -o /dev/null "http://${HOST}:$((MANAGEMENT_PORT + i))/ready" 2>/dev/null
      then
        ready=$((ready + 1))
      fi
    done
    ((ready == nodes)) && return 0
    pause 1
  done
  die "the cluster was not ready within ${READY_TIMEOUT} s; see ${BENCH_OUT}/cluster.log"
}

# Prints the ID of the process listening on port $1 of HOST.
listener_pid() {
  ss -Hltnp "sport = :$1" | sed -n 's/.*pid=\([0-9][0-9]*\).*/\1/p' | head -n 1
}

run_bench() {
  local args=() i port pid stamp
  for ((i = 0; i < RECEIVERS; i++)); do
    port=$((HTTP_PORT + i))
    pid="$(listener_pid "${port}")"
    [[ -n "${pid}" ]] || die "no process listens on ${HOST}:${port}; see ${BENCH_OUT}/cluster.log"
    args+=(--url "ws://${HOST}:${port}/feed" --pid "${pid}=receiver-$((i + 1))")
  done
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  args+=(--json "${BENCH_OUT}/feedbench-${stamp}.json" --csv "${BENCH_OUT}/results.csv")
  echo "==> Running FeedBench (open files limit $(ulimit -n), load $(cut -d' ' -f1-3 \
    /proc/loadavg 2>/dev/null || echo '?'))"
  java -Xmx"${BENCH_HEAP}" -cp "${CLASSPATH_GLOB}" "${MAIN_CLASS}" "${args[@]}" "$@"
}

main() {
  if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    usage
    if [[ -d "${TOOLS}/target/lib" ]]; then
      java -cp "${CLASSPATH_GLOB}" "${MAIN_CLASS}" --help
    else
      echo "(FeedBench's own options are listed here once it has been built.)"
    fi
    exit 0
  fi
  check_prerequisites
  check_settings
  build
  mkdir -p "${BENCH_OUT}"
  trap stop_cluster EXIT
  # Exit statuses of a shell killed by SIGINT and SIGTERM; exiting runs the EXIT trap.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_cluster
  wait_ready
  local status=0
  run_bench "$@" || status=$?
  # Something outside may stop the nodes mid-run; the report would then show drops, not limits.
  if ! kill -0 "${CLUSTER_PID}" 2>/dev/null; then
    echo "bench: the cluster stopped before the benchmark ended (see ${BENCH_OUT}/cluster.log);" \
      "this run's figures do not measure the feed" >&2
    status=1
  fi
  exit "${status}"
}

main "$@"
