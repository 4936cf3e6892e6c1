#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run-all.sh BUILD_DIR: every test layer, then one line
# "N passed, N failed" summed over the layers; exit status 0 only if all
# passed.
#   host  tests/run-host.sh on the cmocka binaries ($HOST_TESTS from the
#         Makefile, else every BUILD_DIR/host/test_*)
#   readme  tests/run-readme.sh BUILD_DIR: README.md's C examples compile
#   headers  tests/run-headers.sh BUILD_DIR: the public headers stand alone
#         and hide the library's inside; applications need nothing else
#   build  tests/run-build.sh BUILD_DIR: SPDX lines, the version, make
#         install, and examples/firmware built out of tree with vblk.mk
#         and CMake (source tree and install), each booted in QEMU
#   qemu  tests/qemu/run.sh BUILD_DIR
#   fuzz  tests/fuzz/run.sh BUILD_DIR, when it exists
# Each layer prints its own "N passed, N failed" as its last such line; a
# layer that fails without saying so counts as one failure.
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)

total_passed=0
total_failed=0
summaries=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_layer() {  # run_layer NAME COMMAND...
	local name=$1 status line passed failed
	shift
	echo "==== $name: $*"
	"$@" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if [ -n "$line" ]; then
		passed=${line%% passed*}
		failed=${line##*passed, }
		failed=${failed%% failed}
	else
		passed=0
		failed=0
	fi
	if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
		echo "FAIL $name: exit status $status without a failed test"
		failed=1
	fi
	summaries+=("$name: $passed passed, $failed failed")
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
}

# Host unit tests.
read -r -a host_tests <<<"${HOST_TESTS:-}"
if [ ${#host_tests[@]} -eq 0 ]; then
	for bin in "$BUILD"/host/test_*; do
		[ -f "$bin" ] && [ -x "$bin" ] && host_tests+=("$bin")
	done
fi
run_layer host "$ROOT/tests/run-host.sh" "${host_tests[@]}"

# README.md's C examples compile against the headers.
run_layer readme "$ROOT/tests/run-readme.sh" "$BUILD"

# The public headers are self-contained and all an application needs.
run_layer headers "$ROOT/tests/run-headers.sh" "$BUILD"

# Licence lines, the version, and the builds firmware takes vblk with.
run_layer build "$ROOT/tests/run-build.sh" "$BUILD"

# Guest tests under QEMU.
run_layer qemu "$ROOT/tests/qemu/run.sh" "$BUILD"

# Fuzz smoke.
if [ -f "$ROOT/tests/fuzz/run.sh" ]; then
	run_layer fuzz bash "$ROOT/tests/fuzz/run.sh" "$BUILD"
else
	summaries+=("fuzz: skipped (no tests/fuzz/run.sh)")
fi

echo "==== summary"
printf '%s\n' "${summaries[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
