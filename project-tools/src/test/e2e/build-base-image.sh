#!/usr/bin/env bash
#
# Builds the Java 17 JRE base image that the e2e test puts the app on, from Debian packages,
# and caches it as a docker-archive tar (the only local format Jib reads as a base).
# The production base (an official JRE image) cannot be pulled here: no registry is reachable.
#
# Usage: build-base-image.sh [--rebuild] OUTPUT_TAR
#   OUTPUT_TAR  where the archive is cached, e.g. /var/cache/hello-cluster/jre17-base.tar;
#               an existing archive is reused unless --rebuild is given.
#
# Needs root, debootstrap and podman (Debian packages); takes about 45 s and 330 MB.

set -o errexit -o nounset -o pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly SUITE="bookworm"
readonly IMAGE="localhost/hello-cluster-e2e-base:jre17-${SUITE}"
readonly SOURCES="/etc/apt/sources.list.d/debian.sources"

work=""

die() {
  echo "build-base-image: $*" >&2
  exit 1
}

# Removes the work folder, first releasing what may still be mounted inside it.
cleanup() {
  [[ -n "${work}" && -d "${work}" ]] || return 0
  if [[ -f "${work}/containers.conf" ]]; then
    podman_cmd rmi --force "${IMAGE}" >/dev/null 2>&1 || true
  fi
  local mountpoint
  # Deepest first, so nested mounts (proc in the root file system, storage layers) go first.
  awk -v w="${work}/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r \
    | while read -r mountpoint; do umount -l "${mountpoint}" || true; done
  rm -rf "${work}"
}

podman_cmd() {
  CONTAINERS_CONF="${work}/containers.conf" \
    CONTAINERS_STORAGE_CONF="${work}/storage.conf" \
    CONTAINERS_REGISTRIES_CONF="${work}/registries.conf" \
    podman "$@"
}

check_prerequisites() {
  [[ "$(id -u)" -eq 0 ]] || die "run as root (debootstrap, chroot and podman's overlay need it)"
  local tool
  for tool in debootstrap podman chroot; do
    command -v "${tool}" >/dev/null \
      || die "${tool} not found; install it: apt-get install -y debootstrap podman runc"
  done
  [[ -r "${SOURCES}" ]] || die "${SOURCES} not found: cannot tell which Debian mirror apt uses"
}

# The first mirror URI of the host's apt sources: the same mirror apt already reaches.
debian_mirror() {
  awk '/^URIs:/ { print $2; exit }' "${SOURCES}"
}

write_podman_config() {
  local template
  for template in containers storage registries; do
    sed "s|@ROOT@|${work}|g" "${SCRIPT_DIR}/${template}.conf.template" \
      >"${work}/${template}.conf"
  done
  mkdir -p "${work}/tmp" "${work}/networks"
}

# Step 1: a minimal Debian with the headless JRE and nothing else worth keeping.
build_root_fs() {
  local rootfs="$1" mirror
  mirror="$(debian_mirror)"
  echo "build-base-image: debootstrap ${SUITE} from ${mirror}" >&2
  debootstrap --variant=minbase "${SUITE}" "${rootfs}" "${mirror}" >"${work}/debootstrap.log" \
    || die "debootstrap failed; see the log above: $(tail -n 5 "${work}/debootstrap.log")"
  # Security and point-release updates as the host gets them.
  cp "${SOURCES}" "${rootfs}/etc/apt/sources.list.d/debian.sources"
  rm -f "${rootfs}/etc/apt/sources.list"
  cp /etc/resolv.conf "${rootfs}/etc/resolv.conf"
  mount -t proc proc "${rootfs}/proc"
  # apt's chatter goes to the log; only a failure shows it.
  chroot "${rootfs}" /bin/sh -c '
    set -e
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
    apt-get clean
    rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/info/* \
      /var/log/apt/* /var/log/dpkg.log /var/cache/debconf/*-old' >"${work}/apt.log" 2>&1 \
    || die "installing the JRE failed: $(tail -n 5 "${work}/apt.log")"
  umount "${rootfs}/proc"
  rm -f "${rootfs}/etc/resolv.conf"
}

java_home_of() {
  local rootfs="$1" arch
  arch="$(chroot "${rootfs}" dpkg --print-architecture)"
  echo "/usr/lib/jvm/java-17-openjdk-${arch}"
}

# Step 2: the root file system as an image. Images from scratch have no PATH of their own.
import_image() {
  local rootfs="$1" java_home
  java_home="$(java_home_of "${rootfs}")"
  tar --numeric-owner -C "${rootfs}" -cf - . \
    | podman_cmd import --quiet \
      --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "ENV JAVA_HOME=${java_home}" \
      --change "ENV LANG=C.UTF-8" \
      - "${IMAGE}" >/dev/null
  podman_cmd run --rm --network none "${IMAGE}" java -version 2>&1 | head -n 1 >&2
}

main() {
  local rebuild=false output
  if [[ "${1:-}" == "--rebuild" ]]; then
    rebuild=true
    shift
  fi
  [[ $# -eq 1 ]] || die "usage: build-base-image.sh [--rebuild] OUTPUT_TAR"
  output="$1"
  if [[ -s "${output}" && "${rebuild}" == false ]]; then
    echo "build-base-image: reusing ${output} (--rebuild makes a new one)" >&2
    return 0
  fi
  check_prerequisites
  mkdir -p "$(dirname "${output}")"
  work="$(mktemp -d "${TMPDIR:-/var/tmp}/hello-cluster-base.XXXXXX")"
  trap cleanup EXIT
  write_podman_config
  build_root_fs "${work}/rootfs"
  import_image "${work}/rootfs"
  # Written beside the target and renamed, so a failed run never leaves a truncated archive.
  podman_cmd save --quiet --format docker-archive -o "${output}.partial" "${IMAGE}"
  mv "${output}.partial" "${output}"
  echo "build-base-image: wrote ${output} ($(du -h "${output}" | cut -f1))" >&2
}

main "$@"
