#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerate the test device trees in this directory.
#
#   tests/host/dtb/regen.sh          (needs qemu-system-aarch64 and dtc)
#
# qemu-*.dtb are real `-machine virt,dumpdtb=` dumps. QEMU writes a 1 MiB
# blob that is mostly free space; we keep it byte for byte up to the end of
# the strings block and patch totalsize to match, which is what libfdt's
# fdt_pack() would give. qemu-*.dts are dtc decompilations, for reading.
# The other *.dtb are compiled from the hand-written *.dts next to them.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

be32() { od -An -tu4 --endian=big -j"$2" -N4 "$1" | tr -d ' '; }

pack() {
	struct_end=$(( $(be32 "$1" 8) + $(be32 "$1" 36) ))
	strings_off=$(be32 "$1" 12)
	end=$(( strings_off + $(be32 "$1" 32) ))
	[ "$struct_end" -le "$strings_off" ] || { echo "unexpected layout in $1" >&2; exit 1; }
	{
		head -c 4 "$1"
		printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((end >> 24 & 255)) \
			$((end >> 16 & 255)) $((end >> 8 & 255)) $((end & 255)))"
		tail -c +9 "$1" | head -c $((end - 8))
	} > "$2"
}

dump() {
	name=$1; machine=$2; shift 2
	timeout 20 qemu-system-aarch64 -nographic -cpu cortex-a53 \
		-machine "virt,$machine,dumpdtb=$tmp/$name.dtb" "$@" 2>/dev/null
	pack "$tmp/$name.dtb" "$name.dtb"
	dtc -q -I dtb -O dts -o "$name.dts" "$name.dtb"
}

qemu-img create -q -f raw "$tmp/d0.img" 1M
qemu-img create -q -f raw "$tmp/d1.img" 1M

dump qemu-virt            gic-version=2
dump qemu-virt-gicv3      gic-version=3
dump qemu-virt-1g         gic-version=2 -m 1G
dump qemu-virt-secure     secure=on
dump qemu-virt-el2        virtualization=on
dump qemu-virt-2blk       gic-version=2 \
	-drive if=none,id=d0,file="$tmp/d0.img",format=raw -device virtio-blk-device,drive=d0 \
	-drive if=none,id=d1,file="$tmp/d1.img",format=raw -device virtio-blk-device,drive=d1

for src in *.dts; do
	case $src in qemu-*) continue ;; esac
	dtc -q -I dts -O dtb -o "${src%.dts}.dtb" "$src"
done

# The same board in the older version-16 layout (no size_dt_struct).
dtc -q -I dts -O dtb -V 16 -o board-cells1-v16.dtb board-cells1.dts
