#!/usr/bin/env bats
# Tests of run-minikube.sh against stub minikube, kubectl, helm, curl, git, JDK and Maven
# wrapper (stubs/). The script runs with a PATH holding only the stubs and the basic system
# tools it needs, so a real minikube or cluster is never touched. Each stub appends its command
# line to $STUB_LOG and answers according to STUB_* variables.

# Each @test runs in its own process: the STUB_* exports of one test are meant to stay in it.
# shellcheck disable=SC2030,SC2031

readonly SYSTEM_TOOLS=(bash env cat cut date dirname grep head mkdir mktemp pgrep rm sed sleep
  sha256sum shasum tail tar tr uname)

setup() {
  SCRIPT="$(cd "${BATS_TEST_DIRNAME}/../../../.." && pwd)/run-minikube.sh"
  BIN="${BATS_TEST_TMPDIR}/bin"
  mkdir -p "${BIN}"
  cp "${BATS_TEST_DIRNAME}"/stubs/* "${BIN}/"
  local tool
  for tool in "${SYSTEM_TOOLS[@]}"; do
    if command -v "${tool}" >/dev/null; then
      ln -s "$(command -v "${tool}")" "${BIN}/${tool}"
    fi
  done
  export STUBS_SRC="${BATS_TEST_DIRNAME}/stubs"
  export STUB_LOG="${BATS_TEST_TMPDIR}/calls.log"
  : >"${STUB_LOG}"
  export HELLO_MVNW="${BIN}/mvnw"
  export HELLO_TOOLS_DIR="${BATS_TEST_TMPDIR}/tools"
  export HELLO_POLL_INTERVAL=0.1
  export NO_BROWSER=1
  unset MINIKUBE_PROFILE NAMESPACE RELEASE MINIKUBE_CPUS MINIKUBE_MEMORY
}

# Runs the script with only the stubs and basic system tools on PATH.
run_script() {
  run env "PATH=${BIN}" "${SCRIPT}" "$@"
}

# Succeeds when the stubs' call log has a line matching the extended regex.
called() {
  grep -Eq -- "$1" "${STUB_LOG}"
}

# Succeeds when no line of the stubs' call log matches the extended regex. A function, because
# bash's errexit ignores a failing `! command` written directly in a test.
not_called() {
  ! grep -Eq -- "$1" "${STUB_LOG}"
}

# Succeeds while the process runs: it exists and is not a zombie waiting to be reaped.
running() {
  [[ "$(ps -o stat= -p "$1" || true)" =~ ^[^Z] ]]
}

# Prints how many lines of the stubs' call log match the extended regex.
count_calls() {
  grep -Ec -- "$1" "${STUB_LOG}" || true
}

@test "--help prints the usage and touches nothing" {
  run_script --help
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"Usage:"* ]]
  [[ "${output}" == *"./run-minikube.sh delete --all"* ]]
  [[ "${output}" == *"NO_BROWSER=1"* ]]
  [ ! -s "${STUB_LOG}" ]
}

@test "an unknown command exits 1 and points at --help" {
  run_script deploy
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"unknown command: deploy"* ]]
  [[ "${output}" == *"--help"* ]]
}

@test "a missing minikube exits 1 with an install hint before doing anything" {
  rm "${BIN}/minikube"
  run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"missing prerequisites"* ]]
  [[ "${output}" == *"minikube: https://minikube.sigs.k8s.io/docs/start/"* ]]
  not_called '^(helm|mvnw|kubectl) '
}

@test "a missing JDK compiler exits 1 with a JDK install hint" {
  rm "${BIN}/javac"
  run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"a JDK 17+ (java and javac): https://adoptium.net/"* ]]
  not_called '^minikube start'
}

@test "a JDK older than 17 exits 1 naming the version found" {
  export STUB_JAVA_VERSION=11.0.24
  run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"a JDK 17+; found javac 11"* ]]
}

@test "a running minikube is not started again and the whole run succeeds" {
  run_script
  [ "${status}" -eq 0 ]
  not_called '^minikube start'
  for step in 1 2 3 4 5 6 7; do
    [[ "${output}" == *"==> [${step}/7]"* ]]
  done
  [[ "${output}" == *"minikube profile hello-cluster is already running"* ]]
  [[ "${output}" == *"cluster members Up: 4/4"* ]]
  [[ "${output}" == *"hello-cluster is up: http://192.168.49.2:30080"* ]]
}

@test "a stopped minikube is started with the configured CPUs and memory" {
  export STUB_MINIKUBE_STATUS=Stopped MINIKUBE_CPUS=2 MINIKUBE_MEMORY=5g
  run_script
  [ "${status}" -eq 0 ]
  called '^minikube start -p hello-cluster --cpus 2 --memory 5g$'
}

@test "the image is tagged with version and commit, built by Jib and loaded into minikube" {
  run_script
  [ "${status}" -eq 0 ]
  local image="hello-cluster:0.1.0-SNAPSHOT-abc1234"
  called "^mvnw -B -q -pl app -am package -DskipTests jib:buildTar -Djib.to.image=${image}$"
  called '^minikube -p hello-cluster image load .*/app/target/jib-image.tar$'
  called '^helm .*upgrade --install hello-cluster .*/charts/hello-cluster --create-namespace'
  called '--set image.tag=0.1.0-SNAPSHOT-abc1234 --wait --timeout 5m$'
}

@test "a changed work tree gets a dirty, timestamped image tag" {
  export STUB_GIT_DIRTY=1
  run_script
  [ "${status}" -eq 0 ]
  called '--set image.tag=0.1.0-SNAPSHOT-abc1234-dirty-[0-9]{14} '
}

@test "a rerun upgrades the same release again without restarting minikube" {
  run_script
  [ "${status}" -eq 0 ]
  run_script
  [ "${status}" -eq 0 ]
  [ "$(count_calls '^helm .* upgrade --install hello-cluster ')" -eq 2 ]
  [ "$(count_calls '^minikube start')" -eq 0 ]
}

@test "kubectl and helm target the profile's context and the release namespace" {
  export MINIKUBE_PROFILE=demo-profile NAMESPACE=apps
  run_script
  [ "${status}" -eq 0 ]
  called '^helm --kube-context demo-profile --namespace apps upgrade --install hello-cluster '
  called '^kubectl --context demo-profile --namespace apps rollout status '
  called '^minikube -p demo-profile service hello-cluster -n apps --url$'
}

@test "another release name gives the chart's resource names" {
  export RELEASE=demo
  run_script
  [ "${status}" -eq 0 ]
  called 'rollout status deployment/demo-hello-cluster-broadcaster '
  called 'rollout status deployment/demo-hello-cluster-receiver '
  called 'port-forward deployment/demo-hello-cluster-receiver :7626$'
  called '^minikube -p hello-cluster service demo-hello-cluster -n hello-cluster --url$'
  called '^helm .* test demo --timeout 2m$'
}

@test "without kubectl the script uses minikube's kubectl" {
  rm "${BIN}/kubectl"
  run_script
  [ "${status}" -eq 0 ]
  called '^minikube -p hello-cluster kubectl -- --context hello-cluster .* rollout status '
}

@test "a failed rollout prints pods, events and each pod's logs and exits non-zero" {
  export STUB_ROLLOUT_EXIT=1
  run_script
  [ "${status}" -ne 0 ]
  [[ "${output}" == *"(stub pod table)"* ]]
  [[ "${output}" == *"(stub events)"* ]]
  [[ "${output}" == *"last 50 log lines of pod/hello-cluster-broadcaster-6d9f-a1"* ]]
  [[ "${output}" == *"stub log line of pod/hello-cluster-receiver-7c8b-b2"* ]]
  called 'logs pod/hello-cluster-receiver-7c8b-b2 --all-containers --tail=50$'
  not_called '^helm .* test '
}

@test "the members check polls until every pod is Up" {
  export STUB_MEMBERS_UP=4 STUB_MEMBERS_TOTAL=4
  run_script
  [ "${status}" -eq 0 ]
  called '^curl -fsS --max-time 5 http://127.0.0.1:45678/cluster/members$'
}

@test "no port-forward outlives the run, with kubectl or with minikube's kubectl" {
  run_script
  [ "${status}" -eq 0 ]
  rm "${BIN}/kubectl"
  run_script
  [ "${status}" -eq 0 ]
  local pids
  mapfile -t pids <"${STUB_LOG}.port-forward-pids"
  [ "${#pids[@]}" -eq 2 ]
  for pid in "${pids[@]}"; do
    running "${pid}" && sleep 1
    ! running "${pid}" || false
  done
}

@test "a cluster that never gets every member Up fails with diagnostics" {
  export STUB_MEMBERS_UP=3 HELLO_MEMBERS_TIMEOUT=1
  run_script
  [ "${status}" -ne 0 ]
  [[ "${output}" == *"only 3 of 4 members Up after 1 s"* ]]
  [[ "${output}" == *"(stub pod table)"* ]]
  not_called '^helm .* test '
}

@test "a greeting that does not arrive fails the run with diagnostics" {
  export STUB_HELM_TEST_EXIT=1
  run_script
  [ "${status}" -ne 0 ]
  [[ "${output}" == *"test-feed failed"* ]]
  [[ "${output}" == *"(stub events)"* ]]
  not_called '^minikube .* service '
}

@test "the page opens in the browser unless NO_BROWSER=1" {
  export NO_BROWSER=0
  run_script
  [ "${status}" -eq 0 ]
  called '^xdg-open http://192.168.49.2:30080$'
  : >"${STUB_LOG}"
  export NO_BROWSER=1
  run_script
  [ "${status}" -eq 0 ]
  not_called '^xdg-open '
}

@test "a tunnelled page URL is kept open until the run is stopped" {
  export STUB_SERVICE_TUNNEL=1
  local out="${BATS_TEST_TMPDIR}/out" pid i tunnel
  env "PATH=${BIN}" "${SCRIPT}" >"${out}" 2>&1 3>&- &
  pid=$!
  for ((i = 0; i < 100; i++)); do
    grep -q 'Ctrl-C stops it' "${out}" && break
    sleep 0.1
  done
  grep -q 'hello-cluster is up: http://192.168.49.2:30080' "${out}"
  tunnel="$(cat "${STUB_LOG}.tunnel-pids")"
  running "${pid}"
  running "${tunnel}"
  kill -TERM "${pid}"
  status=0
  wait "${pid}" || status=$?
  [ "${status}" -eq 143 ]
  running "${tunnel}" && sleep 1
  ! running "${tunnel}" || false
}

@test "without helm the pinned download is refused when its checksum does not match" {
  rm "${BIN}/helm"
  run_script
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"checksum mismatch for the downloaded Helm v3.16.2"* ]]
  called '^curl -fsSL --retry 3 -o .* https://get.helm.sh/helm-v3.16.2-[a-z]+-[a-z0-9]+.tar.gz$'
  [ ! -e "${HELLO_TOOLS_DIR}/helm-v3.16.2/helm" ]
  [ "$(cat "${HELLO_TOOLS_DIR}/.gitignore")" = "*" ]
  not_called '^minikube start'
}

@test "delete uninstalls the release and its leftover test pod, keeping minikube" {
  run_script delete
  [ "${status}" -eq 0 ]
  called '^helm --kube-context hello-cluster --namespace hello-cluster uninstall hello-cluster'
  called 'delete pod --ignore-not-found -l app.kubernetes.io/instance=hello-cluster,'
  not_called '^minikube delete'
  not_called '^mvnw '
}

@test "delete of a release that is not installed succeeds without uninstalling" {
  export STUB_HELM_STATUS_EXIT=1
  run_script delete
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"release hello-cluster is not installed"* ]]
  not_called ' uninstall '
}

@test "delete --all also deletes the minikube profile" {
  run_script delete --all
  [ "${status}" -eq 0 ]
  called ' uninstall hello-cluster'
  called '^minikube delete -p hello-cluster$'
}

@test "delete with minikube stopped has nothing to uninstall" {
  export STUB_MINIKUBE_STATUS=Stopped
  run_script delete
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"nothing to uninstall"* ]]
  not_called '^helm '
}
