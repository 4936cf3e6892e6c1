# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2153  # IMG, RUNS etc.: tools/bench.sh's
# tools/bench-backend.sh: QEMU's block layer alone beside the guest, the
# part of `make bench` that times `qemu-img bench` on the scratch image
# after each guest run and prints the guest's throughput as a ratio of it;
# sourced by tools/bench.sh (it uses that script's die, table_rows,
# guest_rows and settings: IMG, QEMU_IMG, RUNS, BACKEND_RUNS, GUEST_LOGS).
# Apart from tools/bench.sh because it measures another program on the
# host, not the guest, and only compares with the guest's table.

# qemu-img bench request counts: about 1 GiB per figure, within bounds that
# keep each run near a tenth of a second to half a second on the peers'
# machine (PEERS.md: 34 us per 4 KiB request at depth 1, 134 us per MiB).
BACKEND_BYTES=$((1024 * 1024 * 1024))
BACKEND_MIN_COUNT=1000
BACKEND_MAX_COUNT=8000

size_bytes() {  # 4K, 64K, 1M -> bytes
	case $1 in
	*K) echo $((${1%K} * 1024)) ;;
	*M) echo $((${1%M} * 1024 * 1024)) ;;
	*) die "unknown size '$1' in the guest's table" ;;
	esac
}

backend_count() {  # backend_count SIZE_BYTES
	local count=$((BACKEND_BYTES / $1))
	[ "$count" -ge "$BACKEND_MIN_COUNT" ] || count=$BACKEND_MIN_COUNT
	[ "$count" -le "$BACKEND_MAX_COUNT" ] || count=$BACKEND_MAX_COUNT
	echo "$count"
}

# One qemu-img bench run: prints its seconds. It is sequential from offset
# 0 with step = size (wrapping at the end of the image); there is no random
# mode, and on a warm page cache the offset pattern hardly matters.
backend_seconds() {  # backend_seconds RW SIZE_BYTES DEPTH COUNT
	local write_flag=() out
	[ "$1" = write ] && write_flag=(-w)
	out=$("$QEMU_IMG" bench -f raw -t writeback -i threads -c "$4" -d "$3" -s "$2" \
		-S "$2" "${write_flag[@]}" "$IMG" </dev/null 2>&1) || die "qemu-img bench failed: $out"
	echo "$out" | sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# backend["RUN RW SIZE DEPTH"] = "MiB/s us-per-request", from the
# qemu-img bench runs right after guest run RUN (rows share them).
declare -A backend
measure_backend() {  # measure_backend RUN LOG
	local rw size depth key bytes count seconds
	while read -r _ rw size depth _; do
		key="$1 $rw $size $depth"
		[ -z "${backend[$key]:-}" ] || continue
		bytes=$(size_bytes "$size")
		count=$(backend_count "$bytes")
		seconds=$(for _ in $(seq "$BACKEND_RUNS"); do
			backend_seconds "$rw" "$bytes" "$depth" "$count"
		done | median)
		[ -n "$seconds" ] || die "no time in qemu-img bench's output"
		backend[$key]=$(awk -v b="$bytes" -v c="$count" -v s="$seconds" \
			'BEGIN { printf "%.1f %.1f", b * c / s / 1048576, s * 1e6 / c }')
	done < <(table_rows "$2")
}

# For table row ROW (1-based) of RW SIZE DEPTH: sets backend_mibs and
# backend_us (medians over the runs), ratio (the median of the runs' own
# guest/backend ratios) and ratio_range ("min-max", with several runs).
row_ratios() {  # row_ratios ROW RW SIZE DEPTH
	local run guest_mibs mibs us figures=() ratios=()
	for run in $(seq "$RUNS"); do
		guest_mibs=$(table_rows "${GUEST_LOGS[run - 1]}" | awk -v r="$1" 'NR == r { print $7 }')
		read -r mibs us <<<"${backend[$run $2 $3 $4]}"
		figures+=("$mibs $us")
		ratios+=("$(awk -v g="$guest_mibs" -v b="$mibs" 'BEGIN { printf "%.2f", (b > 0 ? g / b : 0) }')")
	done
	backend_mibs=$(printf '%s\n' "${figures[@]}" | awk '{ print $1 }' | median)
	backend_us=$(printf '%s\n' "${figures[@]}" | awk '{ print $2 }' | median)
	ratio=$(printf '%s\n' "${ratios[@]}" | median)
	ratio_range=""
	[ "$RUNS" -gt 1 ] && ratio_range=$(printf '%s\n' "${ratios[@]}" | sort -g |
		awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }')
	return 0
}

# The second table: each guest row next to the backend doing the same
# direction, size and depth (a plugged batch of 256 bios is compared with
# 256 requests in flight: merging can take the guest above the backend).
compare_with_backend() {
	local test rw size depth api mibs row=0 backend_mibs backend_us ratio ratio_range
	echo "== backend: $QEMU_IMG bench -f raw -t writeback -i threads, same file," \
		"after each guest run (median of $BACKEND_RUNS there);"
	echo "   its offsets are sequential for every row (it has no random mode)"
	local runs_head1="" runs_head2=""
	[ "$RUNS" -eq 1 ] || { runs_head1="    runs'"; runs_head2="   ratios"; }
	printf '%-5s %-5s %5s %5s %-12s %9s | %9s %9s | %7s%s\n' test rw size depth api \
		"guest" "backend" "backend" "guest/" "$runs_head1"
	printf '%-5s %-5s %5s %5s %-12s %9s | %9s %9s | %7s%s\n' "" "" "" "" "" \
		"MiB/s" "MiB/s" "us/req" "backend" "$runs_head2"
	while read -r test rw size depth api _ mibs _; do
		row=$((row + 1))
		row_ratios "$row" "$rw" "$size" "$depth"
		printf '%-5s %-5s %5s %5s %-12s %9s | %9s %9s | %7s%s\n' "$test" "$rw" "$size" \
			"$depth" "$api" "$mibs" "$backend_mibs" "$backend_us" "$ratio" \
			"${ratio_range:+ $ratio_range}"
	done < <(guest_rows)
	echo "us/req: the backend's run time per request (at depth > 1, not a latency)"
	[ "$RUNS" -eq 1 ] || echo "guest/backend: the median of the runs' own ratios" \
		"(each run's guest against the backend timed right after it); runs' ratios: their range"
}
