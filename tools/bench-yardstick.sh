# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2153  # TRANSPORTS etc.: tools/bench.sh's
# tools/bench-yardstick.sh: the yardstick part of `make bench`, sourced by
# tools/bench.sh (it uses that script's run_guest, backend_seconds,
# backend_count, median, die and settings).
#
# vblk against the fastest guest possible (bench/minimal.c: a pre-built
# chain, per request the sector, avail.idx, the notify register and a
# wait on used.idx), on the same disk in the same QEMU process, taking
# turns A B B A for BENCH_YARD_ROUNDS rounds (bench/yardstick.c). For each
# transport in BENCH_TRANSPORTS, two boots:
#   quiet   every row: 4 KiB random and 1 MiB sequential reads and writes
#           at depth 1, each polled (against the spinning minimal guest)
#           and with interrupts (vblk's adaptive wait against the minimal
#           guest spinning and sleeping, the better one per round); and
#           4 KiB random reads at depth 32, vblk's interrupt-driven bios
#           against the minimal guest's 32 chains spinning and sleeping;
#   loaded  the same rows with BENCH_LOAD_PROCS CPU-bound
#           processes on the host beside QEMU (started and stopped here),
#           as on a CI machine or a laptop running other VMs.
# After each boot `qemu-img bench` times the backend alone on the same file
# (under the same load), for the guest/backend ratio beside vblk/minimal.
# Environment:
#   BENCH_YARD_ROUNDS   rounds per row (default 8)
#   BENCH_YARD_TURN_MS  one turn of A (B runs two) in guest ms (default 100)
#   BENCH_LOAD_PROCS    CPU-bound processes for the loaded boots (default 1;
#                       0 leaves the loaded boots out)
#   BENCH_YARD_ROWS     all (default: every row), d1 (the depth-1 4 KiB
#                       rows only) or d32 (the depth-32 row only)
#   BENCH_YARD_LOADED_ROWS  the same for the loaded boots (default:
#                       BENCH_YARD_ROWS)

YARD_ROUNDS=${BENCH_YARD_ROUNDS:-8}
YARD_TURN_MS=${BENCH_YARD_TURN_MS:-100}
LOAD_PROCS=${BENCH_LOAD_PROCS:-1}
YARD_ROWS=${BENCH_YARD_ROWS:-all}
YARD_LOADED_ROWS=${BENCH_YARD_LOADED_ROWS:-$YARD_ROWS}
LOAD_PIDS=()
YARD_RESULTS=$WORK/yardstick.results   # one line per row and round

# A busy loop per process, in a subshell of its own: nothing but CPU (kill
# -0 is a builtin: no fork). Each loop ends by itself once this script is
# gone, however it ended.
start_load() {
	local _
	for _ in $(seq "$LOAD_PROCS"); do
		(while kill -0 $$ 2>/dev/null; do :; done) &
		LOAD_PIDS+=("$!")
	done
}

# Also called from tools/bench.sh's cleanup, so a failed boot cannot leave
# the load running.
stop_load() {
	local pid
	for pid in "${LOAD_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	LOAD_PIDS=()
}

# The backend's MiB/s for RW of SIZE (4K, 1024K) at DEPTH.
yard_backend_mibs() {  # yard_backend_mibs RW SIZE DEPTH
	local bytes=$((${2%K} * 1024)) count seconds
	count=$(backend_count "$bytes")
	seconds=$(for _ in $(seq "$BACKEND_RUNS"); do
		backend_seconds "$1" "$bytes" "$3" "$count"
	done | median)
	[ -n "$seconds" ] || die "no time in qemu-img bench's output"
	awk -v b="$bytes" -v c="$count" -v s="$seconds" 'BEGIN { printf "%.1f", b * c / s / 1048576 }'
}

# One boot on $TRANSPORT, quiet or loaded; its rows go to YARD_RESULTS as
# "transport load pattern rw size depth wait round vops vus spin_ops
# spin_us sleep_ops sleep_us vblk_irqs deadline_ops deadline_us backend".
yardstick_boot() {  # yardstick_boot quiet|loaded
	local load=$1 log=$WORK/yardstick.$TRANSPORT.$1.log rw size depth
	local args=(mode=yardstick "rounds=$YARD_ROUNDS" "phase_ms=$YARD_TURN_MS") rows=$YARD_ROWS
	declare -A mibs=()
	echo "== yardstick: the disk on $TRANSPORT, host $load"
	[ "$load" = quiet ] || rows=$YARD_LOADED_ROWS
	[ "$rows" = all ] || args+=("rows=$rows")
	[ "$load" = quiet ] || start_load
	run_guest "$log" quiet "${args[@]}"
	while read -r rw size depth; do
		mibs[$rw $size $depth]=$(yard_backend_mibs "$rw" "$size" "$depth")
	done < <(awk '$1 == "yard" { print $3, $4, $5 }' "$log" | sort -u)
	stop_load
	awk '$1 == "yard"' "$log" | while read -r _ pattern rw size depth rest; do
		echo "$TRANSPORT $load $pattern $rw $size $depth $rest ${mibs[$rw $size $depth]}"
	done >>"$YARD_RESULTS"
}

# The table: per row, medians over the rounds of each side's time per
# request and the rounds' own throughput ratios, median and range: vblk
# over the spinning minimal guest, over the sleeping one (best rows), and
# over the better of the two in that round (vs_best: issue 18's waiting
# target); and vblk over qemu-img bench.
yardstick_table() {
	awk '
	function sort_values(v, n,    i, j, t) {
		for (i = 2; i <= n; i++) {
			t = v[i]
			for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
			v[j + 1] = t
		}
	}
	function median(list,    v, n) {
		n = split(list, v, " ")
		if (n == 0) return -1
		sort_values(v, n)
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function range(list,    v, n) {
		n = split(list, v, " ")
		if (n == 0) return "-"
		sort_values(v, n)
		return sprintf("%.2f-%.2f", v[1], v[n])
	}
	function fmt(x) { return x < 0 ? "-" : sprintf("%.2f", x) }
	function us(x) { return x < 0 ? "-" : sprintf("%.1f", x) }
	{
		key = $1 " " $2 " " $3 " " $4 " " $5 " " $6 " " $7
		if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
		v = $9 / $10; sp = $11 / $12     # requests per us
		vrate[key] = vrate[key] " " v
		vus[key] = vus[key] " " $10 / $9; spus[key] = spus[key] " " $12 / $11
		vs_spin[key] = vs_spin[key] " " v / sp
		best = sp
		if ($13 > 0) {
			sl = $13 / $14
			slus[key] = slus[key] " " $14 / $13
			vs_sleep[key] = vs_sleep[key] " " v / sl
			if (sl > best) best = sl
			vs_best[key] = vs_best[key] " " v / best
		}
		irqs[key] = irqs[key] " " $15 / $9
		if ($16 > 0) vs_dl[key] = vs_dl[key] " " v / ($16 / $17)
		backend[key] = $18
	}
	END {
		printf "%-4s %-6s %-4s %-5s %4s %2s %-4s | %7s %7s %7s | %5s %-9s | %5s %-9s | %5s %-9s | %6s %5s %5s\n",
			"disk", "host", "test", "rw", "size", "qd", "wait", "vblk_us", "spin_us", "sleep_us",
			"/spin", "range", "/sleep", "range", "/best", "range", "irq/op", "/dl", "/img"
		for (r = 1; r <= rows; r++) {
			key = order[r]
			split(key, f, " ")
			kib = f[5] + 0; size = kib >= 1024 ? kib / 1024 "M" : kib "K"
			img = backend[key] > 0 ? sprintf("%.2f", median(vrate[key]) * kib * 1024 * 1e6 / 1048576 / backend[key]) : "-"
			printf "%-4s %-6s %-4s %-5s %4s %2s %-4s | %7s %7s %7s | %5s %-9s | %5s %-9s | %5s %-9s | %6s %5s %5s\n",
				f[1], f[2], f[3], f[4], size, f[6], f[7], us(median(vus[key])),
				us(median(spus[key])), us(median(slus[key])),
				fmt(median(vs_spin[key])), range(vs_spin[key]),
				fmt(median(vs_sleep[key])), range(vs_sleep[key]),
				fmt(median(vs_best[key])), range(vs_best[key]),
				fmt(median(irqs[key])), fmt(median(vs_dl[key])), img
		}
	}' "$YARD_RESULTS"
}

# The yardstick's settings, checked by tools/bench.sh's check_settings
# before anything runs: a typo must not wait for the guest's tables.
yardstick_check_settings() {
	is_count "$YARD_ROUNDS" || die "BENCH_YARD_ROUNDS must be a positive whole number"
	is_count "$YARD_TURN_MS" || die "BENCH_YARD_TURN_MS must be a positive whole number"
	[[ $LOAD_PROCS =~ ^[0-9]+$ ]] || die "BENCH_LOAD_PROCS must be a whole number"
	[[ $YARD_ROWS =~ ^(all|d1|d32)$ ]] || die "BENCH_YARD_ROWS must be all, d1 or d32"
	[[ $YARD_LOADED_ROWS =~ ^(all|d1|d32)$ ]] ||
		die "BENCH_YARD_LOADED_ROWS must be all, d1 or d32"
}

yardstick_main() {
	local transport load loads=quiet
	[ "$LOAD_PROCS" = 0 ] || loads="quiet loaded"
	: >"$YARD_RESULTS"
	for transport in $TRANSPORTS; do
		TRANSPORT=$transport
		for load in $loads; do
			yardstick_boot "$load"
		done
	done
	echo
	echo "=== yardstick: vblk against a minimal guest (bench/minimal.c) on the same disk in"
	echo "    the same QEMU process, $YARD_ROUNDS rounds of A B B A ($YARD_TURN_MS ms turns);" \
		"loaded: $LOAD_PROCS CPU-bound process(es) beside QEMU"
	yardstick_table
	echo "wait: poll = vblk polled (no interrupts) against the minimal guest spinning on used.idx,"
	echo "  A B B A; best = vblk with interrupts (its adaptive wait, blk/spin_or_sleep.c) against the minimal"
	echo "  guest spinning, sleeping in wfi on the disk's interrupt, and sleeping with a deadline,"
	echo "  A B C D D C B A; at qd 32 (4 KiB random reads, 32 in flight) vblk's interrupt-driven bios"
	echo "  against the minimal guest's 32 chains spinning and sleeping, A B C C B A (no /dl)"
	echo "vblk_us, spin_us, sleep_us: guest time per request (medians of the rounds); /spin, /sleep:"
	echo "  the rounds' vblk/minimal throughput ratios, median and range; /best: over the faster"
	echo "  minimal wait of the same round (target: >= 0.95); irq/op: vblk's interrupts per call"
	echo "  (its waits' share of sleeping; 0 when polled); /dl: vblk over the minimal guest sleeping"
	echo "  through plat_idle with a deadline, as vblk's sleeps do (not part of /best);"
	echo "  /img: vblk over qemu-img bench at"
	echo "  the row's depth, timed after the boot. Only ratios inside one boot mean much on a shared host"
	echo
}
