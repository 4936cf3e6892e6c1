#!/usr/bin/env bash
# tools/ring-cost.sh [BUILD]: the split ring's instructions per request,
# and the whole driver's per bio.
#
# Builds bench/ring_cost.c for the host with the image's optimisation
# (-O2) and runs it under callgrind, counting only inside vq_add,
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
	-o "$BIN" "$ROOT/bench/ring_cost.c" "$ROOT/vring/split.c"

valgrind --tool=callgrind --callgrind-out-file="$OUT" \
	--toggle-collect=vq_add --toggle-collect=vq_publish --toggle-collect=vq_harvest \
	"$BIN" >/dev/null 2>"$OUT.log" || {
	cat "$OUT.log" >&2
	exit 1
}
total=$(awk '/^totals:/ { print $2 }' "$OUT")
[ -n "$total" ] || { echo "ring-cost: no totals in $OUT" >&2; exit 1; }
echo "ring layer: $((total / REQUESTS)) instructions per request" \
	"(vq_add + vq_publish + vq_harvest, 3-descriptor chain, host x86-64 -O2, callgrind)"

# The whole driver per bio: bench/bio_cost.c on the fake device, counting
# only the driver's own files inside the three API calls.
BIO_BIN=$BUILD/host/bio_cost
BIO_OUT=$BUILD/host/bio_cost.callgrind
BIOS=6400   # bench/bio_cost.c's BATCHES * BATCH_BIOS
"${HOST_CC:-cc}" -std=c11 -O2 -g -Wall -Wextra -Werror -DVBLK_HOST -DVBLK_HOST_NO_CMOCKA -no-pie \
	-I"$ROOT/include" -I"$ROOT" -o "$BIO_BIN" "$ROOT/bench/bio_cost.c" \
	"$ROOT"/tests/host/host_platform.c "$ROOT"/tests/host/fake_virtio*.c \
	"$ROOT"/fdt/*.c "$ROOT"/plat/*.c "$ROOT"/virtio/*.c "$ROOT"/vring/*.c "$ROOT"/blk/*.c
valgrind --tool=callgrind --callgrind-out-file="$BIO_OUT" \
	--toggle-collect=vblk_submit --toggle-collect=vblk_unplug --toggle-collect=vblk_wait_bios \
	"$BIO_BIN" >/dev/null 2>"$BIO_OUT.log" || {
	cat "$BIO_OUT.log" >&2
	exit 1
}
driver=$(callgrind_annotate "$BIO_OUT" 2>/dev/null |
	awk '$0 ~ /\)  (blk|vring|virtio|plat)\// || $0 ~ /include\/vblk\// { gsub(",", "", $1); sum += $1 }
	     END { print int(sum) }')
echo "whole driver: $((driver / BIOS)) instructions per bio" \
	"(64 plugged adjacent 4 KiB reads -> 1 request, submit + unplug + wait, fake device excluded)"
