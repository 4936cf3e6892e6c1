#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/bench-peers.sh [BUILD]: what `make bench-peers` runs after building
# BUILD/bench.elf (bench/bench.c) and installing Debian's U-Boot
# (tools/deps.sh peers).
#
# On one scratch image (random bytes, BENCH_DISK_MIB, cache=writeback, the
# same QEMU machine as `make bench`), PEERS_RUNS times in turn:
#  - boots bench.elf with mode=peers: 4 KiB reads, then writes, one
#    synchronous call at a time at consecutive offsets, then 64 MiB reads in
#    one call each, then 4 KiB writes each followed by a FLUSH (what U-Boot's
#    write-through disk does), every row timed in the guest (generic timer);
#  - boots U-Boot for qemu_arm64 (tools/uboot_bench.py) and times the same
#    operations as `virtio read` / `virtio write` commands in hush loops,
#    on the host, with the console's share taken out (see that file);
# then prints both side by side, medians over the runs (shared/PEERS.md:
# medians of fresh QEMU runs, compare only figures from one run, as ratios).
#
# Environment:
#   BENCH_DISK_MIB   scratch image size (default 256, at least 64)
#   BENCH_ROW_MS     guest time per vblk row (default 500)
#   PEERS_RUNS       fresh QEMU runs of each side (default 3)
#   PEERS_OPS        4 KiB commands per U-Boot loop (default 1024, multiple of 512)
#   PEERS_REPS       timed loop pairs per U-Boot run (default 5)
#   BENCH_TIMEOUT_S  bound on each QEMU run (default 120)
#   BENCH_KEEP=1     keep the scratch image afterwards
#   QEMU, UBOOT_BIN  the emulator and U-Boot's u-boot.bin
set -euo pipefail

BUILD=${1:-build}
ELF=$BUILD/bench.elf
WORK=$BUILD/bench-peers     # not $BUILD/bench: `make bench` may run meanwhile
IMG=$WORK/scratch.img
SERIAL=vblk-bench-scratch   # bench/bench.c's BENCH_SERIAL

QEMU=${QEMU:-qemu-system-aarch64}
UBOOT_BIN=${UBOOT_BIN:-/usr/lib/u-boot/qemu_arm64/u-boot.bin}
DISK_MIB=${BENCH_DISK_MIB:-256}
ROW_MS=${BENCH_ROW_MS:-500}
RUNS=${PEERS_RUNS:-3}
OPS=${PEERS_OPS:-1024}
REPS=${PEERS_REPS:-5}
TIMEOUT_S=${BENCH_TIMEOUT_S:-120}
CPU=cortex-a53              # as tools/bench.sh
MEMORY=512M
HERE=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "bench-peers: $*" >&2
	exit 1
}

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

check_settings() {
	[ -f "$ELF" ] || die "no $ELF (build it with make bench-peers)"
	[ -f "$UBOOT_BIN" ] || die "no $UBOOT_BIN: install u-boot-qemu (tools/deps.sh peers)"
	command -v python3 >/dev/null || die "python3 is needed (tools/deps.sh peers)"
	if ! is_count "$DISK_MIB" || [ "$DISK_MIB" -lt 64 ]; then
		die "BENCH_DISK_MIB must be a whole number of MiB, at least 64"
	fi
	local name
	for name in ROW_MS RUNS OPS REPS TIMEOUT_S; do
		is_count "${!name}" || die "$name must be a positive whole number"
	done
}

cleanup() {
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$IMG"
}

print_header() {
	local cpu
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	echo "vblk bench-peers, $(date '+%Y-%m-%d %H:%M:%S %Z')"
	echo "host: $(uname -m), $(nproc) CPU(s)${cpu:+, $cpu}"
	echo "qemu: $("$QEMU" --version | head -n1); -machine virt -cpu $CPU -m $MEMORY"
	echo "disk: $DISK_MIB MiB raw scratch image ($IMG), cache=writeback, random content"
}

make_scratch_image() {
	mkdir -p "$WORK"
	rm -f "$IMG"
	dd if=/dev/urandom of="$IMG" bs=1M count="$DISK_MIB" status=none ||
		die "cannot write $IMG"
}

# vblk_run N: boot bench.elf in mode=peers; its log is $WORK/vblk.N.log.
vblk_run() {
	local log=$WORK/vblk.$1.log status
	set +e
	# --foreground: a Ctrl-C reaches QEMU too (tools/bench.sh, run_guest)
	timeout --foreground --kill-after=5 "$TIMEOUT_S" "$QEMU" -machine virt -cpu "$CPU" -m "$MEMORY" \
		-nographic \
		-semihosting-config "enable=on,target=native,arg=vblk-bench,arg=row_ms=$ROW_MS,arg=mode=peers" \
		-kernel "$ELF" \
		-drive "if=none,id=d0,format=raw,cache=writeback,file=$IMG" \
		-device "virtio-blk-device,drive=d0,serial=$SERIAL" </dev/null 2>&1 |
		tr -d '\r' >"$log"
	status=${PIPESTATUS[0]}
	set -e
	case $status in
	0) ;;
	124 | 137) die "vblk: QEMU timed out after ${TIMEOUT_S}s (log: $log)" ;;
	*) die "vblk: the guest failed with exit status $status (log: $log)" ;;
	esac
	# "vblk NAME VALUE" lines: per-op time and rate of each row.
	awk '
		$1 == "seq" && $5 == "sync-poll" {
			key = $2 $3; n++
			if (key == "read4K")   { print "vblk read4k_us", $9; print "vblk read4k_iops", $8 }
			if (key == "write4K")  { print "vblk write4k_us", $9; print "vblk write4k_iops", $8 }
			if (key == "read64M")  { print "vblk read64m_ms", $9 / 1000; print "vblk read64m_mibs", $7 }
		}
		$1 == "seq" && $5 == "sync-flush" && $2 $3 == "write4K" {
			n++; print "vblk write4kflush_us", $9; print "vblk write4kflush_iops", $8
		}
		END { if (n != 4) exit 1 }' "$log" >"$WORK/vblk.$1.fig" ||
		die "vblk: expected 4 rows in $log"
	echo "vblk run $1: $(awk '{ printf "%s=%s ", $2, $3 }' "$WORK/vblk.$1.fig")"
}

# uboot_run N: one fresh U-Boot run; "uboot NAME VALUE" lines in $WORK/uboot.N.fig.
uboot_run() {
	local log=$WORK/uboot.$1.log out
	: >"$log"
	out=$(timeout --foreground --kill-after=5 $((TIMEOUT_S + 30)) python3 "$HERE/uboot_bench.py" \
		--image "$IMG" --uboot "$UBOOT_BIN" --qemu "$QEMU" --cpu "$CPU" --memory "$MEMORY" \
		--serial "$SERIAL" --runs 1 --reps "$REPS" --ops "$OPS" \
		--run-timeout "$TIMEOUT_S" --log "$log") ||
		die "U-Boot run $1 failed (console log: $log)"
	echo "$out" | awk '$1 == "result" { print "uboot", $2, $3 }' >"$WORK/uboot.$1.fig"
	uboot_version=$(echo "$out" | sed -n 's/^version \(U-Boot [^ ]*\).*/\1/p')
	echo "U-Boot run $1: $(awk '{ printf "%s=%s ", $2, $3 }' "$WORK/uboot.$1.fig")"
}

# median_run SIDE KEY: the number of the run whose KEY is the median (the
# lower middle one for an even count), so that all of a row's figures
# come from one run.
median_run() {
	local f
	for f in "$WORK/$1".*.fig; do
		awk -v k="$2" -v run="$(basename "$f" .fig)" \
			'$2 == k { sub(/^[^.]*\./, "", run); print $3, run }' "$f"
	done | sort -g | awk '{ v[NR] = $2 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

val() { awk -v k="$3" '$2 == k { print $3 }' "$WORK/$1.$2.fig"; }  # val SIDE RUN KEY

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "-" }'; }

# spread SIDE KEY: largest over smallest value of KEY across the runs.
spread() {
	cat "$WORK/$1".*.fig | awk -v k="$2" '$2 == k {
		if (n++ == 0 || $3 < lo) lo = $3; if (n == 1 || $3 > hi) hi = $3 }
		END { if (lo > 0) printf "%.1fx", hi / lo; else print "n/a" }'
}

columns() {
	printf '%-26s | %10s %12s | %9s %8s %10s %12s | %7s %7s\n' "$@"
}

# row LABEL UNIT KEY [UBOOT_KEY]: one operation, from vblk's and U-Boot's
# median runs (U-Boot's figures under UBOOT_KEY, default KEY).
row() {
	local label=$1 unit=$2 key=$3 ukey=${4:-$3} vrun urun v_time v_rate rate_unit u_raw u_con
	local u_net u_rate
	vrun=$(median_run vblk "${key}_$unit")
	urun=$(median_run uboot "${ukey}_$unit")
	v_time=$(val vblk "$vrun" "${key}_$unit")
	u_raw=$(val uboot "$urun" "${ukey}_raw_$unit")
	u_con=$(val uboot "$urun" "${ukey}_console_$unit")
	u_net=$(val uboot "$urun" "${ukey}_$unit")
	if [ "$unit" = us ]; then
		rate_unit=IOPS
		v_rate=$(val vblk "$vrun" "${key}_iops")
		u_rate=$(awk -v t="$u_net" 'BEGIN { if (t > 0) printf "%.0f", 1e6 / t; else print "-" }')
	else
		rate_unit=MiB/s
		v_rate=$(val vblk "$vrun" "${key}_mibs")
		u_rate=$(awk -v t="$u_net" 'BEGIN { if (t > 0) printf "%.1f", 64e3 / t; else print "-" }')
	fi
	columns "$label" "$(printf '%.1f %s' "$v_time" "$unit")" "$v_rate $rate_unit" \
		"$(printf '%.1f' "$u_raw")" "$(printf '%.1f' "$u_con")" \
		"$(printf '%.1f %s' "$u_net" "$unit")" "$u_rate $rate_unit" \
		"$(ratio "$u_net" "$v_time")" "$(ratio "$u_raw" "$v_time")"
}

print_table() {
	echo
	echo "== vblk (bench.elf mode=peers) vs $uboot_version (virtio read/write), same QEMU,"
	echo "   same scratch image; each side's row from its median of $RUNS fresh QEMU runs"
	columns "" "vblk" "" "U-Boot" "" "" "" "vblk" "vblk"
	columns operation "per op" "rate" "per cmd" console "net/op" "net rate" "vs net" "vs cmd"
	row "4 KiB read, one at a time" us read4k
	row "4 KiB write (write-back)" us write4k
	row "4 KiB write + FLUSH each" us write4kflush write4k
	row "64 MiB read, one call" ms read64m
	cat <<EOF
vblk: vblk_read/vblk_write (synchronous, polled) at consecutive offsets, each row
  ${ROW_MS} ms of guest time; per op = mean latency by the guest's generic timer.
Writes: U-Boot negotiates no features, so QEMU runs its disk write-through (every
  write is followed by a flush on the host). vblk negotiates FLUSH, and its plain
  write row goes to QEMU's write-back cache: that row compares FLUSH negotiation,
  not drivers. "write + FLUSH each" is vblk doing the same work as U-Boot's
  write-through disk: vblk_write, then vblk_flush (a second request), per 4 KiB.
U-Boot: \`virtio read|write 40400000 BLK CNT\` in hush loops ($OPS x 4 KiB, or 64 MiB
  at 0/64/128/192 MiB), block cache off; timed on the host, newline to prompt;
  per cmd = a loop's time per command; console = the same loop with \`echo\` of
  the line each command prints; net/op = per cmd - console (the driver's share).
vblk vs net / vs cmd: U-Boot's time over vblk's (above 1: vblk is faster).
U-Boot boot to its autoboot prompt: $(val uboot "$(median_run uboot boot_s)" boot_s) s (median run).
EOF
	local key side s line="" noisy=0
	for key in read4k_us write4k_us write4kflush_us read64m_ms; do
		for side in vblk uboot; do
			[ "$side.$key" != uboot.write4kflush_us ] || continue
			s=$(spread "$side" "$key")
			line+=" $side ${key%_*} $s,"
			awk -v s="${s%x}" 'BEGIN { exit !(s == "n/a" || s + 0 > 1.5) }' && noisy=1
		done
	done
	echo "spread over the runs (largest/smallest):${line%,}"
	if [ "$noisy" = 1 ]; then
		echo "NOTE: some figures varied by more than 1.5x between runs (or U-Boot's console"
		echo "  baseline exceeded its I/O loop): the host is busy; compare with care or rerun."
	fi
}

main() {
	local start_s=$SECONDS i
	check_settings
	trap cleanup EXIT
	print_header
	make_scratch_image
	rm -f "$WORK"/vblk.*.fig "$WORK"/uboot.*.fig
	echo
	echo "== $RUNS runs of each, alternating (logs in $WORK)"
	for i in $(seq "$RUNS"); do
		vblk_run "$i"
		uboot_run "$i"
	done
	print_table
	echo
	echo "bench-peers: done in $((SECONDS - start_s)) s"
}

main
