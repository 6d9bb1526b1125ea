#!/usr/bin/env bash
# Runs hello-cluster on a local minikube: builds the image with Jib, loads it into minikube,
# installs the Helm chart, checks that the Pekko cluster formed and that a greeting arrives,
# then opens the page. Every step is idempotent: run it again after a change.
#
# Usage:
#   ./run-minikube.sh [up]          build, deploy, verify and open the page (default)
#   ./run-minikube.sh delete        uninstall the release
#   ./run-minikube.sh delete --all  uninstall the release and delete the minikube profile
#   ./run-minikube.sh --help        print this help
#
# Environment:
#   MINIKUBE_PROFILE  minikube profile, also the kubectl context (default: hello-cluster)
#   NAMESPACE         Kubernetes namespace of the release (default: hello-cluster)
#   RELEASE           Helm release name (default: hello-cluster)
#   MINIKUBE_CPUS     CPUs of a newly started minikube (default: 4)
#   MINIKUBE_MEMORY   memory of a newly started minikube (default: 6g)
#   NO_BROWSER=1      print the page URL without opening a browser
#   HELLO_MVNW        Maven command that builds the image (default: ./mvnw)
#   HELLO_MEMBERS_TIMEOUT  seconds to wait for every pod to be an Up member (default: 180)
#
# Needs minikube and a JDK 17+; uses kubectl and helm when installed, else `minikube kubectl`
# and a checksum-verified Helm downloaded into .tools/.

set -o errexit -o nounset -o pipefail -o errtrace

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly ROOT_DIR
readonly CHART_NAME="hello-cluster"
readonly CHART_DIR="${ROOT_DIR}/charts/${CHART_NAME}"
readonly IMAGE_REPOSITORY="hello-cluster"
readonly IMAGE_TAR="${ROOT_DIR}/app/target/jib-image.tar"
# Project-local folder for downloaded tools, git-ignored by a .gitignore of its own.
readonly TOOLS_DIR="${HELLO_TOOLS_DIR:-${ROOT_DIR}/.tools}"
readonly MIN_JAVA_VERSION=17
readonly MANAGEMENT_PORT=7626
readonly STEPS=7

readonly PROFILE="${MINIKUBE_PROFILE:-hello-cluster}"
readonly NAMESPACE="${NAMESPACE:-hello-cluster}"
readonly RELEASE="${RELEASE:-hello-cluster}"
readonly CPUS="${MINIKUBE_CPUS:-4}"
readonly MEMORY="${MINIKUBE_MEMORY:-6g}"
readonly NO_BROWSER="${NO_BROWSER:-0}"
readonly MVNW="${HELLO_MVNW:-${ROOT_DIR}/mvnw}"
# Bounds of the waits; the defaults leave room for a cold start on a laptop.
readonly HELM_TIMEOUT="${HELLO_HELM_TIMEOUT:-5m}"
readonly MEMBERS_TIMEOUT_S="${HELLO_MEMBERS_TIMEOUT:-180}"
readonly URL_TIMEOUT_S="${HELLO_URL_TIMEOUT:-60}"
readonly POLL_INTERVAL_S="${HELLO_POLL_INTERVAL:-2}"

# Helm fetched when none is installed, and the sha256 of each release archive
# helm-v3.16.2-<os>-<arch>.tar.gz (Helm publishes it beside the archive, as .sha256sum).
# Not recomputed from the archives: get.helm.sh was out of reach where they were checked. On
# 2026-12-04 each full digest was looked up in an index of public source code and found pinned
# for the same archive by two unrelated projects: garden-io/garden
# (core/src/plugins/kubernetes/helm/helm-cli.ts) and ohno-cloud/rules_helm
# (private/versions.bzl). The two Linux ones also match several CI scripts and a Nix package.
readonly HELM_VERSION="v3.16.2"
readonly HELM_SHA256_LINUX_AMD64="9318379b847e333460d33d291d4c088156299a26cd93d570a7f5d0c36e50b5bb"
readonly HELM_SHA256_LINUX_ARM64="1888301aeb7d08a03b6d9f4d2b73dcd09b89c41577e80e3455c113629fc657a4"
readonly HELM_SHA256_DARWIN_AMD64="33efd48492f2358a49a231873e8baf41f702b5ab059333ae9c31e5517633c16e"
readonly HELM_SHA256_DARWIN_ARM64="56413c7fbb496d2789881039cab61d849727c7b35db00826fae7a2685a403344"

# Set once the prerequisites are known: the kubectl and helm commands, pointed at the profile.
KUBECTL=()
HELM=()
# Set when a Kubernetes API exists, so that a failure prints the pods' state.
CLUSTER_UP=0
# Title of the running step, named when it fails.
CURRENT_STEP=""
# Background processes this script started and stops on exit.
PORT_FORWARD_PID=""
SERVICE_PID=""
WORK_DIR=""

# Prints the header comment of this file as the usage text.
usage() {
  sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# Prints a numbered step title.
step() {
  local number=$1
  shift
  CURRENT_STEP="[${number}/${STEPS}] $*"
  printf '\n==> %s\n' "${CURRENT_STEP}"
}

# Prints a message to stderr.
err() {
  printf 'error: %s\n' "$*" >&2
}

# Prints an error and its fix to stderr, then exits 1.
die() {
  err "$1"
  shift
  local line
  for line in "$@"; do
    printf '  %s\n' "${line}" >&2
  done
  exit 1
}

# Runs kubectl in the release namespace of the profile's context.
kube() {
  "${KUBECTL[@]}" --context "${PROFILE}" --namespace "${NAMESPACE}" "$@"
}

# Runs helm in the release namespace of the profile's context.
helm_cmd() {
  "${HELM[@]}" --kube-context "${PROFILE}" --namespace "${NAMESPACE}" "$@"
}

# Prints the chart's full name for RELEASE, as the chart's hello-cluster.fullname helper does.
chart_fullname() {
  local name="${RELEASE}-${CHART_NAME}"
  if [[ "${RELEASE}" == *"${CHART_NAME}"* ]]; then
    name="${RELEASE}"
  fi
  name="${name//./-}"
  name="${name:0:63}"
  printf '%s\n' "${name%-}"
}

# Prints the name of one component's resources, as the chart's componentName helper does.
component_name() {
  local component=$1 prefix
  prefix="$(chart_fullname)"
  prefix="${prefix:0:$((62 - ${#component}))}"
  printf '%s-%s\n' "${prefix%-}" "${component}"
}

# Stops a background process this script started, children first: the subshell of a
# backgrounded function, or `minikube kubectl`, would otherwise leave kubectl running.
stop_process_tree() {
  local pid=$1 child
  if command -v pgrep >/dev/null; then
    for child in $(pgrep -P "${pid}" || true); do
      stop_process_tree "${child}"
    done
  fi
  kill "${pid}" 2>/dev/null || true
}

# Stops what this script started in the background and removes its scratch files.
cleanup() {
  local pid
  for pid in "${PORT_FORWARD_PID}" "${SERVICE_PID}"; do
    if [[ -n "${pid}" ]]; then
      stop_process_tree "${pid}"
      wait "${pid}" 2>/dev/null || true
    fi
  done
  if [[ -n "${WORK_DIR}" ]]; then
    rm -rf "${WORK_DIR}"
  fi
}

# Prints what helps to find out why a step failed: pods, recent events and each pod's log tail.
print_diagnostics() {
  local pods pod
  echo "--- pods in namespace ${NAMESPACE}" >&2
  kube get pods -o wide >&2 || true
  echo "--- recent events" >&2
  kube get events --sort-by=.lastTimestamp 2>&1 | tail -n 30 >&2 || true
  pods="$(kube get pods -l "app.kubernetes.io/instance=${RELEASE}" -o name 2>/dev/null)" || true
  for pod in ${pods}; do
    echo "--- last 50 log lines of ${pod}" >&2
    kube logs "${pod}" --all-containers --tail=50 >&2 || true
  done
}

# ERR trap: reports the failed command, prints diagnostics once the cluster exists, exits.
on_error() {
  local status=$? line=$1
  # Subshells inherit the trap (errtrace); only the main shell reports. BASH_SUBSHELL rather
  # than BASHPID, which macOS's bash 3.2 lacks (and nounset would then abort here).
  if ((BASH_SUBSHELL > 0)); then
    exit "${status}"
  fi
  trap - ERR
  err "${CURRENT_STEP:-${0##*/}} failed: exit status ${status} at line ${line}" \
    "of: ${BASH_COMMAND}"
  if ((CLUSTER_UP)); then
    print_diagnostics
  fi
  exit "${status}"
}

# Prints the major version of the installed JDK's compiler (8 for `javac 1.8.0`).
javac_major_version() {
  local version
  version="$(javac -version 2>&1 | sed -n '/^javac [0-9]/{s/^javac \([0-9._]*\).*/\1/;p;q;}')"
  if [[ "${version}" == 1.* ]]; then
    version="${version#1.}"
  fi
  printf '%s\n' "${version%%[._]*}"
}

# Checks the tools the run needs and chooses kubectl; exits 1 with install hints when missing.
check_prerequisites() {
  local need_java=$1 missing=() major
  if ! command -v minikube >/dev/null; then
    missing+=("minikube: https://minikube.sigs.k8s.io/docs/start/")
  fi
  if ((need_java)); then
    if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
      missing+=("a JDK ${MIN_JAVA_VERSION}+ (java and javac): https://adoptium.net/"
        "  or: sudo apt-get install openjdk-17-jdk / brew install openjdk@17")
    else
      major="$(javac_major_version)"
      if [[ ! "${major}" =~ ^[0-9]+$ ]] || ((major < MIN_JAVA_VERSION)); then
        missing+=("a JDK ${MIN_JAVA_VERSION}+; found javac ${major:-of unknown version}:"
          "  https://adoptium.net/ (and point JAVA_HOME and PATH at it)")
      fi
    fi
    if [[ ! -x "${MVNW}" ]] && ! command -v "${MVNW}" >/dev/null; then
      missing+=("the Maven wrapper ${MVNW}: run from a full checkout of the project")
    fi
  fi
  if ! command -v curl >/dev/null; then
    missing+=("curl: https://curl.se/download.html (or your package manager)")
  fi
  if ((${#missing[@]} > 0)); then
    die "missing prerequisites; install:" "${missing[@]}"
  fi
  if command -v kubectl >/dev/null; then
    KUBECTL=(kubectl)
  else
    KUBECTL=(minikube -p "${PROFILE}" kubectl --)
  fi
}

# Prints the sha256 checksum of a file with whichever tool the system has.
sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# Downloads the pinned Helm into .tools/ and verifies its checksum; prints the binary's path.
download_helm() {
  local os arch expected platform archive target
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    arm64 | aarch64) arch=arm64 ;;
    *) die "no pinned Helm for $(uname -m)" "install Helm: https://helm.sh/docs/intro/install/" ;;
  esac
  platform="${os}-${arch}"
  case "${platform}" in
    linux-amd64) expected="${HELM_SHA256_LINUX_AMD64}" ;;
    linux-arm64) expected="${HELM_SHA256_LINUX_ARM64}" ;;
    darwin-amd64) expected="${HELM_SHA256_DARWIN_AMD64}" ;;
    darwin-arm64) expected="${HELM_SHA256_DARWIN_ARM64}" ;;
    *) die "no pinned Helm for ${platform}" "install Helm: https://helm.sh/docs/intro/install/" ;;
  esac
  target="${TOOLS_DIR}/helm-${HELM_VERSION}"
  archive="${WORK_DIR}/helm.tar.gz"
  mkdir -p "${target}"
  # Keeps the downloaded tools out of git without touching the project's .gitignore.
  printf '*\n' >"${TOOLS_DIR}/.gitignore"
  echo "downloading Helm ${HELM_VERSION} for ${platform} into ${target}" >&2
  curl -fsSL --retry 3 -o "${archive}" \
    "https://get.helm.sh/helm-${HELM_VERSION}-${platform}.tar.gz"
  if [[ "$(sha256_of "${archive}")" != "${expected}" ]]; then
    die "checksum mismatch for the downloaded Helm ${HELM_VERSION} (${platform})" \
      "expected sha256 ${expected}; the archive was discarded"
  fi
  tar -xzf "${archive}" -C "${target}" --strip-components=1 "${platform}/helm"
  printf '%s\n' "${target}/helm"
}

# Chooses helm: the installed one, else the pinned one in .tools/, downloading it once.
find_helm() {
  local pinned="${TOOLS_DIR}/helm-${HELM_VERSION}/helm"
  if command -v helm >/dev/null; then
    HELM=(helm)
  else
    if [[ ! -x "${pinned}" ]]; then
      pinned="$(download_helm)"
    fi
    HELM=("${pinned}")
  fi
}

# Starts the minikube profile unless it is already running.
start_minikube() {
  if minikube status -p "${PROFILE}" >/dev/null 2>&1; then
    echo "minikube profile ${PROFILE} is already running"
  else
    minikube start -p "${PROFILE}" --cpus "${CPUS}" --memory "${MEMORY}"
  fi
  CLUSTER_UP=1
}

# Prints the image tag: <project version>-<git short sha>, plus -dirty-<time> for a changed
# work tree so that a rebuilt image never hides behind a cached one of the same tag.
image_tag() {
  local version sha tag
  version="$(cd "${ROOT_DIR}" && "${MVNW}" -q -B help:evaluate \
    -Dexpression=project.version -DforceStdout)"
  sha="$(git -C "${ROOT_DIR}" rev-parse --short HEAD 2>/dev/null)" || sha="uncommitted"
  tag="${version}-${sha}"
  if [[ "${sha}" == "uncommitted" || -n "$(git -C "${ROOT_DIR}" status --porcelain)" ]]; then
    tag="${tag}-dirty-$(date -u +%Y%m%d%H%M%S)"
  fi
  printf '%s\n' "${tag}"
}

# Builds the image tarball with Jib (no Docker daemon needed) and loads it into minikube.
build_and_load_image() {
  local tag=$1
  echo "building ${IMAGE_REPOSITORY}:${tag}"
  (cd "${ROOT_DIR}" && "${MVNW}" -B -q -pl app -am package -DskipTests jib:buildTar \
    "-Djib.to.image=${IMAGE_REPOSITORY}:${tag}")
  minikube -p "${PROFILE}" image load "${IMAGE_TAR}"
}

# Installs or upgrades the release and waits until its pods are ready.
install_chart() {
  local tag=$1
  helm_cmd upgrade --install "${RELEASE}" "${CHART_DIR}" --create-namespace \
    --set "image.tag=${tag}" --wait --timeout "${HELM_TIMEOUT}"
}

# Waits for the port-forward to report its local port; prints the port.
await_forwarded_port() {
  local log=$1 deadline=$((SECONDS + 30)) alive port
  while :; do
    # Checked before reading the log, so a process that printed and then exited still counts.
    alive=0
    if kill -0 "${PORT_FORWARD_PID}" 2>/dev/null; then
      alive=1
    fi
    port="$(sed -n '/^Forwarding from 127\.0\.0\.1:/{s/^[^:]*:\([0-9]*\) .*/\1/;p;q;}' "${log}")"
    if [[ -n "${port}" ]]; then
      printf '%s\n' "${port}"
      return 0
    fi
    if ((!alive || SECONDS >= deadline)); then
      break
    fi
    sleep "${POLL_INTERVAL_S}"
  done
  err "kubectl port-forward did not start:"
  cat "${log}" >&2
  return 1
}

# Prints how many members a /cluster/members JSON document lists with status Up.
count_up_members() {
  local json=$1 count=0
  local up='"status"[[:space:]]*:[[:space:]]*"Up"'
  while [[ "${json}" =~ ${up} ]]; do
    count=$((count + 1))
    json="${json#*"${BASH_REMATCH[0]}"}"
  done
  printf '%s\n' "${count}"
}

# Waits for both Deployments' rollouts, then until every pod is an Up cluster member, as seen
# by a receiver's Pekko Management endpoint through a port-forward on a free local port.
check_cluster_formed() {
  local broadcaster receiver deployment replicas expected=0 log port json up=0 deadline
  broadcaster="$(component_name broadcaster)"
  receiver="$(component_name receiver)"
  for deployment in "${broadcaster}" "${receiver}"; do
    kube rollout status "deployment/${deployment}" --timeout "${HELM_TIMEOUT}"
    replicas="$(kube get deployment "${deployment}" -o 'jsonpath={.spec.replicas}')"
    expected=$((expected + replicas))
  done
  log="${WORK_DIR}/port-forward.log"
  # Created here: the background job opens it only after this shell may have read it.
  : >"${log}"
  kube port-forward "deployment/${receiver}" ":${MANAGEMENT_PORT}" >"${log}" 2>&1 &
  PORT_FORWARD_PID=$!
  port="$(await_forwarded_port "${log}")"
  deadline=$((SECONDS + MEMBERS_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    json="$(curl -fsS --max-time 5 "http://127.0.0.1:${port}/cluster/members")" || json=""
    up="$(count_up_members "${json}")"
    echo "cluster members Up: ${up}/${expected}"
    if ((up >= expected)); then
      break
    fi
    sleep "${POLL_INTERVAL_S}"
  done
  stop_process_tree "${PORT_FORWARD_PID}"
  wait "${PORT_FORWARD_PID}" 2>/dev/null || true
  PORT_FORWARD_PID=""
  if ((up < expected)); then
    err "only ${up} of ${expected} members Up after ${MEMBERS_TIMEOUT_S} s; last answer:"
    printf '%s\n' "${json:-<none>}" >&2
    return 1
  fi
}

# Runs the chart's test pod, which waits for one greeting on the Service's /events stream.
check_greeting() {
  helm_cmd test "${RELEASE}" --timeout 2m
}

# Waits for `minikube service --url` to print the page URL; prints it.
await_service_url() {
  local log=$1 deadline=$((SECONDS + URL_TIMEOUT_S)) alive url
  while :; do
    alive=0
    if kill -0 "${SERVICE_PID}" 2>/dev/null; then
      alive=1
    fi
    url="$(grep -m 1 -o 'https\{0,1\}://[^[:space:]]*' "${log}" || true)"
    if [[ -n "${url}" ]]; then
      printf '%s\n' "${url}"
      return 0
    fi
    if ((!alive || SECONDS >= deadline)); then
      break
    fi
    sleep "${POLL_INTERVAL_S}"
  done
  err "minikube service printed no URL:"
  cat "${log}" >&2
  return 1
}

# Opens the URL in the default browser when one can be launched.
open_browser() {
  local url=$1
  if [[ "${NO_BROWSER}" == "1" ]]; then
    return 0
  fi
  if command -v xdg-open >/dev/null; then
    xdg-open "${url}" >/dev/null 2>&1 || true
  elif command -v open >/dev/null; then
    open "${url}" || true
  fi
}

# Prints the page URL and opens it. On macOS with the docker driver `minikube service` keeps a
# tunnel open, so it runs in the background and is kept alive until Ctrl-C.
show_page() {
  local log="${WORK_DIR}/service.log" url
  : >"${log}"
  minikube -p "${PROFILE}" service "$(chart_fullname)" -n "${NAMESPACE}" --url >"${log}" 2>&1 &
  SERVICE_PID=$!
  url="$(await_service_url "${log}")"
  echo "hello-cluster is up: ${url}"
  open_browser "${url}"
  if kill -0 "${SERVICE_PID}" 2>/dev/null; then
    echo "keeping the tunnel to the page open; Ctrl-C stops it"
    wait "${SERVICE_PID}" || true
  fi
  SERVICE_PID=""
}

# Builds, deploys and verifies the app, then opens its page.
up() {
  local tag
  step 1 "Checking prerequisites"
  check_prerequisites 1
  find_helm
  echo "using ${KUBECTL[*]}, ${HELM[*]}, $(command -v minikube)"
  step 2 "Starting minikube profile ${PROFILE}"
  start_minikube
  step 3 "Building the image and loading it into minikube"
  tag="$(image_tag)"
  build_and_load_image "${tag}"
  step 4 "Installing release ${RELEASE} in namespace ${NAMESPACE}"
  install_chart "${tag}"
  step 5 "Checking that the Pekko cluster formed"
  check_cluster_formed
  step 6 "Checking that a greeting reaches a receiver's clients"
  check_greeting
  step 7 "Opening the page"
  show_page
}

# Uninstalls the release; with --all also deletes the minikube profile.
delete() {
  local all=0
  case "${1:-}" in
    "") ;;
    --all) all=1 ;;
    *) die "unknown option for delete: $1" "see: $0 --help" ;;
  esac
  check_prerequisites 0
  if minikube status -p "${PROFILE}" >/dev/null 2>&1; then
    CLUSTER_UP=1
    find_helm
    if helm_cmd status "${RELEASE}" >/dev/null 2>&1; then
      helm_cmd uninstall "${RELEASE}" --wait
    else
      echo "release ${RELEASE} is not installed in namespace ${NAMESPACE}"
    fi
    # Test hook pods outlive the release.
    kube delete pod --ignore-not-found \
      -l "app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=test"
  else
    echo "minikube profile ${PROFILE} is not running: nothing to uninstall"
  fi
  if ((all)); then
    minikube delete -p "${PROFILE}"
  fi
}

main() {
  local command="${1:-up}"
  case "${command}" in
    -h | --help | help)
      usage
      return 0
      ;;
    up | delete) ;;
    *) die "unknown command: ${command}" "see: $0 --help" ;;
  esac
  trap 'on_error ${LINENO}' ERR
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  WORK_DIR="$(mktemp -d)"
  if [[ "${command}" == "up" ]]; then
    if (($# > 1)); then
      die "up takes no arguments" "see: $0 --help"
    fi
    up
  else
    shift
    delete "$@"
  fi
}

main "$@"
