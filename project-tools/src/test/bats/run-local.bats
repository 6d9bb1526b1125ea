#!/usr/bin/env bats
# Tests of run-local.sh against stub java, curl and Maven wrapper (stubs/): no JVM is started.
# A stub node records its PID and settings, then sleeps until killed; the stub curl answers
# /ready for the nodes that are up. The script runs from a copy in a scratch folder, beside the
# stub as its ./mvnw, with a PATH holding only the stubs and the basic system tools it needs.
# Its ports are moved off the defaults, so a real local cluster on this machine does not
# disturb the tests.

# Each @test runs in its own process: the exports of one test are meant to stay in it.
# shellcheck disable=SC2030,SC2031

readonly SYSTEM_TOOLS=(bash cat dirname env grep sed sleep sort)

setup() {
  local repo="${BATS_TEST_TMPDIR}/repo" tool
  mkdir -p "${repo}"
  cp "${BATS_TEST_DIRNAME}/../../../../run-local.sh" "${repo}/"
  cp "${BATS_TEST_DIRNAME}/stubs/mvnw" "${repo}/mvnw"
  SCRIPT="${repo}/run-local.sh"
  JAR="${repo}/app/target/hello-cluster-app.jar"
  BIN="${BATS_TEST_TMPDIR}/bin"
  mkdir -p "${BIN}"
  cp "${BATS_TEST_DIRNAME}/stubs/java" "${BATS_TEST_DIRNAME}/stubs/curl" "${BIN}/"
  for tool in "${SYSTEM_TOOLS[@]}"; do
    ln -s "$(command -v "${tool}")" "${BIN}/${tool}"
  done
  OUT="${BATS_TEST_TMPDIR}/out"
  PID=""
  LISTENER=""
  export STUB_LOG="${BATS_TEST_TMPDIR}/calls.log"
  : >"${STUB_LOG}"
  # Below Linux's ephemeral range (32768 up), where a port taken by chance is least likely.
  export REMOTING_PORT=27355 MANAGEMENT_PORT=27626 HTTP_PORT=28080
  unset BROADCASTERS RECEIVERS READY_TIMEOUT SKIP_BUILD STUB_READY STUB_NODE_FAIL STUB_MVNW_EXIT
}

teardown() {
  local pid
  for pid in $(node_pids); do
    kill -KILL "${pid}" 2>/dev/null || true
  done
  # Background children of this test: reaped here, so bash reports none of them as killed.
  for pid in ${PID} ${LISTENER}; do
    kill -KILL "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  done
}

# Stops the background script with SIGTERM; fails unless it and every node stop.
stop_script() {
  kill -TERM "${PID}"
  wait_exit
  all_nodes_stopped
}

# Runs the script in the foreground with only the stubs and basic system tools on PATH.
run_script() {
  run env "PATH=${BIN}" "${SCRIPT}" "$@"
}

# Starts the script in the background as a terminal would: SIGINT not ignored, in a session and
# process group of its own (so a test can send Ctrl-C to the whole group), output to $OUT.
# Waits until it prints that the cluster is up, or exits.
start_script() {
  (
    trap - INT
    exec setsid env "PATH=${BIN}" "${SCRIPT}"
  ) >"${OUT}" 2>&1 3>&- &
  PID=$!
  wait_for_output 'Press Ctrl-C to stop.'
}

# Waits up to 10 s until $OUT has a line containing $1, or the script has exited.
wait_for_output() {
  local i
  for ((i = 0; i < 100; i++)); do
    ! grep -qF -- "$1" "${OUT}" || return 0
    running "${PID}" || return 0
    sleep 0.1
  done
}

# Waits up to 10 s for the background script to exit; sets status and output like `run`.
wait_exit() {
  local i
  for ((i = 0; i < 100; i++)); do
    running "${PID}" || break
    sleep 0.1
  done
  ! running "${PID}" || { echo "run-local.sh did not exit" >&2 && return 1; }
  status=0
  wait "${PID}" || status=$?
  output="$(cat "${OUT}")"
}

# Succeeds while the process runs: it exists and is not a zombie waiting to be reaped.
running() {
  [[ "$(ps -o stat= -p "$1" || true)" =~ ^[^Z] ]]
}

# Prints the PIDs of the stub nodes started so far.
node_pids() {
  if [[ -f "${STUB_LOG}.nodes" ]]; then
    cut -d ' ' -f 1 "${STUB_LOG}.nodes"
  fi
}

# Prints the PID of the stub node named $1.
node_pid() {
  sed -n "s/^\([0-9]*\) $1\$/\1/p" "${STUB_LOG}.nodes"
}

# Succeeds when no stub node is left running, allowing them 2 s to finish.
all_nodes_stopped() {
  local pid i
  for pid in $(node_pids); do
    for ((i = 0; i < 20; i++)); do
      running "${pid}" || break
      sleep 0.1
    done
    ! running "${pid}" || { echo "node ${pid} still runs" >&2 && return 1; }
  done
}

# Succeeds when the stubs' call log has a line matching the extended regex.
called() {
  grep -Eq -- "$1" "${STUB_LOG}"
}

# Succeeds when no line of the stubs' call log matches the extended regex.
not_called() {
  ! grep -Eq -- "$1" "${STUB_LOG}"
}

@test "--help prints the usage and starts nothing" {
  run_script --help
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"Usage: ./run-local.sh [--help]"* ]]
  [[ "${output}" == *"REMOTING_PORT, MANAGEMENT_PORT"* ]]
  [[ "${output}" == *"SKIP_BUILD=1"* ]]
  [ ! -s "${STUB_LOG}" ]
}

@test "an unknown argument exits 1 with one line pointing at --help" {
  run_script --nodes=3
  [ "${status}" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [ "${output}" = "run-local: unknown argument '--nodes=3'; see ./run-local.sh --help" ]
}

@test "a setting that is not a whole number exits 1 naming it, before building" {
  RECEIVERS=two run_script
  [ "${status}" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [ "${output}" = "run-local: RECEIVERS='two' is not a whole number; set RECEIVERS to one" ]
  HTTP_PORT=08080 run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"HTTP_PORT='08080' is not a whole number"* ]]
  [ ! -s "${STUB_LOG}" ]
}

@test "no broadcaster or no receiver is refused in one line" {
  BROADCASTERS=0 run_script
  [ "${status}" -eq 1 ]
  [ "${output}" = "run-local: BROADCASTERS=0: at least 1 is needed" ]
  RECEIVERS=0 run_script
  [ "${status}" -eq 1 ]
  [ "${output}" = "run-local: RECEIVERS=0: at least 1 is needed" ]
}

@test "ports that overlap or leave 1-65535 are refused in one line, before building" {
  HTTP_PORT=27357 run_script
  [ "${status}" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "${output}" == *"port 27357 would be both remoting of receiver-2 and HTTP of receiver-1;"* ]]
  [[ "${output}" == *"set HTTP_PORT apart" ]]
  HTTP_PORT=65535 run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"HTTP_PORT gives HTTP of receiver-2 port 65536, outside 1-65535"* ]]
  [ ! -s "${STUB_LOG}" ]
}

@test "a port already taken exits 1 naming it and its setting, before building" {
  local port_file="${BATS_TEST_TMPDIR}/port" port i
  perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)
      or die "listen: $!";
    $| = 1;
    print $s->sockport, "\n";
    sleep 30;' >"${port_file}" 3>&- &
  LISTENER=$!
  for ((i = 0; i < 50; i++)); do
    [ ! -s "${port_file}" ] || break
    sleep 0.1
  done
  port="$(cat "${port_file}")"
  HTTP_PORT="${port}" run_script
  [ "${status}" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "${output}" == *"port ${port} on 127.0.0.1 (HTTP of receiver-1) is in use;"* ]]
  [[ "${output}" == *"set HTTP_PORT" ]]
  [ ! -s "${STUB_LOG}" ]
}

@test "a missing java or curl exits 1 with an install hint" {
  rm "${BIN}/curl"
  run_script
  [ "${status}" -eq 1 ]
  [ "${output}" = "run-local: curl not found; install it (e.g. apt install curl)" ]
  rm "${BIN}/java"
  run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == "run-local: java not found; install a JDK 17+"* ]]
}

@test "a failed build exits 1 and starts no node" {
  export STUB_MVNW_EXIT=1
  run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"run-local: the build failed (see above)"* ]]
  called '^mvnw -B -q -f .*/repo/pom.xml -pl app -am package -DskipTests '
  not_called '^java '
}

@test "nodes start with their roles, ports and contact points, then the pages are listed" {
  start_script
  [[ "$(cat "${OUT}")" == *"Cluster is up"* ]]
  called '^mvnw -B -q -f .*/repo/pom.xml -pl app -am package -DskipTests '
  [ "$(grep -c '^java -Xmx256m -jar .*/app/target/hello-cluster-app.jar$' "${STUB_LOG}")" -eq 3 ]
  local points="HELLO_CONTACT_POINTS=127.0.0.1:27626,127.0.0.1:27627,127.0.0.1:27628"
  local env_b="${STUB_LOG}.env-broadcaster-1" env_r2="${STUB_LOG}.env-receiver-2"
  grep -qx 'HELLO_ROLES=broadcaster' "${env_b}"
  grep -qx 'HELLO_REMOTING_PORT=27355' "${env_b}"
  grep -qx 'HELLO_MANAGEMENT_PORT=27626' "${env_b}"
  grep -qx "${points}" "${env_b}"
  grep -qx 'HELLO_REQUIRED_CONTACT_POINTS=3' "${env_b}"
  ! grep -q '^HELLO_HTTP_PORT=' "${env_b}" || false
  grep -qx 'HELLO_ROLES=receiver' "${env_r2}"
  grep -qx 'HELLO_REMOTING_PORT=27357' "${env_r2}"
  grep -qx 'HELLO_MANAGEMENT_PORT=27628' "${env_r2}"
  grep -qx 'HELLO_HTTP_PORT=28081' "${env_r2}"
  grep -qx 'HELLO_DISCOVERY_METHOD=config' "${env_r2}"
  called '^curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:27628/ready$'
  grep -qF 'http://127.0.0.1:28080/' "${OUT}"
  grep -qF 'http://127.0.0.1:28081/' "${OUT}"
  grep -qF '[receiver-1] stub node receiver-1 started' "${OUT}"
  stop_script
}

@test "SKIP_BUILD=1 reuses the jar already built" {
  mkdir -p "$(dirname "${JAR}")"
  : >"${JAR}"
  export SKIP_BUILD=1
  start_script
  grep -qF 'Cluster is up' "${OUT}"
  not_called '^mvnw '
  stop_script
}

@test "Ctrl-C stops every node it started and exits 130" {
  start_script
  [ "$(node_pids | wc -l)" -eq 3 ]
  kill -INT -- "-${PID}"
  wait_exit
  [ "${status}" -eq 130 ]
  [[ "${output}" == *"==> Stopping 3 nodes"* ]]
  all_nodes_stopped
}

@test "SIGTERM stops every node it started and exits 143" {
  export BROADCASTERS=2 RECEIVERS=3
  start_script
  [ "$(node_pids | wc -l)" -eq 5 ]
  kill -TERM "${PID}"
  wait_exit
  [ "${status}" -eq 143 ]
  [[ "${output}" == *"==> Stopping 5 nodes"* ]]
  all_nodes_stopped
}

@test "a node that dies makes it stop the others and exit 1, naming the node" {
  start_script
  kill -KILL "$(node_pid receiver-1)"
  wait_exit
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"run-local: receiver-1 stopped (exit status 137); stopping the others"* ]]
  [[ "${output}" == *"==> Stopping 2 nodes"* ]]
  all_nodes_stopped
}

@test "a node that fails during start-up makes it stop the others and exit 1" {
  export STUB_NODE_FAIL=receiver-2
  start_script
  wait_exit
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"[receiver-2] stub node receiver-2: cannot start"* ]]
  [[ "${output}" == *"run-local: receiver-2 exited during start-up (see its error above)"* ]]
  [[ "${output}" == *"==> Stopping 2 nodes"* ]]
  [[ "${output}" != *"Cluster is up"* ]]
  all_nodes_stopped
}

@test "a cluster not ready within READY_TIMEOUT stops every node and exits 1" {
  export STUB_READY=0 READY_TIMEOUT=1
  start_script
  wait_exit
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"run-local: the cluster did not form within 1 s"* ]]
  [[ "${output}" == *"==> Stopping 3 nodes"* ]]
  all_nodes_stopped
}
