#!/usr/bin/env bash
# Runs hello-cluster on this machine, without Kubernetes: builds the app, then starts one JVM per
# node on loopback (broadcasters first, then receivers). The nodes form one Pekko cluster through
# Pekko Management cluster bootstrap with config discovery, the same code path that Kubernetes
# uses with kubernetes-api discovery. Ctrl-C stops every node it started; so does any node
# stopping on its own.
#
# Usage: ./run-local.sh [--help]
#
# Environment:
#   BROADCASTERS   broadcaster-role nodes (default 1; one is active, the others stand by)
#   RECEIVERS      receiver-role nodes, each serving the page (default 2)
#   HTTP_PORT      the first receiver's HTTP port; the next ones count up (default 8080)
#   REMOTING_PORT, MANAGEMENT_PORT   the first node's Pekko ports; the next ones count up
#                  (defaults 7355 and 7626)
#   HELLO_MIN_DELAY, HELLO_MAX_DELAY   bounds of the random wait between greetings (1s, 10s)
#   READY_TIMEOUT  seconds to wait for every node to be an Up member (default 90)
#   SKIP_BUILD=1   reuse the last build in app/target
#
# Needs bash 4+, a JDK 17+ and curl.

set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly ROOT
readonly APP_JAR="${ROOT}/app/target/hello-cluster-app.jar"
readonly HOST="127.0.0.1"

BROADCASTERS="${BROADCASTERS:-1}"
RECEIVERS="${RECEIVERS:-2}"
HTTP_PORT="${HTTP_PORT:-8080}"
REMOTING_PORT="${REMOTING_PORT:-7355}"
MANAGEMENT_PORT="${MANAGEMENT_PORT:-7626}"
READY_TIMEOUT="${READY_TIMEOUT:-90}"
# The nodes this script started, by index: process IDs and names.
PIDS=()
NAMES=()

usage() {
  sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
  echo "run-local: $*" >&2
  exit 1
}

# Associative arrays and mapfile came with bash 4; macOS still ships bash 3.2.
check_bash_version() {
  if ((BASH_VERSINFO[0] < 4)); then
    die "bash ${BASH_VERSION} is too old; run it with bash 4+ (e.g. brew install bash)"
  fi
}

check_prerequisites() {
  command -v java >/dev/null \
    || die "java not found; install a JDK 17+ (e.g. apt install openjdk-17-jdk)"
  command -v curl >/dev/null || die "curl not found; install it (e.g. apt install curl)"
}

# Exits with a one-line error unless each setting is a whole number in its range.
check_settings() {
  local name
  for name in BROADCASTERS RECEIVERS HTTP_PORT REMOTING_PORT MANAGEMENT_PORT READY_TIMEOUT; do
    # No leading zeros: bash arithmetic would read 08080 as a bad octal number.
    [[ "${!name}" =~ ^(0|[1-9][0-9]{0,5})$ ]] \
      || die "${name}='${!name}' is not a whole number; set ${name} to one"
  done
  ((BROADCASTERS >= 1)) || die "BROADCASTERS=${BROADCASTERS}: at least 1 is needed"
  ((RECEIVERS >= 1)) || die "RECEIVERS=${RECEIVERS}: at least 1 is needed"
  ((READY_TIMEOUT >= 1)) || die "READY_TIMEOUT=${READY_TIMEOUT}: at least 1 s is needed"
}

# Prints the name of node $1 (from 0): broadcasters first, then receivers.
node_name() {
  local index=$1
  if ((index < BROADCASTERS)); then
    printf 'broadcaster-%d\n' $((index + 1))
  else
    printf 'receiver-%d\n' $((index - BROADCASTERS + 1))
  fi
}

# Prints every port the nodes will bind, one `port|what|setting` a line.
planned_ports() {
  local nodes=$((BROADCASTERS + RECEIVERS)) i name
  for ((i = 0; i < nodes; i++)); do
    name="$(node_name "${i}")"
    printf '%d|remoting of %s|REMOTING_PORT\n' $((REMOTING_PORT + i)) "${name}"
    printf '%d|management of %s|MANAGEMENT_PORT\n' $((MANAGEMENT_PORT + i)) "${name}"
  done
  for ((i = 0; i < RECEIVERS; i++)); do
    printf '%d|HTTP of receiver-%d|HTTP_PORT\n' $((HTTP_PORT + i)) $((i + 1))
  done
}

# Succeeds when something accepts connections on port $1 of HOST.
port_in_use() {
  (: <>"/dev/tcp/${HOST}/$1") 2>/dev/null
}

# Exits with a one-line error when a port is out of range, planned twice, or already taken,
# so that a clash shows before the build rather than as a node dying at start-up.
check_ports() {
  local port what setting line lines
  local -A planned=()
  mapfile -t lines < <(planned_ports)
  for line in "${lines[@]}"; do
    IFS='|' read -r port what setting <<<"${line}"
    ((port >= 1 && port <= 65535)) \
      || die "${setting} gives ${what} port ${port}, outside 1-65535; set ${setting} lower"
    [[ -z "${planned[${port}]:-}" ]] \
      || die "port ${port} would be both ${planned[${port}]} and ${what}; set ${setting} apart"
    planned[${port}]="${what}"
  done
  for line in "${lines[@]}"; do
    IFS='|' read -r port what setting <<<"${line}"
    if port_in_use "${port}"; then
      die "port ${port} on ${HOST} (${what}) is in use; stop what holds it or set ${setting}"
    fi
  done
}

build() {
  if [[ "${SKIP_BUILD:-0}" == 1 && -f "${APP_JAR}" ]]; then
    return
  fi
  echo "==> Building (./mvnw package, tests skipped; run them with ./mvnw verify)"
  "${ROOT}/mvnw" -B -q -f "${ROOT}/pom.xml" -pl app -am package -DskipTests \
    -Dspotless.check.skip=true || die "the build failed (see above)"
}

# Starts node number $1 (from 0) with roles $2, serving HTTP on port $3 if given.
# Its output goes to the terminal, each line prefixed by its name.
start_node() {
  local index="$1" roles="$2" http_port="${3:-}" name
  name="$(node_name "${index}")"
  local nodes=$((BROADCASTERS + RECEIVERS))
  local contact_points="" i
  for ((i = 0; i < nodes; i++)); do
    contact_points+="${contact_points:+,}${HOST}:$((MANAGEMENT_PORT + i))"
  done
  local settings=(
    "HELLO_ROLES=${roles}"
    "HELLO_NODE_NAME=${name}"
    "HELLO_HOSTNAME=${HOST}"
    "HELLO_REMOTING_PORT=$((REMOTING_PORT + index))"
    "HELLO_MANAGEMENT_PORT=$((MANAGEMENT_PORT + index))"
    "HELLO_DISCOVERY_METHOD=config"
    "HELLO_CONTACT_POINTS=${contact_points}"
    "HELLO_REQUIRED_CONTACT_POINTS=${nodes}"
  )
  [[ -z "${http_port}" ]] || settings+=("HELLO_HTTP_PORT=${http_port}")
  # The prefixer ignores Ctrl-C, which reaches the whole process group, so that the nodes'
  # shutdown lines still get printed.
  env "${settings[@]}" java -Xmx256m -jar "${APP_JAR}" \
    > >(trap '' INT && exec sed -u "s/^/[${name}] /") 2>&1 &
  PIDS+=("$!")
  NAMES+=("${name}")
}

# EXIT trap: stops the nodes still running and waits for them to finish their shutdown.
# shellcheck disable=SC2317  # called by the trap only
stop_all() {
  local pid running=()
  for pid in "${PIDS[@]}"; do
    if kill -0 "${pid}" 2>/dev/null; then
      running+=("${pid}")
    fi
  done
  if ((${#running[@]} > 0)); then
    echo "==> Stopping ${#running[@]} nodes"
    kill -TERM "${running[@]}" 2>/dev/null || true
    wait "${running[@]}" 2>/dev/null || true
  fi
}

# Sleeps $1 seconds such that a trapped signal (Ctrl-C) is handled at once, not afterwards.
pause() {
  sleep "$1" &
  wait "$!" || true
}

# Waits until every node's management endpoint reports ready (member Up), or a node dies.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) i ready
  while ((SECONDS < deadline)); do
    ready=0
    for i in "${!PIDS[@]}"; do
      kill -0 "${PIDS[$i]}" 2>/dev/null \
        || die "${NAMES[$i]} exited during start-up (see its error above)"
      # Bounded: a foreign process on the port may accept and never answer.
      if curl -fsS --max-time 2 -o /dev/null "http://${HOST}:$((MANAGEMENT_PORT + i))/ready" 2>/dev/null; then
        ready=$((ready + 1))
      fi
    done
    ((ready == ${#PIDS[@]})) && return 0
    pause 1
  done
  die "the cluster did not form within ${READY_TIMEOUT} s"
}

# Waits until one node stops, then exits 1 naming it; the EXIT trap stops the others. Polls,
# because `wait -n` misses a node that stopped before it was called.
watch_nodes() {
  local i status
  while :; do
    for i in "${!PIDS[@]}"; do
      if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
        status=0
        wait "${PIDS[$i]}" || status=$?
        die "${NAMES[$i]} stopped (exit status ${status}); stopping the others"
      fi
    done
    pause 1
  done
}

main() {
  if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    usage
    exit 0
  fi
  [[ $# -eq 0 ]] || die "unknown argument '$1'; see ./run-local.sh --help"
  check_bash_version
  check_prerequisites
  check_settings
  check_ports
  build
  trap stop_all EXIT
  # Exit statuses of a shell killed by SIGINT and SIGTERM; exiting runs the EXIT trap.
  trap 'exit 130' INT
  trap 'exit 143' TERM

  echo "==> Starting ${BROADCASTERS} broadcaster and ${RECEIVERS} receiver nodes on ${HOST}"
  local i index=0
  for ((i = 1; i <= BROADCASTERS; i++)); do
    start_node "${index}" broadcaster
    index=$((index + 1))
  done
  local urls=()
  for ((i = 1; i <= RECEIVERS; i++)); do
    start_node "${index}" receiver "$((HTTP_PORT + i - 1))"
    urls+=("http://${HOST}:$((HTTP_PORT + i - 1))/")
    index=$((index + 1))
  done

  wait_ready
  echo
  echo "==> Cluster is up. Watch the greetings arrive at:"
  printf '      %s\n' "${urls[@]}"
  echo "    Members: curl http://${HOST}:${MANAGEMENT_PORT}/cluster/members"
  echo "    Press Ctrl-C to stop."
  watch_nodes
}

main "$@"
