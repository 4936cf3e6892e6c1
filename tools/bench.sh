#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/bench.sh [BUILD]: what `make bench` runs after building
# BUILD/bench.elf (bench/bench.c).
#
#  1. creates a scratch raw image, BUILD/bench/scratch.img, filled with
#     random bytes on the host so every read hits allocated data;
#  2. boots the benchmark on it in QEMU (virt, cortex-a53) and shows the
#     guest's table, once per transport: the disk as virtio-blk-device on
#     legacy virtio-mmio (QEMU's default), then as virtio-blk-pci (what
#     `-drive if=virtio` gives); with BENCH_RUNS > 1 it boots it that many
#     times and also shows the median of every figure, row by row (the
#     host's load moves single runs);
#  3. right after each boot, times QEMU's block layer alone on the same
#     file with `qemu-img bench` (writeback cache, page cache warm: how
#     shared/PEERS.md timed it) for each row's direction, size and depth,
#     and prints the guest's throughput as a ratio of it: the median of
#     the runs' own ratios, each run's guest and backend measured minutes
#     apart at most, so a busy spell on the shared host moves both
#     (tools/bench-backend.sh);
#  4. the yardstick (tools/bench-yardstick.sh): vblk against a minimal
#     guest on the same disk in the same QEMU process, quiet and with a
#     CPU-bound process beside QEMU, on each of BENCH_TRANSPORTS;
#  5. the split ring against the packed ring (tools/bench-rings.sh): two
#     virtio-pci disks in one QEMU process, packed=off and packed=on,
#     alternating A B B A.
#
# The guest writes only to a disk whose serial is vblk-bench-scratch, which
# only this script's image gets. Environment:
#   BENCH_DISK_MIB      scratch image size (default 256)
#   BENCH_ROW_MS        guest time per table row (default 500)
#   BENCH_RUNS          guest runs, medians taken (default 1)
#   BENCH_BACKEND_RUNS  qemu-img bench runs per figure after each guest run,
#                       median taken (default 3 for one guest run, else 1:
#                       the runs' ratios are the samples then)
#   BENCH_TIMEOUT_S     bound on the QEMU run (default 180)
#   BENCH_KEEP=1        keep the scratch image and logs afterwards
#   BENCH_TRANSPORTS    which disks to time: "mmio pci pci-packed" (default:
#                       legacy virtio-mmio, virtio-pci on the split ring and
#                       on the packed ring, packed=on), or some of them
#   BENCH_DEVICE_OPTS   more virtio-blk-device/-pci properties, e.g.
#                       indirect_desc=off to compare without that feature
#   BENCH_QEMU_EXTRA    more QEMU arguments, e.g. modern virtio-mmio:
#                       "-global virtio-mmio.force-legacy=false"
#   BENCH_TABLE=0       leave the guest's table (and its qemu-img bench
#                       figures) out
#   BENCH_YARDSTICK=0   leave the yardstick out (its settings: see
#                       tools/bench-yardstick.sh)
#   BENCH_RINGS=0       leave the split/packed comparison out (its settings:
#                       see tools/bench-rings.sh)
#   QEMU, QEMU_IMG      the binaries
set -euo pipefail

BUILD=${1:-build}
ELF=$BUILD/bench.elf
WORK=$BUILD/bench
IMG=$WORK/scratch.img
TRANSPORT=mmio                  # the one being timed: mmio or pci
GUEST_LOG=$WORK/guest.log       # the first run's output (set per transport)
ROWS=$WORK/guest.rows            # the table the comparisons use (same)
SERIAL=vblk-bench-scratch   # bench/bench.c's BENCH_SERIAL

QEMU=${QEMU:-qemu-system-aarch64}
QEMU_IMG=${QEMU_IMG:-qemu-img}
DISK_MIB=${BENCH_DISK_MIB:-256}
ROW_MS=${BENCH_ROW_MS:-500}
RUNS=${BENCH_RUNS:-1}
if [ "$RUNS" = 1 ]; then
	BACKEND_RUNS=${BENCH_BACKEND_RUNS:-3}
else
	BACKEND_RUNS=${BENCH_BACKEND_RUNS:-1}
fi
TIMEOUT_S=${BENCH_TIMEOUT_S:-180}
TRANSPORTS=${BENCH_TRANSPORTS:-mmio pci pci-packed}

die() {
	echo "bench: $*" >&2
	exit 1
}

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

check_settings() {
	[ -f "$ELF" ] || die "no $ELF (build it with make bench)"
	if ! is_count "$DISK_MIB" || [ "$DISK_MIB" -lt 16 ]; then
		die "BENCH_DISK_MIB must be a whole number of MiB, at least 16"
	fi
	is_count "$ROW_MS" || die "BENCH_ROW_MS must be a positive whole number"
	is_count "$RUNS" || die "BENCH_RUNS must be a positive whole number"
	is_count "$BACKEND_RUNS" || die "BENCH_BACKEND_RUNS must be a positive whole number"
	is_count "$TIMEOUT_S" || die "BENCH_TIMEOUT_S must be a positive whole number"
	local transport
	for transport in $TRANSPORTS; do
		case $transport in
		mmio | pci | pci-packed) ;;
		*) die "BENCH_TRANSPORTS: mmio, pci and/or pci-packed, not '$transport'" ;;
		esac
	done
	[ "${BENCH_YARDSTICK:-1}" = 0 ] || yardstick_check_settings
	[ "${BENCH_RINGS:-1}" = 0 ] || rings_check_settings
}

cleanup() {
	stop_load   # tools/bench-yardstick.sh: the loaded boots' processes
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$IMG"
}

print_header() {
	local cpu
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	echo "vblk bench, $(date '+%Y-%m-%d %H:%M:%S %Z')"
	echo "host: $(uname -m), $(nproc) CPU(s)${cpu:+, $cpu}"
	echo "qemu: $("$QEMU" --version | head -n1)"
	echo "disk: $DISK_MIB MiB raw scratch image ($IMG), cache=writeback, random content"
	echo
}

make_scratch_image() {
	mkdir -p "$WORK"
	rm -f "$IMG"
	# Random bytes, not a sparse file: reads must hit allocated data.
	dd if=/dev/urandom of="$IMG" bs=1M count="$DISK_MIB" status=none ||
		die "cannot write $IMG"
}

# The QEMU device the scratch disk is, on $TRANSPORT.
disk_device() {
	local device=virtio-blk-device
	local ring=""
	[ "$TRANSPORT" != mmio ] && device=virtio-blk-pci
	[ "$TRANSPORT" = pci-packed ] && ring=,packed=on
	echo "$device,drive=d0,serial=$SERIAL$ring${BENCH_DEVICE_OPTS:+,$BENCH_DEVICE_OPTS}"
}

# One boot of the guest on $TRANSPORT, its output into LOG; with SHOW,
# also shown as it comes. ARGs go to the guest's command line.
run_guest() {  # run_guest LOG SHOW [ARG...]
	local log=$1 show=$2 status semihosting="enable=on,target=native,arg=vblk-bench"
	shift 2
	semihosting+=",arg=row_ms=$ROW_MS"
	[ $# -eq 0 ] || semihosting+=$(printf ',arg=%s' "$@")
	# shellcheck disable=SC2206  # BENCH_QEMU_EXTRA is a list of words
	local qemu_args=(
		-machine virt -cpu cortex-a53 -m 512M -nographic
		-semihosting-config "$semihosting"
		-kernel "$ELF"
		-drive "if=none,id=d0,format=raw,cache=writeback,file=$IMG"
		-device "$(disk_device)" ${BENCH_QEMU_EXTRA:-}
	)
	if [ "$show" = show ]; then
		echo "== guest: times itself with the generic timer inside QEMU"
		echo "\$ $QEMU ${qemu_args[*]}"
	fi
	set +e
	# --foreground: QEMU stays in this script's process group, so a Ctrl-C
	# or a `timeout make bench` stops it too (without it, timeout puts QEMU
	# in a group of its own and it runs on, orphaned, to its end).
	timeout --foreground --kill-after=5 "$TIMEOUT_S" "$QEMU" "${qemu_args[@]}" </dev/null 2>&1 |
		tr -d '\r' | if [ "$show" = show ]; then tee "$log"; else cat >"$log"; fi
	status=${PIPESTATUS[0]}
	set -e
	case $status in
	0) ;;
	124 | 137) die "QEMU timed out after ${TIMEOUT_S}s (log: $log)" ;;
	*) die "the guest failed with exit status $status (log: $log)" ;;
	esac
}

# Table rows of a guest log: "test rw size depth api ops MiB/s IOPS ...".
table_rows() {  # table_rows LOG
	awk '$1 ~ /^(seq|rand)$/ && $2 ~ /^(read|write)$/' "$1"
}

# The table the comparisons use: the only run's, or the medians.
guest_rows() {
	cat "$ROWS"
}

# Every numeric figure of the logs' tables as its median over the runs,
# row by row, in the guest's own column layout (mawk: no asort).
median_rows() {  # median_rows LOG...
	local log
	for log in "$@"; do table_rows "$log" | awk '{ print NR, $0 }'; done |
		awk '
		# The middle one of texts[1..n] by numeric value, as printed
		# (the lower of the two middle ones for an even n).
		function median(texts, n,    i, j, t) {
			for (i = 2; i <= n; i++) {
				t = texts[i]
				for (j = i - 1; j >= 1 && texts[j] + 0 > t + 0; j--) texts[j + 1] = texts[j]
				texts[j + 1] = t
			}
			return texts[int((n + 1) / 2)]
		}
		{
			row = $1; if (row > rows) rows = row
			seen[row]++
			for (c = 2; c <= NF; c++) { cell[row, seen[row], c - 1] = $c }
			width[row] = NF - 1
		}
		END {
			for (row = 1; row <= rows; row++) {
				for (c = 1; c <= width[row]; c++) {
					n = 0; numeric = 1
					for (r = 1; r <= seen[row]; r++) {
						texts[++n] = cell[row, r, c]
						if (texts[n] !~ /^[0-9.]+$/) numeric = 0
					}
					out[c] = (c > 5 && numeric) ? median(texts, n) : cell[row, 1, c]
				}
				printf "%-5s %-5s %5s %5s %-12s %7s %8s %7s %7s %7s %6s %6s %6s %6s %6s %6s %5s\n",
					out[1], out[2], out[3], out[4], out[5], out[6], out[7], out[8], out[9],
					out[10], out[11], out[12], out[13], out[14], out[15], out[16], out[17]
			}
		}'
}

# All the guest runs, each followed by the backend's figures for its rows;
# sets up $ROWS and GUEST_LOGS.
GUEST_LOGS=()
run_guests() {
	local run
	GUEST_LOGS=("$GUEST_LOG")
	run_guest "$GUEST_LOG" show
	measure_backend 1 "$GUEST_LOG"
	for run in $(seq 2 "$RUNS"); do
		echo "== guest run $run of $RUNS (and the backend after it)"
		GUEST_LOGS+=("$WORK/guest.$TRANSPORT.$run.log")
		run_guest "$WORK/guest.$TRANSPORT.$run.log" quiet
		measure_backend "$run" "$WORK/guest.$TRANSPORT.$run.log"
	done
	echo
	if [ "$RUNS" -gt 1 ]; then
		echo "== guest: median of $RUNS runs, figure by figure"
		grep -m1 '^test ' "$GUEST_LOG"
		median_rows "${GUEST_LOGS[@]}" | tee "$ROWS"
		echo
	else
		table_rows "$GUEST_LOG" >"$ROWS"
	fi
}

# What merging buys: the plugged stream of adjacent 4 KiB bios against
# 1 MiB requests (the same bytes per request), driven as LARGE_API says:
# bio-irq-1M (interrupts, three batches in flight, as the plugged row) or
# sync-poll (one synchronous polled request at a time), from the table the
# comparisons use, and from each run on its own when there were several.
merged_vs_large() {  # merged_vs_large RW LARGE_API < table rows: "plugged large ratio"
	awk -v rw="$1" -v api="$2" '
		$2 == rw && $1 == "seq" && $3 == "1M" && $5 == api { large = $7 }
		$2 == rw && $5 == "bio-irq-plug" { plugged = $7 }
		END { if (large > 0 && plugged > 0) printf "%.1f %.1f %.2f\n", plugged, large, plugged / large }'
}

compare_merged_with_large() {
	local rw api plugged large ratio log per_run
	echo "== merging: plugged adjacent 4 KiB bios (1 MiB batches, three in flight, interrupts)"
	echo "   vs sequential 1 MiB requests, guest MiB/s from the table above: like with like"
	echo "   (bio-irq-1M: 1 MiB bios, three in flight, interrupts), and against one"
	echo "   synchronous polled 1 MiB request at a time (sync-poll, the earlier comparison)"
	for api in bio-irq-1M sync-poll; do
		for rw in read write; do
			read -r plugged large ratio < <(guest_rows | merged_vs_large "$rw" "$api") ||
				continue
			per_run=""
			if [ "${#GUEST_LOGS[@]}" -gt 1 ]; then
				for log in "${GUEST_LOGS[@]}"; do
					per_run+=" $(table_rows "$log" | merged_vs_large "$rw" "$api" |
						awk '{ print $3 }')"
				done
				per_run="   (runs:$per_run)"
			fi
			printf '%-5s vs %-10s %9s vs %9s MiB/s = %s%s\n' "$rw" "$api" "$plugged" \
				"$large" "$ratio" "$per_run"
		done
	done
}

# The guest's table on one transport, and its comparisons.
bench_transport() {  # bench_transport mmio|pci|pci-packed
	TRANSPORT=$1
	GUEST_LOG=$WORK/guest.$TRANSPORT.log
	ROWS=$WORK/guest.$TRANSPORT.rows
	backend=()
	case $TRANSPORT in
	mmio) echo "=== the disk on virtio-mmio" ;;
	pci) echo "=== the disk on virtio-pci" ;;
	pci-packed) echo "=== the disk on virtio-pci, packed ring (packed=on)" ;;
	esac
	run_guests
	[ -s "$ROWS" ] || die "no table rows in the guest's output ($GUEST_LOG)"
	compare_with_backend
	echo
	compare_merged_with_large
	echo
}

main() {
	local start_s=$SECONDS transport
	check_settings
	trap cleanup EXIT
	print_header
	make_scratch_image
	if [ "${BENCH_TABLE:-1}" != 0 ]; then
		for transport in $TRANSPORTS; do
			bench_transport "$transport"
		done
	fi
	[ "${BENCH_YARDSTICK:-1}" = 0 ] || yardstick_main
	[ "${BENCH_RINGS:-1}" = 0 ] || rings_main
	echo "bench: done in $((SECONDS - start_s)) s"
}

# shellcheck source=tools/bench-backend.sh
. "$(dirname "$0")/bench-backend.sh"
# shellcheck source=tools/bench-yardstick.sh
. "$(dirname "$0")/bench-yardstick.sh"
# shellcheck source=tools/bench-rings.sh
. "$(dirname "$0")/bench-rings.sh"

main
