#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/mkbootdisk.sh [--order LIST] KERNEL INITRD OUT.img [CMDLINE]
#
# A GPT disk image for examples/bootloader: a partition labelled "kernel"
# holding KERNEL (an arm64 Image; a gzip-compressed one, as some
# distributions ship vmlinuz, is decompressed first), one labelled
# "initrd" holding INITRD, and, if CMDLINE is given, one labelled
# "cmdline" holding that text (NUL-terminated), which the bootloader uses
# instead of its built-in command line. Each partition is as large as its
# file, in 512-byte sectors; each starts on a 1 MiB boundary.
#
#   --order LIST   the partitions and their order in the table and on the
#                  disk, comma-separated (default kernel,initrd,cmdline);
#                  one left out is not created, e.g. --order initrd,kernel
#                  puts the kernel second. INITRD may be - with no initrd,
#                  KERNEL - with no kernel.
#
# Needs sfdisk (Debian package fdisk). Example:
#   tools/mkbootdisk.sh /boot/vmlinuz-6.1.0-57-arm64 initrd.cpio boot.img "console=ttyAMA0"
set -euo pipefail

usage() {
	echo "usage: $0 [--order kernel,initrd,cmdline] KERNEL INITRD OUT.img [CMDLINE]" >&2
	exit 2
}

order=kernel,initrd,cmdline
if [ "${1:-}" = --order ]; then
	[ $# -ge 2 ] || usage
	order=$2
	shift 2
fi
[ $# -eq 3 ] || [ $# -eq 4 ] || usage
kernel=$1 initrd=$2 out=$3
cmdline=${4-}
have_cmdline=$([ $# -eq 4 ] && echo 1 || echo 0)

PATH=$PATH:/usr/sbin:/sbin  # sfdisk, for a user whose PATH lacks them (Debian's)
command -v sfdisk >/dev/null || { echo "$0: sfdisk not found (apt-get install fdisk)" >&2; exit 1; }

SECTOR=512
ALIGN_SECTORS=2048                 # 1 MiB
LINUX_DATA=0FC63DAF-8483-4772-8E79-3D69D8477DE4

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The kernel as the bootloader needs it: a raw Image ("ARM\x64" at 56).
# KERNEL may be - when --order leaves the kernel out (a disk that must not boot).
if [ "$kernel" = - ]; then
	[[ ",$order," != *,kernel,* ]] || { echo "$0: KERNEL - with a kernel partition" >&2; exit 2; }
elif [ "$(head -c 2 "$kernel" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
	gzip -dc "$kernel" >"$tmp/kernel"
	kernel=$tmp/kernel
fi
if [ "$kernel" != - ] && [ "$(dd if="$kernel" bs=1 skip=56 count=4 status=none)" != $'ARM\x64' ]; then
	echo "$0: $kernel is not an arm64 Image (no ARM\\x64 magic at byte 56)" >&2
	exit 1
fi
if [ "$have_cmdline" = 1 ]; then
	printf '%s\0' "$cmdline" >"$tmp/cmdline"
fi

# The file behind each partition name.
file_for() {
	case $1 in
	kernel) echo "$kernel" ;;
	initrd) [ "$initrd" != - ] && echo "$initrd" ;;
	cmdline) [ "$have_cmdline" = 1 ] && echo "$tmp/cmdline" ;;
	*) echo "$0: unknown partition '$1' in --order" >&2; exit 2 ;;
	esac
}

sectors_of() { echo $(( ($(stat -c %s "$1") + SECTOR - 1) / SECTOR )); }

script="label: gpt"$'\n'
start=$ALIGN_SECTORS
declare -a names starts files
IFS=, read -r -a wanted <<<"$order"
for name in "${wanted[@]}"; do
	file=$(file_for "$name") || exit 2
	[ -n "$file" ] || continue
	size=$(sectors_of "$file")
	[ "$size" -gt 0 ] || { echo "$0: $file is empty" >&2; exit 1; }
	script+="start=$start, size=$size, type=$LINUX_DATA, name=\"$name\""$'\n'
	names+=("$name") starts+=("$start") files+=("$file")
	start=$(( (start + size + ALIGN_SECTORS - 1) / ALIGN_SECTORS * ALIGN_SECTORS ))
done
# Room after the last partition for the backup table (33 sectors).
total=$(( start + ALIGN_SECTORS ))

rm -f "$out"
truncate -s $(( total * SECTOR )) "$out"
sfdisk --quiet --no-reread --no-tell-kernel "$out" <<<"$script"
for i in "${!names[@]}"; do
	dd if="${files[$i]}" of="$out" bs=$SECTOR seek="${starts[$i]}" conv=notrunc status=none
	echo "$out: ${names[$i]} at sector ${starts[$i]}, $(stat -c %s "${files[$i]}") bytes"
done
