#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run-readme.sh BUILD_DIR: every ```c example in README.md must
# compile with the image's flags (-Wall -Wextra -Werror), so the API the
# README shows is the API the headers have. Each block is written to
# BUILD_DIR/readme/exampleN.c and compiled to an object through the
# Makefile's own rule. Ends with "N passed, N failed".
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

dir=$BUILD/readme
rm -rf "$dir"
mkdir -p "$dir"
awk -v dir="$dir" '
	/^```c$/ { n++; file = dir "/example" n ".c"; next }
	/^```/   { file = ""; next }
	file     { print > file }
' README.md

passed=0
failed=0
for src in "$dir"/example*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	obj="$BUILD/obj/${src%.c}.o"
	if out=$(make --no-print-directory -s BUILD="$BUILD" "$obj" 2>&1); then
		echo "PASS readme/$name: $(head -n 1 "$src")"
		passed=$((passed + 1))
	else
		echo "$out"
		echo "FAIL readme/$name: does not compile (README.md's ${name#example}th C block)"
		failed=$((failed + 1))
	fi
done
[ $((passed + failed)) -gt 0 ] || { echo "FAIL readme: no C example found"; failed=1; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
