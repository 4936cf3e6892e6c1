#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/boot-time.sh BUILD [RUNS]: what `make boot-time` prints.
#
# Boots BUILD/vblk.elf (the demo) RUNS times (default 5) on a scratch
# 16 MiB disk on legacy virtio-mmio in plain TCG, then RUNS times with
# `-icount shift=0` (the counter then counts guest instructions, 1 ns
# each: how much work each step is, whatever the host's load), and prints
# the medians of the demo's own timings: the first instruction and main()
# after reset, main() and the first sector after the first instruction
# (QEMU's counter runs from machine creation, before the first
# instruction: docs/performance.md, "Boot"), and vblk_init_from_dt.
set -euo pipefail

BUILD=${1:-build}
RUNS=${2:-5}
QEMU=${QEMU:-qemu-system-aarch64}
ELF=$BUILD/vblk.elf
WORK=$BUILD/boot-time
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "boot-time: RUNS (BOOT_TIME_RUNS) must be a positive whole number, not '$RUNS'" >&2; exit 2; }
[ -f "$ELF" ] || { echo "boot-time: no $ELF (make builds it)" >&2; exit 1; }
mkdir -p "$WORK"
truncate -s 16M "$WORK/disk.img"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

for mode in tcg icount; do
	extra=()
	[ "$mode" = icount ] && extra=(-icount shift=0)
	: >"$WORK/$mode.txt"
	for run in $(seq "$RUNS"); do
		log=$WORK/$mode.$run.log
		status=0
		timeout --foreground 60 "$QEMU" -machine virt -cpu cortex-a53 -nographic \
			-semihosting-config enable=on,target=native "${extra[@]}" -kernel "$ELF" \
			-drive "if=none,id=d0,format=raw,file=$WORK/disk.img" \
			-device virtio-blk-device,drive=d0 </dev/null >"$log" 2>&1 || status=$?
		if [ "$status" -ne 0 ]; then
			echo "boot-time: $mode boot $run of $RUNS failed (exit status $status$([ "$status" = 124 ] && echo ', timed out after 60 s')): see $log" >&2
			tail -n 5 "$log" >&2
			exit 1
		fi
		tr -d '\r' <"$log" |
			awk '/^boot: first instruction/ { e = $4; m = $(NF - 3) }
			     /disk\(s\) ready [0-9]* us after main/ { r = $4 }
			     /^first sector read/ { f = $4 }
			     END { print e, m, r, f, m - e, f - e }' >>"$WORK/$mode.txt"
	done
	col() { awk -v c="$1" '{ print $c }' "$WORK/$mode.txt" | median; }
	printf '%-6s medians of %s boots (us): first instruction %s, main %s, first sector %s ' \
		"$mode" "$RUNS" "$(col 1)" "$(col 2)" "$(col 4)"
	printf 'after reset; from the first instruction: main %s, first sector %s; ' "$(col 5)" "$(col 6)"
	printf 'vblk_init_from_dt %s\n' "$(col 3)"
done
