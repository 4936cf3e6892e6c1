#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run-host.sh BIN...: run each cmocka host test binary (built with
# ASan/UBSan), show its output, and count tests from cmocka's summary lines
#   [  PASSED  ] N test(s).
#   [  FAILED  ] N test(s), listed below:
# A binary that crashes, times out, or exits non-zero without reporting a
# failed test counts as one more failure. Ends with "N passed, N failed";
# exit status 0 only if nothing failed.
set -uo pipefail

# A hang must end, but the slowest binaries (test_queue, test_translated:
# about 35 s of CPU under ASan) took 105 s of wall time on a host with a
# load average of 10: the bound leaves room for a busy CI machine.
TIMEOUT_S=${HOST_TEST_TIMEOUT_S:-300}

# cmocka prints the summary we parse only in its default output format.
unset CMOCKA_MESSAGE_OUTPUT CMOCKA_TEST_ABORT
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}

total_passed=0
total_failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for bin in "$@"; do
	name=$(basename "$bin")
	echo "== host/$name"
	if [ ! -x "$bin" ]; then
		echo "FAIL host/$name: not built ($bin)"
		total_failed=$((total_failed + 1))
		continue
	fi
	timeout "$TIMEOUT_S" "$bin" </dev/null >"$log" 2>&1
	status=$?
	cat "$log"

	# One binary may run several groups: add up every summary line.
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test(s)\..*/\1/p' "$log" |
		awk '{ n += $1 } END { print n + 0 }')
	failed=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test(s), listed below:.*/\1/p' "$log" |
		awk '{ n += $1 } END { print n + 0 }')
	summaries=$(grep -c '^\[  \(PASSED\|FAILED\)  \] [0-9]\+ test(s)' "$log")

	if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
		# Crashed, hung, or a sanitizer fired after the tests reported.
		case $status in
		124) why="timed out after ${TIMEOUT_S}s" ;;
		*) why="exit status $status" ;;
		esac
		if [ "$summaries" -eq 0 ]; then
			# No summary: credit the tests that finished before the end.
			why="$why before any cmocka summary"
			passed=$(grep -c '^\[       OK \]' "$log")
		fi
		echo "FAIL host/$name: $why"
		failed=1
	elif [ "$summaries" -eq 0 ]; then
		echo "FAIL host/$name: no cmocka summary in the output"
		failed=1
	fi
	echo "host/$name: $passed passed, $failed failed"
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
done

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
