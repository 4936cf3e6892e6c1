#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/footprint.sh BUILD_DIR: the driver's size, as `make size` prints it.
#
# The driver core is what drives a virtio-blk disk once it is found: the
# block layer (blk/), the rings (vring/) and the transport interface with
# virtio-mmio (virtio/virtio.c, virtio/mmio.c). Counted apart, because an
# application may leave them out or they are not the driver:
#   blk/strerror.c, blk/dump.c, vring/describe.c   the error names and the
#                    state dumps (text for people, not for the disk)
#   blk/pci_disks.c, virtio/pci.c, pci/   virtio-pci and the PCI enumerator
#                    (a firmware on virtio-mmio alone never links them)
#   virtio/dt.c, fdt/ the device-tree reader that finds the disks
#   part/            GUID partition tables, above the disk API
#   plat/            the platform's weak defaults
# Per object: .text (code), .rodata, .data and .bss, summed by group
# (`size -A`: every .text.* section of -ffunction-sections counts), then
# the static RAM one disk takes (the pool's slot, vblk_disk_bytes()), the
# pool, and everything else the library keeps in .bss.
set -euo pipefail

BUILD=${1:-build}
SIZE=${SIZE:-aarch64-linux-gnu-size}
NM=${NM:-aarch64-linux-gnu-nm}
OBJ=$BUILD/obj

# Objects of a folder: "folder/name" each, less the names given.
objects() { # objects FOLDER [EXCLUDED...]
	local dir=$1 o
	shift
	for o in "$OBJ/$dir"/*.o; do
		o=$dir/$(basename "$o" .o)
		case " $* " in *" $o "*) ;; *) echo "$o" ;; esac
	done
}
CORE="$(objects blk blk/strerror blk/dump blk/pci_disks) $(objects vring vring/describe)
      virtio/virtio virtio/mmio"
PCI="blk/pci_disks virtio/pci $(cd "$OBJ" && ls pci/*.o | sed 's/\.o$//')"
DT="virtio/dt $(cd "$OBJ" && ls fdt/*.o | sed 's/\.o$//')"
OTHER="blk/strerror blk/dump vring/describe $(cd "$OBJ" && ls part/*.o plat/*.o | sed 's/\.o$//')"

# sections OBJECT...: "text rodata data bss" summed over the objects.
sections() {
	for o in "$@"; do
		"$SIZE" -A "$OBJ/$o.o"
	done | awk '$1 ~ /^\.text/ { t += $2 } $1 ~ /^\.rodata/ { r += $2 }
		    $1 ~ /^\.data/ { d += $2 } $1 ~ /^\.bss/ { b += $2 }
		    END { printf "%d %d %d %d\n", t, r, d, b }'
}

row() { # row NAME OBJECTS...
	local name=$1
	shift
	read -r t r d b < <(sections "$@")
	printf '%-46s %8d %8d %6d %9d\n' "$name" "$t" "$r" "$d" "$b"
}

printf '%-46s %8s %8s %6s %9s\n' "aarch64 -O2, bytes" .text .rodata .data .bss
for o in $CORE; do
	row "  $o" "$o"
done
# shellcheck disable=SC2086
row "driver core" $CORE
# shellcheck disable=SC2086
row "driver core without the packed ring" $(echo $CORE | sed 's|vring/packed||')
# shellcheck disable=SC2086
row "virtio-pci and the PCI enumerator" $PCI
# shellcheck disable=SC2086
row "device-tree reader" $DT
# shellcheck disable=SC2086
row "error names, dumps, GPT, platform defaults" $OTHER

# The pool (`slots` in blk/table.c) and one disk's slot of it: the
# compiler says sizeof(struct vblk_disk) as the size of a symbol.
hex_size() { # hex_size OBJECT SYMBOL
	echo $((16#$("$NM" -S "$1" | awk -v sym="$2" '$4 == sym { print $2 }')))
}
pool=$(hex_size "$OBJ/blk/table.o" slots)
probe=$BUILD/footprint-probe
mkdir -p "$probe"
printf '#include "blk/disk.h"\nchar disk_bytes[sizeof(struct vblk_disk)];\n' >"$probe/probe.c"
# shellcheck disable=SC2086
${CC:-aarch64-linux-gnu-gcc} ${CFLAGS:-} -I. -c -o "$probe/probe.o" "$probe/probe.c"
disk=$(hex_size "$probe/probe.o" disk_bytes)
# shellcheck disable=SC2086
read -r _ _ _ lib_bss < <(sections $CORE $PCI $DT $OTHER)

echo
echo "static RAM (the library's .bss):"
printf '  one disk (vblk_disk_bytes())   %8d bytes\n' "$disk"
printf '  disk pool (VBLK_POOL_BYTES)    %8d bytes: %d disk(s)\n' "$pool" $((pool / disk))
printf '  the rest                       %8d bytes (probe report, PCI scan, DT scratch)\n' \
	$((lib_bss - pool))
