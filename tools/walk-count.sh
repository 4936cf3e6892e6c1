#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/walk-count.sh [BUILD]: the walk of one 4 KiB vblk_read, counted.
#
# Every function of the driver's source that one synchronous read passes
# through, from vblk_read to the used ring and back (docs/design.md, "One
# read, counted"). bench/read_cost.c is built for the host twice and run
# under callgrind, collecting only inside vblk_read, against the fake
# device (which completes a request when it is notified):
#   - at -O0 with no inlining, so each function of the source, inline
#     helpers in headers included, shows up under its own name and file;
#   - at -O2 as make bench builds it, for what is left after inlining.
# A function is on the walk if it ran at least one instruction inside
# vblk_read and lives in blk/, vring/, virtio/, plat/ or include/vblk/ (the
# fake device and the host platform's own files are not the driver's).
#
# The counting rule (docs/design.md, "One read, counted"): the platform
# primitives, plat/platform.h and include/vblk/platform.h (barriers, MMIO
# accessors, cache clean/invalidate, virt_to_phys, IRQ save/restore, the
# clock), are hardware access, as readl/writel and the barriers are in
# xv6's and U-Boot's drivers: they are listed apart and not counted.
# Every other function counts, inline helpers in headers included.
# Prints the functions by file, then the totals.
set -euo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$BUILD/host"

walk() {  # walk NAME CFLAGS...: build and list "file function" lines
	local bin=$BUILD/host/walk_$1 out=$BUILD/host/walk_$1.callgrind
	shift
	"${HOST_CC:-cc}" -std=c11 "$@" -g -DVBLK_HOST -DVBLK_HOST_NO_CMOCKA -no-pie \
		-I"$ROOT/include" -I"$ROOT" -o "$bin" "$ROOT/bench/read_cost.c" \
		"$ROOT"/tests/host/host_platform.c "$ROOT"/tests/host/fake_virtio*.c "$ROOT"/tests/host/fake_pci*.c \
		"$ROOT"/fdt/*.c "$ROOT"/plat/*.c "$ROOT"/virtio/*.c "$ROOT"/pci/*.c "$ROOT"/vring/*.c "$ROOT"/blk/*.c
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=vblk_read \
		"$bin" >/dev/null 2>"$out.log" || {
		cat "$out.log" >&2
		exit 1
	}
	# Lines "  Ir (pct)  path/file.c:function [binary]" (annotate's
	# inclusive call lines start with other text): keep the driver's
	# files, print "file function".
	callgrind_annotate --threshold=100 "$out" 2>/dev/null | grep -E '^ *[0-9,]+ \( *[0-9.]+%\)  ' |
		grep -oE '(^|/| )(blk|vring|virtio|plat|include/vblk)/[^/: ]+:[A-Za-z_0-9]+' |
		sed 's|^[/ ]||; s|:| |' |
		sort -u
}

PLATFORM='^(plat/platform\.h|include/vblk/platform\.h) '

by_file() {  # "file function" lines -> one line a file
	awk '{ fns[$1] = fns[$1] " " $2; n[$1]++ }
		END { for (f in n) printf "  %-26s %2d:%s\n", f, n[f], fns[f] }' | sort
}

report() {  # report TITLE < "file function" lines
	local title=$1 lines driver platform
	lines=$(cat)
	driver=$(echo "$lines" | grep -Ev "$PLATFORM" || true)
	platform=$(echo "$lines" | grep -E "$PLATFORM" || true)
	echo "$title"
	echo "$driver" | by_file
	local total sources csrc
	total=$(echo "$driver" | grep -c . || true)
	sources=$(echo "$driver" | awk '$1 ~ /\.c$/ { print $1 }' | sort -u | wc -l)
	csrc=$(echo "$driver" | awk '$1 ~ /\.c$/' | wc -l)
	echo "  total: $total functions; $csrc of them in $sources .c files," \
		"$((total - csrc)) inline in headers"
	if [ -n "$platform" ]; then
		echo "  platform primitives, not counted ($(echo "$platform" | wc -l)):"
		echo "$platform" | by_file
	fi
}

walk O0 -O0 -fno-inline | report "vblk_read, every function of the source (-O0 -fno-inline):"
# At -O2 a header's lines are reported under the function they were
# inlined into: only the .c files' functions are left as calls.
walk O2 -O2 | awk '$1 ~ /\.c$/' |
	report "vblk_read, after inlining (-O2, as make bench builds it; functions left as calls):"
