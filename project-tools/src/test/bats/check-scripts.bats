#!/usr/bin/env bats
# Tests of project-tools/check-scripts.sh, which the Maven build runs: it must find every shell
# script, fail on any shellcheck finding or failed bats test, and say what to install when a
# tool is missing. Each test points it at a scratch tree of its own (CHECK_SCRIPTS_ROOT) and
# runs it with a clean environment, so the bats it starts knows nothing of this one.

# The scratch scripts are written in single quotes on purpose: their $1 must stay unexpanded.
# shellcheck disable=SC2016

setup() {
  SCRIPT="$(cd "${BATS_TEST_DIRNAME}/../../.." && pwd)/check-scripts.sh"
  TREE="${BATS_TEST_TMPDIR}/tree"
  mkdir -p "${TREE}"
}

# Prints PATH without the folder of bats' internal commands, which bats puts first: there
# `bats` is bats' own entry point, not the command a user runs.
user_path() {
  local IFS=: dir kept=()
  for dir in ${PATH}; do
    [[ "${dir}" == *bats-core* ]] || kept+=("${dir}")
  done
  printf '%s\n' "${kept[*]}"
}

# Runs check-scripts.sh over TREE with mode $1, with PATH $2 (default: the user's). Descriptor 3
# is this bats' own channel: the bats started inside must not write to it.
check() {
  run env -i "PATH=${2:-$(user_path)}" "HOME=${BATS_TEST_TMPDIR}" "CHECK_SCRIPTS_ROOT=${TREE}" \
    "${SCRIPT}" "$1" 3>&-
}

# Writes file $1 of TREE from standard input.
tree_file() {
  mkdir -p "$(dirname "${TREE}/$1")"
  cat >"${TREE}/$1"
}

# Writes a bats file with one passing test named $1, at $2 under TREE's bats folder.
passing_bats() {
  printf '#!/usr/bin/env bats\n@test "%s" {\n  true\n}\n' "$1" \
    | tree_file "project-tools/src/test/bats/$2"
}

@test "a missing shellcheck or bats fails in one line naming the Debian packages" {
  local bin="${BATS_TEST_TMPDIR}/bin" tool
  mkdir -p "${bin}"
  for tool in bash dirname env sed; do
    ln -s "$(command -v "${tool}")" "${bin}/${tool}"
  done
  check all "${bin}"
  [ "${status}" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [ "${output}" = "check-scripts: shellcheck bats not found; install the Debian packages:\
 apt-get install shellcheck bats" ]
  printf '#!/bin/sh\n' | tree_file project-tools/install-prerequisites.sh
  chmod +x "${TREE}/project-tools/install-prerequisites.sh"
  check bats "${bin}"
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"(or run project-tools/install-prerequisites.sh)" ]]
}

@test "scripts are found by name or shebang, outside build output and the Maven wrapper" {
  printf '#!/usr/bin/env bash\necho ok\n' | tree_file run.sh
  printf '#!/usr/bin/env bash\necho ok\n' | tree_file .ci/run
  printf '#!/bin/sh\necho ok\n' | tree_file tools/helper
  printf '#!/usr/bin/env python3\nprint($1)\n' | tree_file tools/helper.py
  printf 'echo $1 is prose\n' | tree_file notes.txt
  passing_bats "works" t.bats
  local ignored
  for ignored in target/gen.sh .tools/helm/x.sh node_modules/y.sh .git/hooks/pre-commit mvnw; do
    printf '#!/bin/sh\necho $1\n' | tree_file "${ignored}"
  done
  check shellcheck
  [ "${status}" -eq 0 ]
  [ "${#lines[@]}" -eq 6 ]
  [ "${lines[0]}" = "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on 4 scripts:" ]
  [ "${lines[1]}" = "  .ci/run" ]
  [ "${lines[2]}" = "  project-tools/src/test/bats/t.bats" ]
  [ "${lines[3]}" = "  run.sh" ]
  [ "${lines[4]}" = "  tools/helper" ]
  [ "${lines[5]}" = "shellcheck: 4 scripts clean" ]
}

@test "a shellcheck finding fails the check with its file, line and rule" {
  printf '#!/usr/bin/env bash\nset -o errexit\necho $1\n' | tree_file bin/greet.sh
  check shellcheck
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"bin/greet.sh:3:6: note: "*"[SC2086]"* ]]
  [ "${lines[-1]}" = "check-scripts: shellcheck found problems (above);\
 fix them or disable a rule with a reason" ]
}

@test "passing bats tests pass the check, printing TAP and a countable summary" {
  passing_bats "first" a.bats
  passing_bats "second" b.bats
  check bats
  [ "${status}" -eq 0 ]
  [[ "${output}" == *$'\n1..2\nok 1 first\nok 2 second\n'* ]]
  [ "${lines[-1]}" = "bats: 2 passed, 0 failed, 0 skipped" ]
}

@test "a failing bats test fails the check, and the summary counts it" {
  # Written with printf: bats would take a heredoc line that starts with @test for a test.
  printf '%s\n' '#!/usr/bin/env bats' '@test "passes" { true; }' '@test "fails" { [ 1 -eq 2 ]; }' \
    '@test "is skipped" { skip "not here"; }' | tree_file project-tools/src/test/bats/mixed.bats
  check bats
  [ "${status}" -eq 1 ]
  [[ "${output}" == *$'\nnot ok 2 fails\n'* ]]
  [[ "${output}" == *$'\nok 3 is skipped # skip not here\n'* ]]
  [ "${lines[-2]}" = "bats: 1 passed, 1 failed, 1 skipped" ]
  [[ "${lines[-1]}" == "check-scripts: bats failed (exit status 1);"* ]]
}

@test "bats files without a single test fail the check rather than pass it" {
  printf '#!/usr/bin/env bats\n' | tree_file project-tools/src/test/bats/empty.bats
  check bats
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"bats: 0 passed, 0 failed, 0 skipped"* ]]
}
