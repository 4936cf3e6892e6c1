#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/lab-check.sh N ELF WORKDIR: check lab N (docs/labs/labN.md) on a
# real QEMU disk. Writes a pattern into a fresh disk image on the
# host (WORKDIR/disk.img, 64 KiB), boots ELF on QEMU virt with it as a modern
# virtio-mmio disk, and compares what the guest says it read (the
# "lab: sector S fnv1a H" lines of labs/lab.h) with the image, plus what
# the lab adds (an I/O error where the host made one, interrupts, one
# chain for two sectors). Prints the guest's console, then one verdict:
#   lab N: PASSED                       exit 0
#   lab N: NOT DONE: <the TODO>         exit 2 (the file as shipped)
#   lab N: FAILED: <why>                exit 1
# Environment: QEMU (qemu-system-aarch64), LAB_TIMEOUT_S (30),
# LAB_QEMU_EXTRA (more QEMU arguments, e.g. -trace 'virtqueue_*').
set -uo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 N ELF WORKDIR" >&2
	exit 2
fi
lab=$1 elf=$2 work=$3
QEMU=${QEMU:-qemu-system-aarch64}
mkdir -p "$work" || exit 1
img=$work/disk.img log=$work/console.log

verdict() { # verdict PASSED|NOT DONE|FAILED [why]
	echo "lab $lab: $1${2:+: $2}"
	case $1 in
	PASSED) exit 0 ;;
	"NOT DONE") exit 2 ;;
	*) exit 1 ;;
	esac
}
[ -f "$elf" ] || verdict FAILED "no $elf"

# The pattern: every byte of sector s is a function of s and its offset,
# so a sector read from the wrong place or half-read has another hash.
python3 - "$img" <<'PY' || verdict FAILED "cannot write $img"
import sys
base = bytes((i * 11 + (i >> 5)) & 0xff for i in range(512))
plus = lambda k: bytes((x + k) & 0xff for x in range(256))
sectors = [base.translate(plus(s * 37)) for s in range(128)]
open(sys.argv[1], "wb").write(b"".join(sectors))
PY

drive="if=none,id=d0,format=raw,file=$img"
if [ "$lab" = 2 ]; then
	# Sector 40 cannot be read: the guest must see the device's IOERR.
	printf '[inject-error]\nevent = "none"\niotype = "read"\nerrno = "5"\nsector = "40"\n' \
		>"$work/blkdebug.rules"
	drive="if=none,id=d0,format=raw,rerror=report,werror=report,file.driver=blkdebug"
	drive+=",file.config=$work/blkdebug.rules,file.image.filename=$img"
fi
throttle=()
if [ "$lab" = 3 ]; then
	# A slow disk (20 requests a second): a read that polls the used ring
	# then finds it empty many times; one that sleeps until the interrupt
	# looks once. (QEMU's disk is otherwise often done before the notify
	# returns, and polling and sleeping look the same.)
	# shellcheck disable=SC2054 # the commas are in one QEMU argument
	throttle=(-object throttle-group,id=slow,x-iops-total=20)
	drive="if=none,id=d0,driver=throttle,throttle-group=slow,file.driver=raw"
	drive+=",file.file.filename=$img"
fi

# --foreground: a Ctrl-C reaches QEMU too (tools/bench.sh, run_guest).
# shellcheck disable=SC2086 # LAB_QEMU_EXTRA is a list of arguments
timeout --foreground --kill-after=5 "${LAB_TIMEOUT_S:-30}" "$QEMU" -machine virt -cpu cortex-a53 -nographic \
	-semihosting-config enable=on,target=native -global virtio-mmio.force-legacy=false \
	-kernel "$elf" "${throttle[@]}" -drive "$drive" -device virtio-blk-device,drive=d0 \
	${LAB_QEMU_EXTRA:-} </dev/null >"$log" 2>&1
status=$?
tr -d '\r' <"$log"
console=$(tr -d '\r' <"$log")

todo=$(grep -m1 '^lab: not done: ' <<<"$console")
[ -z "$todo" ] || verdict "NOT DONE" "${todo#lab: not done: }"
# A case the guest's own checks judged wrong (lab 2) says why.
wrong=$(grep -m1 '^lab: .*: WRONG' <<<"$console")
[ -z "$wrong" ] || verdict FAILED "${wrong#lab: }"
# labs/lab.h fills the entries past the avail ring with 65535.
! grep -q "Guest says index 65535 is available" <<<"$console" ||
	verdict FAILED "the device read the avail ring past its LAB_QSIZE entries: was it told the queue's size (QueueNum)?"
case $status in
0) ;;
124 | 137) verdict FAILED "timed out after ${LAB_TIMEOUT_S:-30} s" ;;
*) verdict FAILED "the guest ended with status $status" ;;
esac
! grep -q "unexpected .* exception" <<<"$console" || verdict FAILED "the guest faulted"
grep -q "^lab$lab: done\$" <<<"$console" || verdict FAILED "no 'lab$lab: done' line"

# The hash the host sees for each sector the guest reported.
host_hash() {
	python3 - "$img" "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
s = int(sys.argv[2])
h = 2166136261
for b in data[s * 512:(s + 1) * 512]:
    h = ((h ^ b) * 16777619) & 0xffffffff
print("%08x" % h)
PY
}
check_sectors() { # check_sectors S...: each reported, with the host's hash
	local s got want
	for s; do
		got=$(grep -m1 "^lab: sector $s fnv1a " <<<"$console" | awk '{print $5}')
		[ -n "$got" ] || verdict FAILED "sector $s was not reported"
		want=$(host_hash "$s")
		[ "$got" = "$want" ] || verdict FAILED "sector $s: the guest read fnv1a $got, the disk holds $want"
	done
}

case $lab in
1) check_sectors $(seq 0 16) ;;
2)
	check_sectors 0 41
	grep -q "^lab: sector 40: I/O error$" <<<"$console" ||
		verdict FAILED "sector 40's I/O error was not reported as 'lab: sector 40: I/O error'"
	grep -q "^lab: checks: [0-9]* of [0-9]* cases right$" <<<"$console" ||
		verdict FAILED "no 'lab: checks:' line"
	line=$(grep -m1 "^lab: checks: " <<<"$console")
	read -r _ _ caught _ total _ <<<"$line"
	[ "$caught" = "$total" ] || verdict FAILED "$line"
	;;
3)
	check_sectors 1 2 3 4
	line=$(grep -m1 "^lab: 4 read(s), [0-9]* interrupt(s) taken$" <<<"$console") ||
		verdict FAILED "no 'lab: 4 read(s), N interrupt(s) taken' line"
	read -r _ _ _ irqs _ <<<"$line"
	[ "$irqs" -ge 4 ] || verdict FAILED "$irqs interrupt(s) for 4 reads: were they polled?"
	line=$(grep -m1 "^lab: [0-9]* look(s) at the used ring found nothing new$" <<<"$console") ||
		verdict FAILED "no 'lab: N look(s) at the used ring found nothing new' line"
	read -r _ looks _ <<<"$line"
	[ "$looks" = 0 ] ||
		verdict FAILED "read_sector polls: $looks look(s) at the used ring before the device had used the buffer; sleep until the interrupt, then harvest once"
	;;
4)
	check_sectors 8 9 20
	grep -q "^lab: sectors 8 and 9: 1 chain(s), used len 1025$" <<<"$console" ||
		verdict FAILED "sectors 8 and 9 were not read by one chain of 1025 writable bytes"
	grep -q "^lab: merge rule: [0-9]* of [0-9]* cases right$" <<<"$console" ||
		verdict FAILED "no 'lab: merge rule:' line"
	line=$(grep -m1 "^lab: merge rule: " <<<"$console")
	read -r _ _ _ right _ total _ <<<"$line"
	[ "$right" = "$total" ] || verdict FAILED "$line"
	;;
*) verdict FAILED "no lab $lab" ;;
esac
verdict PASSED
