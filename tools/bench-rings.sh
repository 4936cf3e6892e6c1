# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2153  # IMG, WORK etc.: tools/bench.sh's
# tools/bench-rings.sh: the split/packed part of `make bench`, sourced by
# tools/bench.sh (it uses that script's run_guest, die and settings).
#
# A QEMU device cannot switch its ring format, but two devices in one QEMU
# process can differ in it: one boot with two virtio-blk-pci disks, each
# on its own copy of the scratch image (same size, same content, same
# cache mode), one packed=off and one packed=on. bench/rings.c runs each
# row in rounds of A B B A (split, packed, packed, split), so the host's
# drift falls on both, and the table gives the rounds' packed/split
# throughput ratios, median and range. Two such boots: packed=on on the
# second device (the copy), then on the first (the original image).
# Environment:
#   BENCH_RINGS=0          leave this part out
#   BENCH_RINGS_ROUNDS     rounds per row (default 8)
#   BENCH_RINGS_TURN_MS    one turn in guest ms (default 100)

RINGS_ROUNDS=${BENCH_RINGS_ROUNDS:-8}
RINGS_TURN_MS=${BENCH_RINGS_TURN_MS:-100}

rings_table() {  # rings_table LOG
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
		sort_values(v, n)
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function range(list,    v, n) {
		n = split(list, v, " ")
		sort_values(v, n)
		return sprintf("%.2f-%.2f", v[1], v[n])
	}
	$1 == "ring" {
		key = $2 " " $3 " " $4 " " $5 " " $6
		if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
		s = $8 / $9; p = $10 / $11      # ops per us
		ratio[key] = ratio[key] " " p / s
		sus[key] = sus[key] " " $9 / $8; pus[key] = pus[key] " " $11 / $10
	}
	END {
		printf "%-4s %-5s %5s %5s %-10s | %9s %9s | %7s %-9s\n", "test", "rw", "size",
			"depth", "api", "split_us", "packed_us", "pk/spl", "range"
		for (r = 1; r <= rows; r++) {
			key = order[r]
			split(key, f, " ")
			kib = f[3] + 0; size = kib >= 1024 ? kib / 1024 "M" : kib "K"
			printf "%-4s %-5s %5s %5s %-10s | %9.1f %9.1f | %7.2f %-9s\n", f[1], f[2], size,
				f[4], f[5], median(sus[key]), median(pus[key]), median(ratio[key]),
				range(ratio[key])
		}
	}' "$1"
}

# One boot with the packed ring on the first or the second device ($1),
# so a difference that follows the ring is told from one that follows the
# PCI slot or the backing copy; its table follows.
rings_boot() {  # rings_boot first|second
	local img2=$WORK/scratch2.img log=$WORK/rings.$1.log
	local saved_transport=$TRANSPORT saved_row_ms=$ROW_MS saved_extra=${BENCH_QEMU_EXTRA:-}
	local saved_opts=${BENCH_DEVICE_OPTS:-} first_ring=packed=off second_ring=packed=on
	[ "$1" = second ] || { first_ring=packed=on; second_ring=packed=off; }
	cp "$IMG" "$img2" || die "cannot copy $IMG"
	echo "== split ring against packed ring: two virtio-blk-pci disks in one QEMU process," \
		"packed on the $1"
	TRANSPORT=pci
	ROW_MS=$RINGS_TURN_MS
	BENCH_DEVICE_OPTS="$first_ring${saved_opts:+,$saved_opts}"
	BENCH_QEMU_EXTRA="$saved_extra -drive if=none,id=d1,format=raw,cache=writeback,file=$img2"
	BENCH_QEMU_EXTRA+=" -device virtio-blk-pci,drive=d1,serial=$SERIAL,$second_ring"
	run_guest "$log" quiet mode=rings "rounds=$RINGS_ROUNDS"
	TRANSPORT=$saved_transport
	ROW_MS=$saved_row_ms
	BENCH_QEMU_EXTRA=$saved_extra
	BENCH_DEVICE_OPTS=$saved_opts
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$img2"
	grep -q '^ring ' "$log" || die "no ring rows in the guest's output ($log)"
	echo
	echo "=== split vs packed ring (virtio-pci, packed=off and packed=on side by side in one"
	local backing="the original image"
	[ "$1" = first ] || backing="the copy"
	echo "    QEMU process, packed=on on the $1 device, backed by $backing;"
	echo "    $RINGS_ROUNDS rounds of split, packed, packed, split; $RINGS_TURN_MS ms turns)"
	rings_table "$log"
	echo
}

# Checked by tools/bench.sh's check_settings, before anything runs.
rings_check_settings() {
	is_count "$RINGS_ROUNDS" || die "BENCH_RINGS_ROUNDS must be a positive whole number"
	is_count "$RINGS_TURN_MS" || die "BENCH_RINGS_TURN_MS must be a positive whole number"
}

rings_main() {
	rings_boot second
	rings_boot first
	echo "split_us, packed_us: guest time per op (medians of the rounds; at depth 32 not a latency);"
	echo "  pk/spl: the rounds' packed/split throughput ratios, median and range (> 1: packed"
	echo "  faster); a ratio that holds in both tables follows the ring, not the slot or the file"
	echo
}
