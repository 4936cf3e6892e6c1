#!/usr/bin/env bash
# tests/qemu/run.sh BUILD_DIR [CONFIG...]: the QEMU test layer.
#
# Each configuration prepares disk images on the host (qemu-img, diskpat),
# boots BUILD_DIR/vblk-test.elf (or .bin) in qemu-system-aarch64 with the
# guest test case chosen by semihosting arguments, checks the exit status
# and the guest's "RESULT <test> PASS" line, and then checks the images on
# the host: the written pattern is there (diskpat verify) and nothing else
# changed (diskpat check-unchanged against a copy made before the boot).
#
# Prints "PASS qemu/<name>" or "FAIL qemu/<name>: reason (log: path)" per
# configuration and ends with "N passed, N failed"; exit status 0 only if
# all passed. Name configurations to run only those (default: all).
#
# Environment: QEMU_TIMEOUT_S (per boot, default 60), QEMU_JOBS (parallel
# boots, default 2), QEMU (default qemu-system-aarch64), HOST_CC.
set -uo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR [CONFIG...]" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

QEMU=${QEMU:-qemu-system-aarch64}
QEMU_TIMEOUT_S=${QEMU_TIMEOUT_S:-60}
QEMU_JOBS=${QEMU_JOBS:-2}
ELF=$BUILD/vblk-test.elf
BIN=$BUILD/vblk-test.bin
DISKPAT=$BUILD/tools/diskpat
WORK=$BUILD/qemu-tests

SECTOR_BYTES=512
MIB=$((1024 * 1024))
DISK_BYTES=$((16 * MIB))                 # the default scratch disk
DISK_SECTORS=$((DISK_BYTES / SECTOR_BYTES))
ODD_DISK_BYTES=$((5 * MIB + 3 * SECTOR_BYTES)) # not a multiple of 1 MiB
BACKGROUND_SEED=1000                     # what "untouched" sectors hold
FIRST_SLOT_BASE=0x0a003e00               # the first -device's virtio-mmio slot
FIRST_SLOT_INTID=79                      # its GIC INTID (SPI 47)

# ---- host tool --------------------------------------------------------

# diskpat is normally built by make; build it here if the script runs alone.
ensure_diskpat() {
	if [ "$DISKPAT" -nt "$ROOT/tools/diskpat.c" ] &&
		[ "$DISKPAT" -nt "$ROOT/tools/pattern.h" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$DISKPAT")"
	"${HOST_CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT" \
		-o "$DISKPAT" "$ROOT/tools/diskpat.c"
}

# ---- helpers used inside a configuration (each runs in its own subshell) --
# A configuration sets these, then calls boot:
#   machine    -machine value           kernel   the image to boot
#   memory     -m value                 qemu_args extra QEMU arguments (drives)
#   guest_args semihosting args (key=value) for tests/qemu/guest_tests.c
#   device_opts extra virtio-blk-device properties for write_cfg/verify_cfg

cfg=""      # name of the running configuration
dir=""      # its scratch directory
log=""      # its console log

result() {  # result PASS|FAIL [reason]: record, print, end the configuration
	local line
	if [ "$1" = PASS ]; then
		line="PASS qemu/$cfg"
	else
		line="FAIL qemu/$cfg: $2 (log: $log)"
	fi
	echo "$line" >"$dir/result"
	echo "$line"
	[ "$1" = PASS ] && rm -f "$dir"/*.img "$dir"/*.ref # keep evidence of failures only
	exit 0
}

fail() { result FAIL "$1"; }

skip() {  # skip REASON: this machine cannot run the configuration
	local line="SKIP qemu/$cfg: $1"
	echo "$line" >"$dir/result"
	echo "$line"
	exit 0
}

# disk NAME BYTES [SEED]: a raw image, filled with pattern SEED (default: the
# background pattern), and NAME.ref, a copy to compare with afterwards.
disk() {
	local img="$dir/$1.img"
	qemu-img create -q -f raw "$img" "$2" >>"$log" 2>&1 ||
		fail "qemu-img create $1 failed"
	"$DISKPAT" fill "$img" "${3:-$BACKGROUND_SEED}" >>"$log" 2>&1 ||
		fail "diskpat fill $1 failed"
	cp "$img" "$dir/$1.ref" || fail "cannot copy $1"
}

# drive NAME [DRIVE_OPTS [DEVICE_OPTS]]: attach disk NAME as a virtio-blk-device.
drive() {
	qemu_args+=(-drive "if=none,id=$1,format=raw,file=$dir/$1.img${2:+,$2}"
		-device "virtio-blk-device,drive=$1${3:+,$3}")
}

# run_image KERNEL SEMIHOSTING_CONFIG: boot KERNEL with the configuration's
# machine, memory and drives, under the timeout, into the log; sets the
# caller's `status` to QEMU's exit status.
run_image() {
	{
		echo "\$ timeout $QEMU_TIMEOUT_S $QEMU -machine $machine -cpu cortex-a53" \
			"-m $memory -nographic -semihosting-config $2" \
			"-kernel $1 ${qemu_args[*]}"
		echo "----"
	} >>"$log"
	timeout --kill-after=5 "$QEMU_TIMEOUT_S" "$QEMU" \
		-machine "$machine" -cpu cortex-a53 -m "$memory" -nographic \
		-semihosting-config "$2" \
		-d guest_errors,unimp -D "$dir/qemu-d.log" \
		-kernel "$1" "${qemu_args[@]}" </dev/null >>"$log" 2>&1
	status=$?
	echo "---- exit status $status" >>"$log"
}

boot() {
	local semihosting="enable=on,target=native,arg=vblk-test" arg status test_name
	for arg in "${guest_args[@]}"; do
		semihosting+=",arg=$arg"
	done
	test_name=${guest_args[0]#test=}
	[ -f "$kernel" ] || fail "no $kernel (build it with make)"

	run_image "$kernel" "$semihosting"

	case $status in
	0) ;;
	124 | 137) fail "timed out after ${QEMU_TIMEOUT_S}s" ;;
	*)
		local why
		why=$(tr -d '\r' <"$log" | grep -m1 "^RESULT $test_name FAIL" | cut -d' ' -f3-)
		fail "exit status $status${why:+, $why}"
		;;
	esac
	tr -d '\r' <"$log" | grep -q "^RESULT $test_name PASS\$" ||
		fail "exit status 0 but no 'RESULT $test_name PASS' line"
	# QEMU's own complaints about the guest (-d guest_errors,unimp: "bad
	# register offset", an unimplemented device register; on stderr: "zero
	# sized buffers are not allowed") are failures even when the guest passed.
	# A configuration that provokes one on purpose names it in
	# expected_complaint: it must then appear, and is no failure.
	local complaint
	complaint=$({
		cat "$dir/qemu-d.log"
		tr -d '\r' <"$log" | grep -i '^[^ ]*qemu[^ ]*: .*virtio'
	} 2>/dev/null | { if [ -n "${expected_complaint:-}" ]; then
		grep -v -e "$expected_complaint"; else cat; fi; } | head -n1)
	[ -z "$complaint" ] || fail "QEMU complained: $complaint"
	[ -z "${expected_complaint:-}" ] || tr -d '\r' <"$log" | grep -q -e "$expected_complaint" ||
		fail "QEMU never said '$expected_complaint'"
}

# The host-side checks.
expect_pattern() {  # expect_pattern NAME SEED START COUNT
	local out
	out=$("$DISKPAT" verify "$dir/$1.img" "$2" "$3" "$4" 2>&1) ||
		fail "host check of $1: $(echo "$out" | tr '\n' ' ')"
}

expect_unchanged() {  # expect_unchanged NAME [START COUNT]: outside START+COUNT
	local out
	out=$("$DISKPAT" check-unchanged "$dir/$1.img" "$dir/$1.ref" "${@:2}" 2>&1) ||
		fail "host check of $1: $(echo "$out" | tr '\n' ' ')"
}

# ---- configurations -----------------------------------------------------
# Each cfg_NAME prepares disks, boots once, checks, and calls `result PASS`.

LEGACY=()
MODERN=(-global virtio-mmio.force-legacy=false)

# write_cfg SEED START COUNT EXTRA_GUEST_ARGS...: the guest writes the pattern
# over the range of a 16 MiB disk; the host finds it there and nothing else.
write_cfg() {
	local seed=$1 start=$2 count=$3
	shift 3
	disk d0 "$DISK_BYTES"
	drive d0 "" "$device_opts"
	guest_args=(test=write_pattern "seed=$seed" "start=$start" "count=$count" disks=1 "$@")
	boot
	expect_pattern d0 "$seed" "$start" "$count"
	expect_unchanged d0 "$start" "$count"
	result PASS
}

# verify_cfg SEED START COUNT EXTRA_GUEST_ARGS...: the host fills the disk,
# the guest reads it back and compares; reading changes nothing.
verify_cfg() {
	local seed=$1 start=$2 count=$3
	shift 3
	disk d0 "$DISK_BYTES" "$seed"
	drive d0 "" "$device_opts"
	guest_args=(test=verify_pattern "seed=$seed" "start=$start" "count=$count" disks=1 "$@")
	boot
	expect_unchanged d0
	result PASS
}

cfg_legacy_probe() {
	disk d0 "$DISK_BYTES"
	drive d0
	guest_args=(test=probe disks=1 mmio=1 el=1 "capacity=$DISK_SECTORS" ro=0)
	boot
	expect_unchanged d0
	result PASS
}

cfg_modern_probe() {
	qemu_args+=("${MODERN[@]}")
	disk d0 "$DISK_BYTES"
	drive d0
	guest_args=(test=probe disks=1 mmio=2 el=1 "capacity=$DISK_SECTORS" ro=0)
	boot
	expect_unchanged d0
	result PASS
}

cfg_legacy_write() { qemu_args+=("${LEGACY[@]}"); write_cfg 7 1001 20000 mmio=1; }
cfg_modern_write() { qemu_args+=("${MODERN[@]}"); write_cfg 8 1001 20000 mmio=2; }
cfg_legacy_verify() { qemu_args+=("${LEGACY[@]}"); verify_cfg 42 3 20000 mmio=1; }
cfg_modern_verify() { qemu_args+=("${MODERN[@]}"); verify_cfg 43 3 20000 mmio=2; }

# Boot paths: each must reach the tests at the right EL with the DTB found.
cfg_el2_write() { machine=virt,virtualization=on; write_cfg 21 500 3000 el=2; }
cfg_el3_write() { machine=virt,secure=on; write_cfg 31 500 3000 el=3; }
cfg_image_write() { kernel=$BIN; write_cfg 41 500 3000 el=1; }
cfg_image_1g_write() { kernel=$BIN; memory=1G; write_cfg 42 500 3000 el=1; }
cfg_mem1g_write() { memory=1G; write_cfg 51 500 3000 el=1; }
cfg_gicv3_write() { machine=virt,gic-version=3; write_cfg 61 500 3000; }

# Device variants the driver must cope with.
cfg_modern_packed_offered() {
	qemu_args+=("${MODERN[@]}")
	device_opts=packed=on
	write_cfg 71 64 5000 mmio=2
}

cfg_modern_no_event_idx_indirect() {
	qemu_args+=("${MODERN[@]}")
	device_opts=event_idx=off,indirect_desc=off
	write_cfg 72 64 5000 mmio=2
}

# Offered but not needed: a second queue (MQ), and a config space that
# ends early (no WCE, DISCARD, WRITE_ZEROES fields).
cfg_modern_mq_offered() {
	qemu_args+=("${MODERN[@]}")
	device_opts=num-queues=2
	write_cfg 151 64 5000 mmio=2
}

cfg_short_config() {
	device_opts=config-wce=off,discard=off,write-zeroes=off
	write_cfg 152 64 5000 mmio=1
}

# 4 KiB logical blocks: requests are whole blocks, partial ones are refused.
LBS_4K=logical_block_size=4096,physical_block_size=4096
cfg_lbs4k_write() {
	qemu_args+=("${MODERN[@]}")
	device_opts=$LBS_4K
	write_cfg 141 1008 16000 align=8 blk=4096 mmio=2
}

cfg_lbs4k_verify() {
	device_opts=$LBS_4K
	verify_cfg 142 8 16000 align=8 blk=4096 mmio=1
}

# Host I/O errors (blkdebug, shared/FAULTS.md): reads of one sector and
# writes of another fail; the guest sees -VBLK_EIO and carries on.
cfg_io_error() {
	local rsector=3000 wsector=5000
	qemu_args+=("${MODERN[@]}")
	disk d0 "$DISK_BYTES" 161
	cat >"$dir/rules.conf" <<-EOF
		[inject-error]
		event = "none"
		iotype = "read"
		errno = "5"
		sector = "$rsector"

		[inject-error]
		event = "none"
		iotype = "write"
		errno = "5"
		sector = "$wsector"
	EOF
	local blkdebug="file.driver=blkdebug,file.config=$dir/rules.conf"
	blkdebug+=",file.image.filename=$dir/d0.img"
	qemu_args+=(-drive "if=none,id=d0,format=raw,rerror=report,werror=report,$blkdebug"
		-device "virtio-blk-device,drive=d0")
	guest_args=(test=io_error seed=161 "rsector=$rsector" "wsector=$wsector")
	boot
	expect_pattern d0 162 $((wsector + 1)) 1
	expect_unchanged d0 $((wsector + 1)) 1
	result PASS
}

cfg_readonly() {
	disk d0 "$DISK_BYTES" 81
	drive d0 readonly=on
	guest_args=(test=readonly seed=81 start=0 count=4096)
	boot
	expect_unchanged d0
	result PASS
}

cfg_range() {
	qemu_args+=("${MODERN[@]}")
	disk d0 "$DISK_BYTES"
	drive d0
	guest_args=(test=range seed=91)
	boot
	expect_unchanged d0
	result PASS
}

cfg_flush() {
	disk d0 "$DISK_BYTES"
	drive d0
	guest_args=(test=flush seed=101 start=2048 count=300)
	boot
	expect_pattern d0 101 2048 300
	expect_unchanged d0 2048 300
	result PASS
}

# Exactly 20 bytes, the longest id virtio-blk returns (no NUL in the device).
SERIAL_20=VBLK-SERIAL-0123456Z
cfg_get_id() {
	disk d0 "$DISK_BYTES"
	drive d0 "" "serial=$SERIAL_20"
	guest_args=(test=get_id "serial=$SERIAL_20")
	boot
	expect_unchanged d0
	result PASS
}

cfg_get_id_no_serial() {
	qemu_args+=("${MODERN[@]}")
	disk d0 "$DISK_BYTES"
	drive d0
	guest_args=(test=get_id)
	boot
	result PASS
}

cfg_last_sector() {
	local nsectors=$((ODD_DISK_BYTES / SECTOR_BYTES))
	disk d0 "$ODD_DISK_BYTES"
	drive d0
	guest_args=(test=last_sector seed=111 "capacity=$nsectors")
	boot
	expect_pattern d0 111 $((nsectors - 3)) 3
	expect_unchanged d0 $((nsectors - 3)) 3
	result PASS
}

cfg_two_disks() {
	disk alpha $((8 * MIB))
	disk beta $((12 * MIB + 5 * SECTOR_BYTES))
	drive alpha "" serial=alpha
	drive beta "" serial=beta
	guest_args=(test=two_disks disks=2 serials=alpha:beta seeds=121:122 start=100 count=6000)
	boot
	expect_pattern alpha 121 100 6000
	expect_pattern beta 122 100 6000
	expect_unchanged alpha 100 6000
	expect_unchanged beta 100 6000
	result PASS
}

# More than 65536 requests: the 16-bit avail/used indexes wrap.
cfg_many_small() {
	qemu_args+=("${MODERN[@]}")
	disk d0 "$DISK_BYTES" 131
	drive d0
	guest_args=(test=many_small seed=131 count=70000)
	boot
	expect_unchanged d0
	result PASS
}

# No device tree: vblk_attach() on the first -device's slot.
cfg_attach_no_dt() {
	disk d0 "$DISK_BYTES"
	drive d0
	guest_args=(test=probe "attach=$FIRST_SLOT_BASE" "intid=$FIRST_SLOT_INTID" disks=1
		"capacity=$DISK_SECTORS")
	boot
	result PASS
}

# Interrupts: the runtime's GIC set-up, timer sleeps (plat_idle) and SPI
# dispatch, on both GIC versions, started at EL1, EL2 (virtualization=on)
# and EL3 (secure=on: our EL3 code hands the interrupts to Non-secure).
# No disk: the test drives the GIC and the timer only.
interrupts_cfg() {  # interrupts_cfg EL GIC_VERSION
	guest_args=(test=interrupts "el=$1" "gic=$2")
	boot
	result PASS
}
cfg_irq_gicv2() { interrupts_cfg 1 2; }
cfg_irq_gicv3() { machine=virt,gic-version=3; interrupts_cfg 1 3; }
cfg_irq_el2_gicv2() { machine=virt,virtualization=on; interrupts_cfg 2 2; }
cfg_irq_el2_gicv3() { machine=virt,virtualization=on,gic-version=3; interrupts_cfg 2 3; }
cfg_irq_el3_gicv2() { machine=virt,secure=on; interrupts_cfg 3 2; }
cfg_irq_el3_gicv3() { machine=virt,secure=on,gic-version=3; interrupts_cfg 3 3; }
# An Image boot with secure=on starts at Non-secure EL1 with the GIC
# already handed over by QEMU: our EL3 code does not run.
cfg_irq_image_secure() { kernel=$BIN; machine=virt,secure=on; interrupts_cfg 1 2; }

# A disk's interrupt reaches a handler registered for its DT INTID while
# the synchronous reads sleep in plat_idle; the host pattern reads back.
virtio_irq_cfg() {  # virtio_irq_cfg SEED EXTRA_GUEST_ARGS...
	local seed=$1
	shift
	disk d0 "$DISK_BYTES" "$seed"
	drive d0
	guest_args=(test=virtio_irq "seed=$seed" start=8 count=12000 disks=1 "$@")
	boot
	expect_unchanged d0
	result PASS
}
cfg_virtio_irq_legacy() { virtio_irq_cfg 171 mmio=1 gic=2; }
cfg_virtio_irq_modern_gicv3() {
	machine=virt,gic-version=3
	qemu_args+=("${MODERN[@]}")
	virtio_irq_cfg 172 mmio=2 gic=3
}
cfg_virtio_irq_el3() { machine=virt,secure=on; virtio_irq_cfg 173 mmio=1 gic=2 el=3; }

# The asynchronous API: bios of mixed sizes and segment layouts, many in
# flight, merged when plugged; completions by the disk's interrupt on both
# GICs and transports, or polled. The host checks the written pattern.
async_cfg() {  # async_cfg SEED DEPTH IRQ EXTRA_GUEST_ARGS...
	local seed=$1 depth=$2 irq=$3 start=776 count=12000
	shift 3
	disk d0 "$DISK_BYTES"
	drive d0 "" "$device_opts"
	guest_args=(test=async_io "seed=$seed" "start=$start" "count=$count" "depth=$depth"
		"irq=$irq" disks=1 "$@")
	boot
	expect_pattern d0 "$seed" "$start" "$count"
	expect_unchanged d0 "$start" "$count"
	result PASS
}
cfg_async_irq_legacy_gicv2() { async_cfg 181 32 1 mmio=1 gic=2; }
cfg_async_irq_modern_gicv3() {
	machine=virt,gic-version=3
	qemu_args+=("${MODERN[@]}")
	async_cfg 182 32 1 mmio=2 gic=3
}
cfg_async_irq_modern_gicv2() { qemu_args+=("${MODERN[@]}"); async_cfg 183 8 1 mmio=2 gic=2; }
cfg_async_irq_legacy_gicv3() { machine=virt,gic-version=3; async_cfg 184 128 1 mmio=1 gic=3; }
# Interrupts asked for, the handler never registered (a firmware's likely
# mistake): every bio still completes, found by the waits' rechecks, and
# the stats count the interrupts that went nowhere. Edge-triggered on
# GICv3, where an unacknowledged line would never rise again.
cfg_async_irq_unrouted() {
	machine=virt,gic-version=3
	async_cfg 186 32 2 gic=3
}
cfg_async_polled() { qemu_args+=("${MODERN[@]}"); async_cfg 185 128 0 mmio=2; }
# QEMU's queue-size= sets seg_max (size - 2), not QueueNumMax (1024 on
# virtio-mmio): merges stop at 14 data segments.
cfg_async_seg_max_14() {
	qemu_args+=("${MODERN[@]}")
	device_opts=queue-size=16
	async_cfg 186 128 1 mmio=2
}
# Up to 16 segments a bio, 128 bios at a time: more descriptors than the
# ring holds, so requests wait in the queue for room.
cfg_async_ring_full() { async_cfg 188 128 1 segs=16 ring_full=1; }
cfg_async_lbs4k() {
	device_opts=$LBS_4K
	async_cfg 187 32 1 align=8 blk=4096
}

# Merged and unmerged reads of the same host-filled range are equal.
merge_equal_cfg() {  # merge_equal_cfg SEED IRQ
	disk d0 "$DISK_BYTES" "$1"
	drive d0
	guest_args=(test=merge_equal "seed=$1" start=4096 count=4096 "irq=$2" disks=1)
	boot
	expect_unchanged d0
	result PASS
}
cfg_merge_equal_irq() { merge_equal_cfg 191 1; }
cfg_merge_equal_polled() { qemu_args+=("${MODERN[@]}"); merge_equal_cfg 192 0; }

# ---- faults the host injects (blkdebug, shared/FAULTS.md) -------------------

# blkdebug_drive NAME RULES_FILE: attach disk NAME through blkdebug, errors
# reported to the guest (never a paused VM).
blkdebug_drive() {
	local opts="file.driver=blkdebug,file.config=$2,file.image.filename=$dir/$1.img"
	qemu_args+=(-drive "if=none,id=$1,format=raw,rerror=report,werror=report,$opts"
		-device "virtio-blk-device,drive=$1")
}

# fault_merged_cfg WRITE_ERRNO: reads and writes of sector BAD always fail
# (writes with WRITE_ERRNO: 5 EIO, 28 ENOSPC), the first read of ONCE fails.
fault_merged_cfg() {
	local seed=221 bad=3000 once=6001 good=9000 group=128
	local around=$((bad - bad % 8 - 32))
	qemu_args+=("${MODERN[@]}")
	disk d0 "$DISK_BYTES" "$seed"
	cat >"$dir/rules.conf" <<-EOF
		[inject-error]
		event = "none"
		iotype = "read"
		errno = "5"
		sector = "$bad"

		[inject-error]
		event = "none"
		iotype = "write"
		errno = "$1"
		sector = "$bad"

		[inject-error]
		event = "none"
		iotype = "read"
		errno = "5"
		sector = "$once"
		once = "on"
	EOF
	blkdebug_drive d0 "$dir/rules.conf"
	guest_args=(test=fault_merged "seed=$seed" "bad=$bad" "once=$once" "good=$good" irq=1)
	boot
	expect_pattern d0 $((seed + 1)) "$good" "$group"
	expect_unchanged d0 "$good" "$group"    # the failed writes changed nothing
	expect_pattern d0 "$seed" "$around" "$group"
	result PASS
}
cfg_fault_merged_eio() { fault_merged_cfg 5; }
cfg_fault_merged_enospc() { fault_merged_cfg 28; }

cfg_flush_error() {
	disk d0 "$DISK_BYTES"
	cat >"$dir/rules.conf" <<-EOF
		[inject-error]
		event = "none"
		iotype = "flush"
		errno = "5"
	EOF
	blkdebug_drive d0 "$dir/rules.conf"
	guest_args=(test=flush_error seed=231 start=512)
	boot
	expect_pattern d0 231 512 64
	expect_unchanged d0 512 64
	result PASS
}

# A drive QEMU throttles to 5 requests a second, and a guest that gives
# each request 100 ms: timeouts for real, a reset after each, every bio in
# flight completed once, then a write after the resets found on the host.
timeout_cfg() {  # timeout_cfg IRQ
	disk d0 "$DISK_BYTES" 241
	qemu_args+=(-drive "if=none,id=d0,format=raw,file=$dir/d0.img,throttling.iops-total=5"
		-device virtio-blk-device,drive=d0)
	guest_args=(test=timeout seed=241 wseed=242 start=4096 count=64 "irq=$1")
	boot
	expect_pattern d0 242 4096 64
	expect_unchanged d0 4096 64
	result PASS
}
# A read into memory beyond the machine's RAM: QEMU gives up on the
# device (DEVICE_NEEDS_RESET, modern only), and the guest must notice
# within 100 ms, polled as with interrupts, then reset and read on.
outside_ram_cfg() {  # outside_ram_cfg IRQ [GUEST_ARGS...]
	qemu_args+=("${MODERN[@]}")
	disk d0 "$DISK_BYTES" 171
	drive d0
	expected_complaint="virtio: bogus descriptor or out of resources"
	guest_args=(test=outside_ram seed=171 addr=0x50000000 "irq=$1" "${@:2}")
	boot
	expect_unchanged d0
	result PASS
}
cfg_outside_ram_polled() { outside_ram_cfg 0; }
cfg_outside_ram_irq() { outside_ram_cfg 1; }

# A write-back qcow2 image (QEMU's default cache): the guest writes and
# returns from main() without vblk_flush. The runtime's exit must flush,
# or QEMU exits with the writes in its qcow2 cache and they are lost.
# The image starts empty, so each write allocates clusters: what is lost
# is the metadata that says where they are.
cfg_qcow2_exit_flushes() {
	qemu-img create -q -f qcow2 "$dir/d0.qcow2" "$DISK_BYTES" >>"$log" 2>&1 ||
		fail "qemu-img create failed"
	qemu-img create -q -f raw "$dir/d0.ref" "$DISK_BYTES" >>"$log" 2>&1 ||
		fail "qemu-img create failed"
	qemu_args+=(-drive "if=none,id=d0,format=qcow2,file=$dir/d0.qcow2"
		-device "virtio-blk-device,drive=d0")
	guest_args=(test=write_pattern seed=73 start=100 count=3000 disks=1)
	boot
	from_qcow2 d0
	expect_pattern d0 73 100 3000
	expect_unchanged d0 100 3000
	result PASS
}

cfg_timeout_polled() { timeout_cfg 0; }
cfg_timeout_irq() { machine=virt,gic-version=3; timeout_cfg 1 gic=3; }

# A drive resized over QMP while the guest waits: the config-change
# interrupt brings the new capacity. The guest says when it waits.
resize_cfg() {  # resize_cfg NEW_BYTES IRQ EXTRA_QEMU_ARGS...
	local new_bytes=$1 irq=$2 sock status
	shift 2
	sock=$dir/qmp.sock
	disk d0 "$DISK_BYTES"
	qemu_args+=("$@" -qmp "unix:$sock,server=on,wait=off")
	drive d0
	guest_args=(test=resize seed=241 "new=$((new_bytes / SECTOR_BYTES))" "irq=$irq")
	boot &
	local booted=$!
	for _ in $(seq 1 200); do
		tr -d '\r' <"$log" | grep -q "waiting for resize" && break
		sleep 0.1
	done
	python3 "$ROOT/tools/qmp.py" "$sock" block_resize \
		"{\"device\": \"d0\", \"size\": $new_bytes}" >>"$log" 2>&1 ||
		echo "qmp block_resize failed" >>"$log"
	wait "$booted"
	status=$?
	[ -f "$dir/result" ] && exit "$status"   # boot already gave a verdict
	if [ "$new_bytes" -gt "$DISK_BYTES" ]; then
		expect_pattern d0 241 "$DISK_SECTORS" $(((new_bytes - DISK_BYTES) / SECTOR_BYTES))
	else
		expect_pattern d0 241 $((new_bytes / SECTOR_BYTES - 8)) 8
	fi
	result PASS
}
cfg_resize_grow() { resize_cfg $((DISK_BYTES + 3 * MIB)) 1 "${MODERN[@]}"; }
cfg_resize_shrink() { resize_cfg $((DISK_BYTES / 2)) 1; }
cfg_resize_polled() { resize_cfg $((DISK_BYTES + 5 * SECTOR_BYTES)) 0 "${MODERN[@]}"; }

# ---- the integrity matrix ------------------------------------------------
# Each boot writes every sector of every disk through both APIs, flushes,
# reads it all back (tests/qemu/guest_integrity.c); the host then checks
# every sector of every image. MATRIX_DISK_MIB sizes the disks (make test:
# 8, make test-full: 128); the sum is printed at the end.

MATRIX_DISK_MIB=${MATRIX_DISK_MIB:-8}
MATRIX_SEED=200

# integrity_cfg SEED [GUEST_ARGS...]: boot with the disks the configuration
# attached (names in $matrix_disks, disk 0 first), check them all, pass.
integrity_cfg() {
	integrity_check "$@"
	result PASS
}

# integrity_check SEED [GUEST_ARGS...]: the same, without the verdict.
integrity_check() {
	local seed=$1 i name sectors bytes=0
	shift
	guest_args=(test=integrity "seed=$seed" "disks=${#matrix_disks[@]}" "$@")
	boot
	for i in "${!matrix_disks[@]}"; do
		name=${matrix_disks[$i]}
		[ -f "$dir/$name.qcow2" ] && from_qcow2 "$name"
		sectors=$(($(stat -c %s "$dir/$name.img") / SECTOR_BYTES))
		expect_pattern "$name" $((seed + i)) 0 "$sectors"
		bytes=$((bytes + sectors * SECTOR_BYTES))
	done
	echo "$bytes" >"$dir/verified_bytes"
}

# matrix_disk NAME [MIB [DRIVE_OPTS [DEVICE_OPTS]]]: a disk for the matrix.
# QEMU numbers disks from the last -device, so disks are added in reverse:
# the one added last is disk 0.
matrix_disks=()
matrix_disk() {
	disk "$1" $((${2:-$MATRIX_DISK_MIB} * MIB))
	drive "$1" "${3:-}" "${4:-$device_opts}"
	matrix_disks=("$1" "${matrix_disks[@]}")
}

to_qcow2() {  # to_qcow2 NAME: NAME.img becomes NAME.qcow2, attached instead
	qemu-img convert -f raw -O qcow2 "$dir/$1.img" "$dir/$1.qcow2" >>"$log" 2>&1 ||
		fail "qemu-img convert to qcow2 failed"
	qemu_args+=(-drive "if=none,id=$1,format=qcow2,file=$dir/$1.qcow2"
		-device "virtio-blk-device,drive=$1")
	matrix_disks=("$1" "${matrix_disks[@]}")
}

from_qcow2() {  # from_qcow2 NAME: back to raw for the host check
	qemu-img convert -f qcow2 -O raw "$dir/$1.qcow2" "$dir/$1.img" >>"$log" 2>&1 ||
		fail "qemu-img convert from qcow2 failed"
}

matrix_cfg() {  # matrix_cfg SEED [GUEST_ARGS...]: one disk, then check
	matrix_disk d0
	integrity_cfg "$@"
}

GIC3=virt,gic-version=3
cfg_matrix_legacy_gicv2() { matrix_cfg 201 irq=1 mmio=1 gic=2; }
cfg_matrix_legacy_gicv3() { machine=$GIC3; matrix_cfg 202 irq=1 mmio=1 gic=3; }
cfg_matrix_modern_gicv2() { qemu_args+=("${MODERN[@]}"); matrix_cfg 203 irq=1 mmio=2 gic=2; }
cfg_matrix_modern_gicv3() {
	machine=$GIC3
	qemu_args+=("${MODERN[@]}")
	matrix_cfg 204 irq=1 mmio=2 gic=3
}
cfg_matrix_polled() { qemu_args+=("${MODERN[@]}"); matrix_cfg 205 irq=0; }
cfg_matrix_no_event_idx() {
	qemu_args+=("${MODERN[@]}")
	device_opts=event_idx=off
	matrix_cfg 206 irq=1
}
cfg_matrix_no_indirect() {
	qemu_args+=("${MODERN[@]}")
	device_opts=indirect_desc=off
	matrix_cfg 207 irq=1
}
# queue-size= only moves seg_max on virtio-mmio (QueueNumMax stays 1024).
cfg_matrix_queue_16() { device_opts=queue-size=16; matrix_cfg 208 irq=1; }
cfg_matrix_queue_1024() {
	qemu_args+=("${MODERN[@]}")
	device_opts=queue-size=1024
	matrix_cfg 209 irq=1
}
cfg_matrix_lbs4k() {
	qemu_args+=("${MODERN[@]}")
	device_opts=$LBS_4K
	matrix_cfg 210 irq=1 align=8 blk=4096
}
cfg_matrix_num_queues_4() {
	qemu_args+=("${MODERN[@]}")
	device_opts=num-queues=4
	matrix_cfg 211 irq=1
}
cfg_matrix_qcow2() {
	disk d0 $((MATRIX_DISK_MIB * MIB))
	to_qcow2 d0
	integrity_cfg 212 irq=1
}
# cache=none opens the image with O_DIRECT, which some file systems refuse.
cfg_matrix_cache_none() {
	dd if=/dev/zero of="$dir/odirect" bs=4096 count=1 oflag=direct >/dev/null 2>&1 ||
		skip "the file system under $dir refuses O_DIRECT (cache=none)"
	rm -f "$dir/odirect"
	qemu_args+=("${MODERN[@]}")
	matrix_disk d0 "" cache=none
	integrity_cfg 213 irq=1
}
# Two disks of different sizes (one not a multiple of 1 MiB) at once.
cfg_matrix_two_disks() {
	qemu_args+=("${MODERN[@]}")
	disk big $(((MATRIX_DISK_MIB + 3) * MIB + 7 * SECTOR_BYTES))
	drive big
	matrix_disks=(big)
	matrix_disk small $((MATRIX_DISK_MIB / 2 + 1))
	integrity_cfg 214 irq=1
}

# The library's compile-time knobs (include/vblk/config.h), set as a
# firmware author would (make EXTRA_CFLAGS=-D...): the test image is built
# with them in a directory of its own, then runs the matrix.
# knob_image FLAGS: build it and boot it in this configuration.
# A change of FLAGS rebuilds all of it (cfg_build_flags shows why).
knob_image() {
	local kbuild=$BUILD/knobs/$cfg
	make --no-print-directory -s -C "$ROOT" BUILD="$kbuild" EXTRA_CFLAGS="$1" \
		"$kbuild/vblk-test.elf" >>"$log" 2>&1 || fail "building with $1 failed"
	kernel=$kbuild/vblk-test.elf
}
# knob_cfg FLAGS SEED [GUEST_ARGS...]: the matrix on one disk, with the
# library built with FLAGS.
knob_cfg() {
	knob_image "$1"
	shift
	matrix_cfg "$@"
}
# A ring of 4 descriptors: every pass waits for ring space, and a request
# of header, data and status takes the whole ring without indirect tables.
cfg_matrix_knob_queue_4() { knob_cfg -DVBLK_QUEUE_SIZE=4 215 irq=1; }
cfg_matrix_knob_queue_4_no_indirect() {
	qemu_args+=("${MODERN[@]}")
	device_opts=indirect_desc=off
	knob_cfg -DVBLK_QUEUE_SIZE=4 216 irq=1
}
# Every request one 4 KiB block at most, so every I/O is split; the
# smallest indirect table (header, one data buffer, status).
cfg_matrix_knob_small_requests() {
	knob_cfg "-DVBLK_MAX_REQUEST_BYTES=4096u -DVBLK_INDIRECT_MAX=3" 217 irq=1
}
# Waits never poll in interrupt mode: every completion is a wake-up.
cfg_matrix_knob_always_sleep() {
	machine=$GIC3
	knob_cfg -DVBLK_IRQ_POLL_US=0u 218 irq=1 gic=3
}
# Waits that look at the ring every microsecond: nearly every sleep ends
# at its deadline, often with an interrupt on its way, and none of them
# may be taken for a missed one (the matrix requires 0).
cfg_matrix_knob_recheck_1us() {
	machine=$GIC3
	knob_cfg -DVBLK_IRQ_RECHECK_US=1u 223 irq=1 gic=3
}
# Cache maintenance around every DMA (drivers/plat_dma.c: dc cvac/civac by
# the CPU's line size), as on a platform whose devices do not snoop, with
# buffers aligned for 128-byte lines. QEMU is coherent, so this proves the
# maintenance runs and harms nothing; tests/host/test_noncoherent.c models
# the cache it is for.
cfg_matrix_knob_noncoherent() {
	knob_cfg "-DVBLK_NONCOHERENT_DMA -DVBLK_DMA_ALIGN=128u" 221 irq=1
}
# The firmware's own plat_virt_to_phys (tests/qemu/guest_integrity.c): the
# library must link against it and use it (the guest fails otherwise).
# tests/host/test_translated runs the queue tests with a translation that
# is not the identity.
cfg_matrix_knob_virt_to_phys() { knob_cfg -DVBLK_PLAT_VIRT_TO_PHYS 222 irq=1; }
# A table of one disk: the second disk is left alone, byte for byte.
cfg_matrix_knob_one_disk() {
	knob_image -DVBLK_MAX_DISKS=1
	disk other $((1 * MIB)) 219
	drive other
	matrix_disk d0
	integrity_check 220 irq=1
	expect_unchanged other
	result PASS
}
# Values out of range stop the build with config.h's #error, naming the
# tunable, before anything boots.
cfg_knobs_out_of_range() {
	local flags out kbuild=$BUILD/knobs/$cfg
	for flags in -DVBLK_QUEUE_SIZE=100 -DVBLK_QUEUE_SIZE=2 -DVBLK_MAX_DISKS=0 \
		-DVBLK_MAX_REQUEST_BYTES=256 -DVBLK_INDIRECT_MAX=2 -DVBLK_DMA_ALIGN=96; do
		rm -rf "$kbuild"
		if out=$(make --no-print-directory -s -C "$ROOT" BUILD="$kbuild" \
			EXTRA_CFLAGS="$flags" "$kbuild/obj/blk/disk.o" 2>&1); then
			fail "$flags was accepted"
		fi
		echo "$out" >>"$log"
		flags=${flags#-D}
		grep -q "#error \"${flags%%=*} must" <<<"$out" || fail "$flags: no #error naming it"
	done
	result PASS
}

# Compiler flags are prerequisites (the Makefile's stamps, BUILD/.flags):
# on a copy of this build, the same flags leave the test image and diskpat
# up to date; other EXTRA_CFLAGS would recompile and relink the image,
# other HOST_CFLAGS rebuild diskpat; and back to the first flags, the image
# is out of date again. make -q and -n only look: nothing is compiled.
cfg_build_flags() {
	local fbuild=$dir/build image=$dir/build/vblk-test.elf diskpat=$dir/build/tools/diskpat out
	local fmake=(make --no-print-directory -C "$ROOT" BUILD="$fbuild")
	mkdir -p "$fbuild/tools" || fail "cannot create $fbuild"
	cp -a "$BUILD/obj" "$BUILD/libvblk.a" "$BUILD/libvblk-rt.a" "$ELF" "$fbuild/" &&
		cp -a "$DISKPAT" "$fbuild/tools/" || fail "cannot copy the build in $BUILD"
	[ -d "$BUILD/.flags" ] && cp -a "$BUILD/.flags" "$fbuild/"
	# Brings the copy up to date if BUILD was built with other flags.
	"${fmake[@]}" -s "$image" "$diskpat" >>"$log" 2>&1 || fail "building the copy failed"
	"${fmake[@]}" -q "$image" "$diskpat" || fail "the same flags again would rebuild"
	out=$("${fmake[@]}" -n EXTRA_CFLAGS=-DVBLK_QUEUE_SIZE=16 "$image" 2>&1)
	echo "$out" >>"$log"
	grep -q -- "-DVBLK_QUEUE_SIZE=16 .*-c blk/disk.c" <<<"$out" ||
		fail "a new EXTRA_CFLAGS would not recompile blk/disk.c"
	grep -q -- "-o $image " <<<"$out" || fail "a new EXTRA_CFLAGS would not relink the image"
	"${fmake[@]}" -q "$image"
	[ $? -eq 1 ] || fail "back to the first flags, the image is not out of date"
	"${fmake[@]}" -q HOST_CFLAGS=-DVBLK_FLAGS_TEST "$diskpat"
	[ $? -eq 1 ] || fail "a new HOST_CFLAGS would not rebuild diskpat"
	result PASS
}

MATRIX_CONFIGS=(
	matrix_legacy_gicv2 matrix_legacy_gicv3 matrix_modern_gicv2 matrix_modern_gicv3
	matrix_polled matrix_no_event_idx matrix_no_indirect matrix_queue_16
	matrix_queue_1024 matrix_lbs4k matrix_num_queues_4 matrix_qcow2 matrix_cache_none
	matrix_two_disks matrix_knob_queue_4 matrix_knob_queue_4_no_indirect
	matrix_knob_small_requests matrix_knob_always_sleep matrix_knob_one_disk
	matrix_knob_noncoherent matrix_knob_virt_to_phys matrix_knob_recheck_1us
)

# The demo `make run` boots (build/vblk.elf): with a disk it ends with
# status 0 and leaves the disk exactly as it was (it restores its scratch
# region); without one it says so and ends with a failure status.
run_demo() {  # run_demo EXPECTED_STATUS LINE_IT_MUST_PRINT
	local status
	run_image "$BUILD/vblk.elf" enable=on,target=native
	[ "$status" -eq "$1" ] || fail "demo exit status $status, expected $1"
	tr -d '\r' <"$log" | grep -q "$2" || fail "demo did not print '$2'"
}
cfg_demo() {
	disk d0 "$DISK_BYTES"
	drive d0
	run_demo 0 "^demo passed"
	tr -d '\r' <"$log" | grep -q "64 write bios of 1024 bytes -> 1 request" ||
		fail "the demo's burst of 64 bios did not merge into one request"
	expect_unchanged d0
	result PASS
}
# A data abort ends QEMU with a failure status after the vector printed
# the fault; the test case itself never gets to say PASS.
cfg_exception() {
	local status
	run_image "$ELF" enable=on,target=native,arg=vblk-test,arg=test=exception
	case $status in
	0) fail "exit status 0 after a data abort" ;;
	124 | 137) fail "timed out: the fault did not end QEMU" ;;
	esac
	local text
	text=$(tr -d '\r' <"$log")
	grep -q "unexpected synchronous exception" <<<"$text" || fail "no fault report"
	grep -q "ESR_EL1" <<<"$text" && grep -q "ELR_EL1" <<<"$text" &&
		grep -qi "FAR_EL1 *0x0*7f0000000000" <<<"$text" || fail "ESR/ELR/FAR not printed right"
	result PASS
}

# The checksum example (make APP=examples/checksum.c): its CRC-32 of a
# host-filled disk is zlib's of the image file.
cfg_checksum() {
	local status want
	[ -f "$BUILD/checksum.elf" ] || fail "no $BUILD/checksum.elf (make APP=examples/checksum.c)"
	disk d0 $((8 * MIB)) 251
	drive d0
	run_image "$BUILD/checksum.elf" enable=on,target=native
	[ "$status" -eq 0 ] || fail "checksum exit status $status"
	want=$(python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' \
		"$dir/d0.img") || fail "python3 zlib failed"
	tr -d '\r' <"$log" | grep -q "crc32 $want " || fail "guest CRC-32 is not zlib's $want"
	expect_unchanged d0
	result PASS
}

# examples/firmware (make firmware): its own boot code, libvblk.a alone,
# MMU off, polled. It copies the first 4 KiB to the last 4 KiB; the host
# finds the copy byte for byte and nothing else changed.
cfg_firmware() {
	local status img
	[ -f "$BUILD/firmware.elf" ] || fail "no $BUILD/firmware.elf (make firmware)"
	disk d0 "$DISK_BYTES" 253
	drive d0
	run_image "$BUILD/firmware.elf" enable=on,target=native
	[ "$status" -eq 0 ] || fail "firmware exit status $status"
	tr -d '\r' <"$log" | grep -q "^firmware: first 4 KiB copied to sector $((DISK_SECTORS - 8)) and checked" ||
		fail "firmware did not report its copy"
	img="$dir/d0.img"
	cmp -s <(head -c 4096 "$img") <(tail -c 4096 "$img") ||
		fail "the last 4 KiB on the host are not the first 4 KiB"
	expect_unchanged d0 $((DISK_SECTORS - 8)) 8
	result PASS
}

# A program whose .bss does not fit in RAM (tests/qemu/big_bss.c, 63 MiB
# of it). QEMU loads an image 2 MiB into RAM and refuses only one larger
# than all of RAM, so with RAM of the image's size plus 1 MiB it is 1 MiB
# short: the runtime must say so before it zeroes .bss and end with status
# 1, on each boot path, not with a data abort. With 1 MiB more it fits
# exactly and runs.

# big_bss_image elf|bin: boot big_bss.elf or .bin; sets need_mib, its
# image_size (Image header: _end - __image_start) in MiB, rounded up.
big_bss_image() {
	local image_bytes
	kernel=$BUILD/big_bss.$1
	[ -f "$kernel" ] && [ -f "$BUILD/big_bss.bin" ] ||
		fail "no $kernel (make APP=tests/qemu/big_bss.c $BUILD/big_bss.elf $BUILD/big_bss.bin)"
	image_bytes=$(od -An -t u8 -j 16 -N 8 "$BUILD/big_bss.bin") || fail "cannot read its image_size"
	need_mib=$(((image_bytes + MIB - 1) / MIB))
}

# big_bss_boot EXTRA_MIB STATUS LINE...: boot it with need_mib + EXTRA_MIB
# MiB of RAM; it must end with STATUS, print each LINE and never fault.
big_bss_semihosting=enable=on,target=native
big_bss_boot() {
	local status line text
	memory=$((need_mib + $1))M
	run_image "$kernel" "$big_bss_semihosting"
	text=$(tr -d '\r' <"$log")
	! grep -q "unexpected .* exception" <<<"$text" || fail "the boot faulted"
	[ "$status" -eq "$2" ] || fail "exit status $status, expected $2"
	for line in "${@:3}"; do
		grep -qxF -- "$line" <<<"$text" || fail "no line '$line'"
	done
	result PASS
}

# ram_short_cfg STATUS [LINE]: RAM 1 MiB larger than the image, which
# starts 2 MiB in; the runtime's message, to the MiB, then LINE.
ram_short_cfg() {
	local ram_end message
	big_bss_image elf
	ram_end=$(printf '0x%016x' $((0x40000000 + (need_mib + 1) * MIB)))
	message="vblk: image needs $need_mib MiB of RAM from 0x0000000040200000,"
	message+=" machine has $((need_mib - 1)) MiB there (RAM ends at $ram_end):"
	message+=" give it more memory, or the image less .bss"
	big_bss_boot 1 "$1" "$message" "${@:2}"
}
cfg_ram_short() { ram_short_cfg 1; }
cfg_ram_short_el2() { machine=virt,virtualization=on; ram_short_cfg 1; }
cfg_ram_short_el3() { machine=virt,secure=on; ram_short_cfg 1; }
cfg_ram_short_no_semihosting() {
	big_bss_semihosting=enable=off
	ram_short_cfg 0 "vblk: exit status 1 (no semihosting: PSCI SYSTEM_OFF)"
}
BIG_BSS_RAN="big_bss: 63 MiB of .bss zeroed and writable"
cfg_ram_exact() { big_bss_image elf; big_bss_boot 2 0 "$BIG_BSS_RAN"; }
# An Image boot: QEMU puts the DTB just after _end, which needs room too.
cfg_ram_image() { big_bss_image bin; big_bss_boot 4 0 "$BIG_BSS_RAN"; }

# The benchmark (make bench) end to end on a small scratch disk, each row
# for 5 ms of guest time: every row runs without an error (the guest ends
# with status 1 on any) and prints its line. Its figures are not looked
# at: speed is for `make bench` to show, not for a test to time. This
# keeps the image and every row working between benchmark runs.
cfg_bench() {
	local rows
	[ -f "$BUILD/bench.elf" ] || fail "no $BUILD/bench.elf (make APP=bench/bench.c)"
	disk d0 $((16 * MIB))
	drive d0 "" serial=vblk-bench-scratch   # bench/bench.c's BENCH_SERIAL
	run_image "$BUILD/bench.elf" enable=on,target=native,arg=vblk-bench,arg=row_ms=5
	[ "$status" -eq 0 ] || fail "bench exit status $status"
	rows=$(tr -d '\r' <"$log" | grep -cE '^(seq|rand) +(read|write) ')
	[ "$rows" -eq 24 ] || fail "$rows table rows, not bench/bench.c's 24"
	result PASS
}

# Disks smaller than the demo's scratch region: three sectors (one burst
# bio of two covers part of it) and one (too small for any burst bio).
# The demo passes on both and leaves them as they were.
cfg_demo_three_sectors() {
	disk d0 $((3 * 512))
	drive d0
	run_demo 0 "^demo passed"
	expect_unchanged d0
	result PASS
}
cfg_demo_one_sector() {
	disk d0 512
	drive d0
	run_demo 0 "^demo passed"
	expect_unchanged d0
	result PASS
}
# An empty image: nothing to write, and a read of block 0 is refused.
cfg_demo_empty_disk() {
	disk d0 0
	drive d0
	run_demo 0 "^demo passed"
	tr -d '\r' <"$log" | grep -q "a read of block 0 is refused: yes" ||
		fail "the read beyond the end of an empty disk was not refused"
	expect_unchanged d0
	result PASS
}
# 4 KiB logical blocks: the boot-time first read is one whole block.
cfg_demo_lbs4k() {
	disk d0 "$DISK_BYTES"
	drive d0 "" "$LBS_4K"
	run_demo 0 "^first sector read .* us after reset"
	tr -d '\r' <"$log" | grep -q "^demo passed" || fail "demo did not pass"
	expect_unchanged d0
	result PASS
}

# One disk more than the driver's table (VBLK_MAX_DISKS, 8): eight are
# used, the ninth is listed with the reason and left as it was.
cfg_demo_nine_disks() {
	local i
	for i in 8 7 6 5 4 3 2 1 0; do   # QEMU numbers from the last -device
		disk "d$i" $((1 * MIB)) $((300 + i))
		drive "d$i"
	done
	run_demo 0 "^demo passed"
	local text
	text=$(tr -d '\r' <"$log")
	grep -q "^8 disk(s) ready" <<<"$text" || fail "not 8 disks ready"
	grep -q "(block): not used: more disks than VBLK_MAX_DISKS (8)" <<<"$text" ||
		fail "the ninth disk is not reported as beyond the table"
	for i in 1 2 3 4 5 6 7 8; do
		expect_unchanged "d$i"
	done
	expect_unchanged d0
	result PASS
}

cfg_demo_no_disk() {
	run_demo 1 "^no virtio-blk disk found"
	result PASS
}

# The slowest first, so the two job slots finish together.
CONFIGS=(
	many_small
	legacy_write modern_write legacy_verify modern_verify
	two_disks
	legacy_probe modern_probe
	el2_write el3_write image_write image_1g_write mem1g_write gicv3_write
	lbs4k_write lbs4k_verify
	modern_packed_offered modern_no_event_idx_indirect modern_mq_offered short_config
	readonly range flush get_id get_id_no_serial last_sector attach_no_dt io_error
	irq_gicv2 irq_gicv3 irq_el2_gicv2 irq_el2_gicv3 irq_el3_gicv2 irq_el3_gicv3
	irq_image_secure virtio_irq_legacy virtio_irq_modern_gicv3 virtio_irq_el3
	async_irq_legacy_gicv2 async_irq_modern_gicv3 async_irq_modern_gicv2
	async_irq_legacy_gicv3 async_irq_unrouted async_polled async_seg_max_14 async_ring_full async_lbs4k
	merge_equal_irq merge_equal_polled demo demo_no_disk demo_three_sectors demo_one_sector
	demo_lbs4k demo_nine_disks demo_empty_disk exception checksum firmware bench knobs_out_of_range
	build_flags ram_short ram_short_el2 ram_short_el3 ram_short_no_semihosting ram_exact ram_image
	fault_merged_eio fault_merged_enospc flush_error timeout_polled timeout_irq resize_grow resize_shrink resize_polled
	outside_ram_polled outside_ram_irq qcow2_exit_flushes
	"${MATRIX_CONFIGS[@]}"
)

run_config() {  # in a subshell: defaults, then the configuration's function
	cfg=$1
	dir=$WORK/$cfg
	log=$dir/console.log
	machine=virt
	memory=128M
	kernel=$ELF
	qemu_args=()
	guest_args=()
	device_opts=""
	mkdir -p "$dir"
	: >"$log"
	"cfg_$cfg"
	fail "configuration ended without a verdict"
}

main() {
	local name running=0 passed=0 failed=0 skipped=0 line
	selected=("$@")
	[ ${#selected[@]} -gt 0 ] || selected=("${CONFIGS[@]}")
	for name in "${selected[@]}"; do
		declare -F "cfg_$name" >/dev/null || {
			echo "$0: no configuration '$name' (have: ${CONFIGS[*]})" >&2
			exit 2
		}
	done
	ensure_diskpat || {
		echo "FAIL qemu: cannot build $DISKPAT"
		echo "0 passed, 1 failed"
		exit 1
	}
	rm -rf "$WORK"
	mkdir -p "$WORK"

	for name in "${selected[@]}"; do
		(run_config "$name") &
		running=$((running + 1))
		if [ "$running" -ge "$QEMU_JOBS" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait

	for name in "${selected[@]}"; do
		line=$(cat "$WORK/$name/result" 2>/dev/null) ||
			line="FAIL qemu/$name: no result recorded (log: $WORK/$name/console.log)"
		case $line in
		PASS*) passed=$((passed + 1)) ;;
		SKIP*) skipped=$((skipped + 1)) ;;
		*)
			failed=$((failed + 1))
			[ -f "$WORK/$name/result" ] || echo "$line"
			echo "---- last lines of $WORK/$name/console.log:"
			tail -n 15 "$WORK/$name/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/    /'
			;;
		esac
	done
	report_matrix
	[ "$skipped" -eq 0 ] || echo "$skipped configuration(s) skipped (SKIP lines above say why)"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# What the integrity configurations that ran proved, summed.
report_matrix() {
	local name file nconfigs=0 bytes=0
	for name in "${selected[@]}"; do
		file=$WORK/$name/verified_bytes
		[ -f "$file" ] || continue
		nconfigs=$((nconfigs + 1))
		bytes=$((bytes + $(cat "$file")))
	done
	[ "$nconfigs" -gt 0 ] || return 0
	echo "integrity: $nconfigs configuration(s) passed, $((bytes / MIB)) MiB" \
		"($bytes bytes) written by the guest and checked on the host, 0 sectors wrong"
}

main "$@"
