#!/usr/bin/env bash
# Installs the Debian packages the test suite needs and a fresh machine lacks: Chromium and its
# driver for the browser tests, shellcheck and bats for the script tests, podman and friends for
# the end-to-end test of the image and chart. Does nothing when all are present.
#
# Usage: project-tools/install-prerequisites.sh
# Runs apt-get as root, or through sudo otherwise. Debian 12 (bookworm) package names; also
# installs a JDK 17 when no javac is on PATH.

set -o errexit -o nounset -o pipefail

readonly PACKAGES=(
  # Browser tests (Selenium drives Debian's Chromium; nothing is downloaded).
  chromium chromium-driver
  # Script tests.
  shellcheck bats
  # End-to-end tests: real containers without a Docker daemon, and debootstrap for their base.
  podman buildah skopeo umoci runc slirp4netns uidmap containernetworking-plugins netavark
  aardvark-dns catatonit debootstrap iptables
  # Used by run-local.sh to wait for readiness.
  curl
)

missing_packages() {
  local p
  # The build needs a JDK; any 17+ on PATH will do, so one is installed only when none is there.
  if ! command -v javac >/dev/null; then
    echo openjdk-17-jdk-headless
  fi
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "${p}" 2>/dev/null | grep -q "install ok installed" \
      || echo "${p}"
  done
}

main() {
  if ! command -v apt-get >/dev/null; then
    echo "install-prerequisites: no apt-get here; install these with your package manager:" >&2
    echo "  ${PACKAGES[*]}" >&2
    exit 1
  fi
  local missing
  mapfile -t missing < <(missing_packages)
  if (( ${#missing[@]} == 0 )); then
    echo "install-prerequisites: all ${#PACKAGES[@]} packages are installed"
    return
  fi
  local sudo=()
  (( EUID == 0 )) || sudo=(sudo)
  echo "install-prerequisites: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

main "$@"
