#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/ring-cost.sh [BUILD]: the split and the packed ring's instructions
# per request, and the whole driver's per bio and per synchronous vblk_read.
#
# Builds bench/ring_cost.c for the host with the image's optimisation
# (-O2) and runs it under callgrind, counting only inside vq_add_framed,
# vq_publish and vq_harvest (and what they call). Prints one line:
#   ring layer: N instructions per request (add + publish + harvest, ...)
# Needs valgrind (make bench installs it on demand).
set -euo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$BUILD/host/ring_cost
OUT=$BUILD/host/ring_cost.callgrind
REQUESTS=100000   # bench/ring_cost.c's REQUESTS

mkdir -p "$BUILD/host"
"${HOST_CC:-cc}" -std=c11 -O2 -g -Wall -Wextra -Werror -DVBLK_HOST -I"$ROOT/include" -I"$ROOT" \
	-o "$BIN" "$ROOT/bench/ring_cost.c" "$ROOT/vring/split.c" "$ROOT/vring/split_indirect.c" "$ROOT/vring/split_frame.c"

valgrind --tool=callgrind --callgrind-out-file="$OUT" \
	--toggle-collect=vq_add_framed --toggle-collect=vq_publish --toggle-collect=vq_harvest \
	"$BIN" >/dev/null 2>"$OUT.log" || {
	cat "$OUT.log" >&2
	exit 1
}
total=$(awk '/^totals:/ { print $2 }' "$OUT")
[ -n "$total" ] || { echo "ring-cost: no totals in $OUT" >&2; exit 1; }
echo "ring layer: $((total / REQUESTS)) instructions per request" \
	"(vq_add_framed + vq_publish + vq_harvest, 3-descriptor chain, host x86-64 -O2, callgrind)"

# The same run on the packed ring (bench/ring_cost_packed.c).
BIN_PACKED=$BUILD/host/ring_cost_packed
OUT_PACKED=$BUILD/host/ring_cost_packed.callgrind
"${HOST_CC:-cc}" -std=c11 -O2 -g -Wall -Wextra -Werror -DVBLK_HOST -I"$ROOT/include" -I"$ROOT" \
	-o "$BIN_PACKED" "$ROOT/bench/ring_cost_packed.c" "$ROOT/vring/packed.c" "$ROOT/vring/split.c" "$ROOT/vring/split_frame.c"
valgrind --tool=callgrind --callgrind-out-file="$OUT_PACKED" \
	--toggle-collect=vqp_add --toggle-collect=vqp_publish --toggle-collect=vqp_harvest \
	"$BIN_PACKED" >/dev/null 2>"$OUT_PACKED.log" || {
	cat "$OUT_PACKED.log" >&2
	exit 1
}
total=$(awk '/^totals:/ { print $2 }' "$OUT_PACKED")
[ -n "$total" ] || { echo "ring-cost: no totals in $OUT_PACKED" >&2; exit 1; }
echo "packed ring: $((total / REQUESTS)) instructions per request" \
	"(vqp_add + vqp_publish + vqp_harvest, the same chain)"

# The whole driver on the fake device: build bench/NAME.c with the
# library and the fake, run it under callgrind collecting inside the given
# API calls, and count only the driver's own files. Prints the total.
driver_cost() {  # driver_cost NAME[:ARG] API_FUNCTION...: ARG given to the program
	local name=${1%%:*} arg= toggles=() fn
	[[ $1 == *:* ]] && arg=${1#*:}
	local bin=$BUILD/host/$name out=$BUILD/host/${1/:/-}.callgrind
	shift
	for fn in "$@"; do
		toggles+=(--toggle-collect="$fn")
	done
	"${HOST_CC:-cc}" -std=c11 -O2 -g -Wall -Wextra -Werror -DVBLK_HOST -DVBLK_HOST_NO_CMOCKA -no-pie \
		-I"$ROOT/include" -I"$ROOT" -o "$bin" "$ROOT/bench/$name.c" \
		"$ROOT"/tests/host/host_platform.c "$ROOT"/tests/host/fake_virtio*.c "$ROOT"/tests/host/fake_pci*.c \
		"$ROOT"/fdt/*.c "$ROOT"/plat/*.c "$ROOT"/virtio/*.c "$ROOT"/pci/*.c "$ROOT"/vring/*.c "$ROOT"/blk/*.c
	valgrind --tool=callgrind --callgrind-out-file="$out" "${toggles[@]}" \
		"$bin" $arg >/dev/null 2>"$out.log" || {
		cat "$out.log" >&2
		exit 1
	}
	# --threshold=100: every function, however small (the default
	# threshold of 99 % left out about 26 instructions per vblk_read).
	callgrind_annotate --threshold=100 "$out" 2>/dev/null |
		awk '$0 ~ /\)  (blk|vring|virtio|plat)\// || $0 ~ /include\/vblk\// { gsub(",", "", $1); sum += $1 }
		     END { print int(sum) }'
}

BIOS=6400    # bench/bio_cost.c's BATCHES * BATCH_BIOS
driver=$(driver_cost bio_cost vblk_submit vblk_unplug vblk_wait_bios)
echo "whole driver: $((driver / BIOS)) instructions per bio" \
	"(64 plugged adjacent 4 KiB reads -> 1 request, submit + unplug + wait, fake device excluded)"

READS=10000  # bench/read_cost.c's READS
driver=$(driver_cost read_cost vblk_read)
echo "whole driver: $((driver / READS)) instructions per vblk_read" \
	"(4 KiB, synchronous, a device that completes at once, fake device excluded)"

driver=$(driver_cost read_cost:irq vblk_read)
echo "whole driver: $((driver / READS)) instructions per vblk_read with interrupts" \
	"(the same reads; each through the general wait and vblk_irq_handler)"

STREAM=32000 # bench/stream_cost.c's STREAM_BIOS
driver=$(driver_cost stream_cost vblk_irq_handler)
echo "whole driver: $((driver / STREAM)) instructions per bio" \
	"(depth 32, random 4 KiB reads resubmitted by their callbacks, interrupt-driven, fake device excluded)"
