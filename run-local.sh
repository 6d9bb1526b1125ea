#!/usr/bin/env bash
# Runs hello-cluster on this machine, without Kubernetes: builds the app, then starts one JVM per
# node on loopback (broadcasters first, then receivers). The nodes form one Pekko cluster through
# Pekko Management cluster bootstrap with config discovery, the same code path that Kubernetes
# uses with kubernetes-api discovery. Ctrl-C stops every node it started.
#
# Usage: ./run-local.sh [--help]
#
# Environment:
#   BROADCASTERS   broadcaster-role nodes (default 1; one is active, the others stand by)
#   RECEIVERS      receiver-role nodes, each serving the page (default 2)
#   HTTP_PORT      the first receiver's HTTP port; the next ones count up (default 8080)
#   HELLO_MIN_DELAY, HELLO_MAX_DELAY   bounds of the random wait between greetings (1s, 10s)
#   SKIP_BUILD=1   reuse the last build in app/target

set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly ROOT
readonly APP_JAR="${ROOT}/app/target/hello-cluster-app.jar"
readonly HOST="127.0.0.1"
readonly REMOTING_BASE=7355
readonly MANAGEMENT_BASE=7626
readonly READY_TIMEOUT_SECONDS=90

BROADCASTERS="${BROADCASTERS:-1}"
RECEIVERS="${RECEIVERS:-2}"
HTTP_PORT="${HTTP_PORT:-8080}"
PIDS=()

usage() {
  sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
  echo "run-local: $*" >&2
  exit 1
}

check_prerequisites() {
  command -v java >/dev/null || die "java not found; install a JDK 17+ (e.g. apt install openjdk-17-jdk)"
  command -v curl >/dev/null || die "curl not found; install it (e.g. apt install curl)"
  local n
  for n in "${BROADCASTERS}" "${RECEIVERS}" "${HTTP_PORT}"; do
    [[ "${n}" =~ ^[0-9]+$ ]] || die "'${n}' is not a whole number; fix BROADCASTERS, RECEIVERS or HTTP_PORT"
  done
  (( BROADCASTERS >= 1 )) || die "BROADCASTERS must be at least 1"
  (( RECEIVERS >= 1 )) || die "RECEIVERS must be at least 1"
}

build() {
  if [[ "${SKIP_BUILD:-0}" == 1 && -f "${APP_JAR}" ]]; then
    return
  fi
  echo "==> Building (./mvnw package, tests skipped; run them with ./mvnw verify)"
  "${ROOT}/mvnw" -B -q -f "${ROOT}/pom.xml" -pl app -am package -DskipTests -Dspotless.check.skip=true
}

# Starts node number $1 (from 0) with roles $2 and name $3, serving HTTP on port $4 if given.
# Its output goes to the terminal, each line prefixed by its name.
start_node() {
  local index="$1" roles="$2" name="$3" http_port="${4:-}"
  local nodes=$(( BROADCASTERS + RECEIVERS ))
  local contact_points="" i
  for (( i = 0; i < nodes; i++ )); do
    contact_points+="${contact_points:+,}${HOST}:$(( MANAGEMENT_BASE + i ))"
  done
  local settings=(
    "HELLO_ROLES=${roles}"
    "HELLO_NODE_NAME=${name}"
    "HELLO_HOSTNAME=${HOST}"
    "HELLO_REMOTING_PORT=$(( REMOTING_BASE + index ))"
    "HELLO_MANAGEMENT_PORT=$(( MANAGEMENT_BASE + index ))"
    "HELLO_DISCOVERY_METHOD=config"
    "HELLO_CONTACT_POINTS=${contact_points}"
    "HELLO_REQUIRED_CONTACT_POINTS=${nodes}"
  )
  [[ -z "${http_port}" ]] || settings+=("HELLO_HTTP_PORT=${http_port}")
  env "${settings[@]}" java -Xmx256m -jar "${APP_JAR}" > >(sed -u "s/^/[${name}] /") 2>&1 &
  PIDS+=("$!")
}

# Called by the trap only.
# shellcheck disable=SC2317
stop_all() {
  trap - INT TERM EXIT
  if (( ${#PIDS[@]} > 0 )); then
    echo "==> Stopping ${#PIDS[@]} nodes"
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
}

# Waits until every node's management endpoint reports ready (member Up), or a node dies.
wait_ready() {
  local deadline=$(( SECONDS + READY_TIMEOUT_SECONDS )) i pid ready
  while (( SECONDS < deadline )); do
    ready=0
    for i in "${!PIDS[@]}"; do
      pid="${PIDS[$i]}"
      kill -0 "${pid}" 2>/dev/null || die "node ${i} exited during start-up (see its error above)"
      if curl -fsS -o /dev/null "http://${HOST}:$(( MANAGEMENT_BASE + i ))/ready" 2>/dev/null; then
        ready=$(( ready + 1 ))
      fi
    done
    (( ready == ${#PIDS[@]} )) && return 0
    sleep 1
  done
  die "the cluster did not form within ${READY_TIMEOUT_SECONDS} s"
}

main() {
  if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    usage
    exit 0
  fi
  [[ $# -eq 0 ]] || die "unknown argument '$1'; see ./run-local.sh --help"
  check_prerequisites
  build
  trap stop_all INT TERM EXIT

  echo "==> Starting ${BROADCASTERS} broadcaster and ${RECEIVERS} receiver nodes on ${HOST}"
  local i index=0
  for (( i = 1; i <= BROADCASTERS; i++ )); do
    start_node "${index}" broadcaster "broadcaster-${i}"
    index=$(( index + 1 ))
  done
  local urls=()
  for (( i = 1; i <= RECEIVERS; i++ )); do
    start_node "${index}" receiver "receiver-${i}" "$(( HTTP_PORT + i - 1 ))"
    urls+=("http://${HOST}:$(( HTTP_PORT + i - 1 ))/")
    index=$(( index + 1 ))
  done

  wait_ready
  echo
  echo "==> Cluster is up. Watch the greetings arrive at:"
  printf '      %s\n' "${urls[@]}"
  echo "    Members: curl http://${HOST}:${MANAGEMENT_BASE}/cluster/members"
  echo "    Press Ctrl-C to stop."
  wait -n "${PIDS[@]}" || true
  echo "run-local: a node stopped; stopping the others" >&2
  exit 1
}

main "$@"
