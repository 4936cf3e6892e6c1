#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh BUILD_DIR: every libFuzzer target in BUILD_DIR/fuzz.
#   1. replays its committed corpus (tests/fuzz/corpus/<name>): each input
#      that once found a bug, or that covers a shape worth keeping, must
#      still pass;
#   2. fuzzes for FUZZ_TIME seconds (default 5: the smoke run of make test)
#      into a scratch corpus under BUILD_DIR/fuzz/corpus/<name>, seeded
#      with the committed one.
# Prints the executions per target and ends with "N passed, N failed".
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_TIME=${FUZZ_TIME:-5}
passed=0
failed=0

for bin in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds="$ROOT/tests/fuzz/corpus/${name#fuzz_}"
	scratch="$BUILD/fuzz/corpus/${name#fuzz_}"
	log="$BUILD/fuzz/$name.log"
	mkdir -p "$scratch" "$BUILD/fuzz/crashes"

	if [ -d "$seeds" ] && ! "$bin" -runs=0 "$seeds" >"$log" 2>&1; then
		echo "FAIL $name: committed corpus (log: $log)"
		tail -n 20 "$log"
		failed=$((failed + 1))
		continue
	fi
	# New inputs go to the first directory; the committed corpus only seeds.
	dirs=("$scratch")
	[ -d "$seeds" ] && dirs+=("$seeds")
	if ! timeout $((FUZZ_TIME + 60)) "$bin" -max_total_time="$FUZZ_TIME" \
		-artifact_prefix="$BUILD/fuzz/crashes/$name-" -print_final_stats=1 \
		"${dirs[@]}" >>"$log" 2>&1; then
		echo "FAIL $name: finding after fuzzing (log: $log; inputs in $BUILD/fuzz/crashes)"
		grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$log"
		failed=$((failed + 1))
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "PASS $name: corpus replayed, ${execs:-?} executions in ${FUZZ_TIME}s"
	passed=$((passed + 1))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
