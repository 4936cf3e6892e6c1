#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/qemu/run.sh BUILD_DIR [CONFIG...]: the QEMU test layer.
#
# Boots the configurations of tests/qemu/configs.txt (one a row: machine,
# disks, guest test, expectations; its header explains the columns) in
# qemu-system-aarch64, each under a timeout, and after QEMU exits checks
# the disk images on the host: the written pattern is there (diskpat
# verify) and nothing else changed (diskpat check-unchanged against a copy
# made before the boot).
#
# Prints "PASS qemu/<name>" or "FAIL qemu/<name>: reason (log: path)" per
# configuration and ends with "N passed, N failed"; exit status 0 only if
# all passed. Name configurations to run only those (default: all).
#
# Environment: QEMU_TIMEOUT_S (per boot, default 60), QEMU_JOBS (parallel
# boots, default 2), QEMU (default qemu-system-aarch64), HOST_CC (builds
# diskpat if make did not), MATRIX_DISK_MIB (the integrity matrix's disks,
# default 8).
set -uo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR [CONFIG...]" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TABLE=$ROOT/tests/qemu/configs.txt

QEMU=${QEMU:-qemu-system-aarch64}
QEMU_TIMEOUT_S=${QEMU_TIMEOUT_S:-60}
QEMU_JOBS=${QEMU_JOBS:-2}
MATRIX_DISK_MIB=${MATRIX_DISK_MIB:-8}
DISKPAT=$BUILD/tools/diskpat
WORK=$BUILD/qemu-tests

SECTOR_BYTES=512
MIB=$((1024 * 1024))
BACKGROUND_SEED=1000 # what a disk holds where the guest should not write

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

# ---- the verdict (each configuration runs in its own subshell) ----------

result() { # result PASS|FAIL [reason]: record, print, end the configuration
	local line="PASS qemu/$cfg"
	[ "$1" = PASS ] || line="FAIL qemu/$cfg: $2 (log: $log)"
	echo "$line" >"$dir/result"
	echo "$line"
	if [ "$1" = PASS ]; then
		[ "$verified_bytes" -eq 0 ] || echo "$verified_bytes" >"$dir/verified_bytes"
		rm -f "$dir"/*.img "$dir"/*.ref "$dir"/*.qcow2 # evidence of failures only
	fi
	exit 0
}
fail() { result FAIL "$1"; }
skip() { # skip REASON: this machine cannot run the configuration
	echo "SKIP qemu/$cfg: $1" | tee "$dir/result"
	exit 0
}

# ---- reading a row ------------------------------------------------------

size_bytes() { # size_bytes SIZE: configs.txt's size notation, in bytes
	local expr=$1 notation='^[0-9XMs()+/]+$'
	[[ $expr =~ $notation ]] || return 1
	expr=${expr//X/$MATRIX_DISK_MIB}
	expr=${expr//M/*MIB}
	expr=${expr//s/*SECTOR_BYTES}
	echo $((expr))
}

boot_options() { # boot_options WORD...: the boot column
	local word
	for word; do
		case $word in
		-) ;;
		modern) qemu_args+=(-global virtio-mmio.force-legacy=false) ;;
		image) image=1 ;;
		at=*) load_at=${word#at=} ;;
		x0=*)
			entry_x0=${word#x0=}
			[[ $entry_x0 =~ ^(0x[0-9a-fA-F]{1,8}|[0-9]{1,9})$ ]] ||
				fail "configs.txt: x0=$entry_x0 is not a 32-bit number"
			;;
		uboot) via_uboot=booti ;;
		uboot-bootm) via_uboot=bootm ;;
		mem=*) memory=${word#mem=} ;;
		numa=*) numa_nodes=${word#numa=} ;;
		no-semihosting) semihosting=enable=off ;;
		-D*) lib_flags+=${lib_flags:+ }$word ;;
		*=*) machine+=,$word ;;
		*) fail "configs.txt: unknown boot word '$word'" ;;
		esac
	done
	[ "$numa_nodes" -eq 0 ] || numa_options
}

# numa=N: the RAM in N NUMA nodes of equal size, one CPU each; the device
# tree then gives N memory nodes that touch.
numa_options() {
	local node mib=${memory%M}
	[[ $memory =~ ^[0-9]+M$ ]] && [ $((mib % numa_nodes)) -eq 0 ] ||
		fail "configs.txt: numa=$numa_nodes needs mem=SIZE in M, divisible by it"
	qemu_args+=(-smp "$numa_nodes")
	for ((node = 0; node < numa_nodes; node++)); do
		qemu_args+=(-object "memory-backend-ram,id=ram$node,size=$((mib / numa_nodes))M"
			    -numa "node,memdev=ram$node")
	done
}

# add_disk NAME SIZE [SEED|zero] [OPTION...]: a raw image filled with the
# pattern, NAME.ref to compare with afterwards, attached as the next
# virtio-blk-device.
add_disk() {
	local name=$1 img=$dir/$1.img bytes seed=$BACKGROUND_SEED option
	local format=raw file="file=$dir/$1.img" drive_opts="" device_opts="" rule seeded='^([0-9]+|zero)$'
	local device=virtio-blk-device
	bytes=$(size_bytes "${2:-}") || fail "configs.txt: bad size '${2:-}' of disk $name"
	shift 2
	if [[ ${1:-} =~ $seeded ]]; then
		seed=$1
		shift
	fi
	qemu-img create -q -f raw "$img" "$bytes" >>"$log" 2>&1 || fail "qemu-img create $name failed"
	if [ "$seed" != zero ]; then
		"$DISKPAT" fill "$img" "$seed" >>"$log" 2>&1 || fail "diskpat fill $name failed"
	fi
	cp "$img" "$dir/$name.ref" || fail "cannot copy $name"
	for option; do
		case $option in
		format=qcow2)
			format=qcow2 file="file=$dir/$name.qcow2"
			qcow2_disks+=("$name")
			qemu-img convert -f raw -O qcow2 "$img" "$dir/$name.qcow2" >>"$log" 2>&1 ||
				fail "qemu-img convert $name to qcow2 failed"
			;;
		err=*) # IOTYPE:ERRNO[:SECTOR[:once]], in blkdebug's rules file
			IFS=: read -r -a rule <<<"${option#err=}"
			printf '[inject-error]\nevent = "none"\niotype = "%s"\nerrno = "%s"\n' \
				"${rule[0]}" "${rule[1]}" >>"$dir/$name.rules"
			[ -z "${rule[2]:-}" ] || printf 'sector = "%s"\n' "${rule[2]}" >>"$dir/$name.rules"
			[ -z "${rule[3]:-}" ] || printf 'once = "on"\n' >>"$dir/$name.rules"
			echo >>"$dir/$name.rules"
			file="rerror=report,werror=report,file.driver=blkdebug"
			file+=",file.config=$dir/$name.rules,file.image.filename=$img"
			;;
		readonly=* | cache=* | throttling.*) drive_opts+=,$option ;;
		pci) device=virtio-blk-pci ;;
		pci-port | pci-bridge)
			device=virtio-blk-pci
			add_root_port
			device_opts+=,bus=rp$pci_ports
			if [ "$option" = pci-bridge ]; then
				qemu_args+=(-device "pcie-pci-bridge,id=br$pci_ports,bus=rp$pci_ports")
				device_opts=${device_opts%,bus=*},bus=br$pci_ports,addr=3
			fi
			;;
		*) device_opts+=,$option ;;
		esac
	done
	qemu_args+=(-drive "if=none,id=$name,format=$format,$file$drive_opts"
		-device "$device,drive=$name$device_opts")
}

# A pcie-root-port of its own on pcie.0 (slot 8 up) for the next PCI
# disk: rp$pci_ports. QEMU reads addr= as hexadecimal.
add_root_port() {
	pci_ports=$((pci_ports + 1))
	qemu_args+=(-device "pcie-root-port,id=rp$pci_ports,chassis=$pci_ports,addr=$(printf %x $((7 + pci_ports)))")
}

run_program() { # run_program WORD...: the run column
	local program=$1 arg args=("${@:2}")
	if [[ $program != *.elf ]]; then # a case of the test image
		test_name=$program
		args=(vblk-test "test=$program" "${args[@]}")
		program=vblk-test.elf
	fi
	kernel=$BUILD/$program
	[ -z "$lib_flags" ] || kernel=$BUILD/knobs/$cfg/$program
	[ "$image" -eq 0 ] || kernel=${kernel%.elf}.bin
	[ "$semihosting" = enable=off ] && return
	for arg in "${args[@]}"; do
		semihosting+=,arg=$arg
	done
}

expectation() { # expectation WORD...: one item of the expect column
	case $1 in
	status) want_status=$2 ;;
	says) says+=("${*:2}") ;;
	complains) expected_complaint=${*:2} ;;
	wrote | holds | same | integrity) checks+=("$*") ;;
	-) ;;
	*) fail "configs.txt: unknown expectation '$1'" ;;
	esac
}

# ---- booting and checking -------------------------------------------------

# x0=VALUE (32 bits): the .bin at its link address, entered from three
# instructions at TRAMPOLINE_ADDR with x0 = VALUE, as a loader that does
# not follow the arm64 boot protocol hands over (U-Boot's `go` and
# standalone `bootm` pass argc there).
TRAMPOLINE_ADDR=0x40100000
LINK_ADDR=0x40200000
x0_trampoline() {
	local lo=$((entry_x0 & 0xffff)) hi=$((entry_x0 >> 16 & 0xffff))
	local movz=$((0xd2800000 | lo << 5)) movk=$((0xf2a00000 | hi << 5))
	local branch=$((0x14000000 | ((LINK_ADDR - TRAMPOLINE_ADDR - 8) / 4 & 0x3ffffff)))
	load=(-device "loader,file=${kernel%.elf}.bin,addr=$LINK_ADDR,force-raw=on"
	      -device "loader,addr=$TRAMPOLINE_ADDR,data=$(printf '0x%08x%08x' "$movk" "$movz"),data-len=8"
	      -device "loader,addr=$((TRAMPOLINE_ADDR + 8)),data=$(printf '0x%08x' "$branch"),data-len=4"
	      -device "loader,addr=$TRAMPOLINE_ADDR,cpu-num=0")
}

# uboot, uboot-bootm: Debian's U-Boot is the firmware (-bios). The image
# waits in RAM (QEMU's loader puts it there); U-Boot probes every virtio
# disk and reads from each, then hands over as a user chain-loading vblk
# does: booti starts the .bin as a Linux Image (devices reset, MMU off,
# the DTB in x0); bootm starts it as a standalone program (a legacy
# uImage), with U-Boot's MMU and caches on, its devices still running and
# argc in x0.
UBOOT_BIN=${UBOOT_BIN:-/usr/lib/u-boot/qemu_arm64/u-boot.bin}
UBOOT_IMAGE_ADDR=0x44000000
UBOOT_PROBE='virtio scan;; virtio info;;
	for i in 0 1 2 3 4 5 6 7; do if virtio dev $i; then virtio read 0x46000000 0 8; fi; done'

# A legacy uImage of the .bin (U-Boot's include/image.h): a 64-byte
# big-endian header, CRC-32s of itself and of the data; type standalone
# (1), arch arm64 (22), OS U-Boot (17), loaded and entered at the link
# address.
make_uimage() { # make_uimage BIN OUT
	python3 - "$1" "$2" "$LINK_ADDR" <<-'PY' || fail "cannot make the uImage"
	import struct, sys, zlib
	data = open(sys.argv[1], "rb").read()
	at = int(sys.argv[3], 0)
	def header(crc):
	    return struct.pack(">7I4B32s", 0x27051956, crc, 0, len(data), at, at,
	                       zlib.crc32(data), 17, 22, 1, 0, b"vblk")
	open(sys.argv[2], "wb").write(header(zlib.crc32(header(0))) + data)
	PY
}

via_uboot() {
	local image=${kernel%.elf}.bin commands="$UBOOT_PROBE;; booti $UBOOT_IMAGE_ADDR - \${fdtcontroladdr}"
	[ -f "$UBOOT_BIN" ] || skip "no U-Boot for qemu_arm64 ($UBOOT_BIN: package u-boot-qemu)"
	if [ "$via_uboot" = bootm ]; then
		make_uimage "$image" "$dir/image.uimg"
		image=$dir/image.uimg
		commands="$UBOOT_PROBE;; setenv autostart yes;; bootm $UBOOT_IMAGE_ADDR"
	fi
	load=(-bios "$UBOOT_BIN" -device "loader,file=$image,addr=$UBOOT_IMAGE_ADDR,force-raw=on")
	runner=(python3 "$ROOT/tests/qemu/uboot_console.py" "$commands" --)
}

boot() { # boot the kernel as the row says; fail unless it ends as expected
	local status console why complaints pattern load=(-kernel "$kernel") runner=()
	[ -f "$kernel" ] || fail "no $kernel (make test-qemu builds it)"
	# at=ADDR: a loader that puts the image at ADDR and starts the CPU
	# there, as a bootloader does, instead of QEMU's -kernel.
	[ -z "$load_at" ] || load=(-device "loader,file=$kernel,addr=$load_at,cpu-num=0")
	[ -z "$entry_x0" ] || x0_trampoline
	[ -z "$via_uboot" ] || via_uboot
	{
		echo "\$ ${runner[*]} timeout $QEMU_TIMEOUT_S $QEMU -machine $machine -cpu cortex-a53" \
			"-m $memory -nographic -semihosting-config $semihosting" \
			"${load[*]} ${qemu_args[*]}"
		echo "----"
	} >>"$log"
	# --foreground: QEMU stays in this script's process group, so a Ctrl-C
	# or a killed `make test` stops it too instead of leaving it running.
	"${runner[@]}" timeout --foreground --kill-after=5 "$QEMU_TIMEOUT_S" "$QEMU" \
		-machine "$machine" -cpu cortex-a53 -m "$memory" -nographic \
		-semihosting-config "$semihosting" \
		-d guest_errors,unimp -D "$dir/qemu-d.log" \
		"${load[@]}" "${qemu_args[@]}" </dev/null >>"$log" 2>&1
	status=$?
	echo "---- exit status $status" >>"$log"
	console=$(tr -d '\r' <"$log")

	case $status:$want_status in
	124:* | 137:*) fail "timed out after ${QEMU_TIMEOUT_S}s" ;;
	0:fail) fail "exit status 0, expected a failure" ;;
	*:fail | "$want_status:$want_status") ;;
	*)
		[ -z "$test_name" ] ||
			why=$(grep -m1 "^RESULT $test_name FAIL" <<<"$console" | cut -d' ' -f3-)
		fail "exit status $status, ${why:-expected $want_status}"
		;;
	esac
	if [ "$want_status" != fail ]; then
		! grep -q "unexpected .* exception" <<<"$console" || fail "the guest faulted"
		[ -z "$test_name" ] || [ "$want_status" != 0 ] ||
			grep -q "^RESULT $test_name PASS\$" <<<"$console" ||
			fail "exit status $status but no 'RESULT $test_name PASS' line"
	fi
	for pattern in "${says[@]}"; do
		grep -q -e "$pattern" <<<"$console" || fail "no console line matching '$pattern'"
	done
	# QEMU's own complaints about the guest (-d guest_errors,unimp: "bad
	# register offset", an unimplemented device register; on stderr: "zero
	# sized buffers are not allowed") are failures even when the guest
	# passed, unless the row provokes one on purpose: then it must appear.
	complaints=$({
		cat "$dir/qemu-d.log"
		grep -i '^[^ ]*qemu[^ ]*: .*virtio' <<<"$console"
	} 2>/dev/null)
	if [ -n "$expected_complaint" ]; then
		grep -q -e "$expected_complaint" <<<"$complaints" ||
			fail "QEMU never said '$expected_complaint'"
		complaints=$(grep -v -e "$expected_complaint" <<<"$complaints")
	fi
	[ -z "$complaints" ] || fail "QEMU complained: $(head -n1 <<<"$complaints")"
}

diskpat_check() { # diskpat_check COMMAND NAME ARGS...: a host check of disk NAME
	local out
	out=$("$DISKPAT" "$1" "$dir/$2.img" "${@:3}" 2>&1) ||
		fail "host check of $2: $(echo "$out" | tr '\n' ' ')"
}

host_check() { # host_check VERB NAME ARGS...: a disk item of the expect column
	local name sectors
	case $1 in
	wrote)
		diskpat_check verify "$2" "$3" "$4" "$5"
		diskpat_check check-unchanged "$2" "$dir/$2.ref" "$4" "$5"
		;;
	holds) diskpat_check verify "${@:2}" ;;
	same)
		if [[ ${3:-} =~ ^[0-9]+$ ]]; then
			diskpat_check check-unchanged "$2" "$dir/$2.ref" "$3" "$4"
		else
			for name in "${@:2}"; do
				diskpat_check check-unchanged "$name" "$dir/$name.ref"
			done
		fi
		;;
	integrity)
		sectors=$(($(stat -c %s "$dir/$2.img") / SECTOR_BYTES))
		diskpat_check verify "$2" "$3" 0 "$sectors"
		verified_bytes=$((verified_bytes + sectors * SECTOR_BYTES))
		;;
	esac
}

run_config() { # in a subshell: set up the row's QEMU, boot, check the disks
	local boot disks run expect step items item words name
	cfg=$1 dir=$WORK/$1 log=$WORK/$1/console.log
	machine=virt memory=128M numa_nodes=0 image=0 lib_flags="" semihosting=enable=on,target=native
	load_at= entry_x0= via_uboot=
	kernel="" test_name="" want_status=0 expected_complaint="" verified_bytes=0
	qemu_args=() says=() checks=() qcow2_disks=() pci_ports=0
	mkdir -p "$dir"
	: >"$log"
	IFS='|' read -r _ boot disks run expect step <<<"${ROWS[$cfg]}"

	read -r -a words <<<"$boot"
	boot_options "${words[@]}"
	if [ -n "$lib_flags" ]; then # the row's image (the test image, or PROGRAM.elf)
		read -r -a words <<<"$run"
		[[ ${words[0]:-} == *.elf ]] && knob_image=${words[0]} || knob_image=vblk-test.elf
		make --no-print-directory -s -C "$ROOT" BUILD="$BUILD/knobs/$cfg" \
			EXTRA_CFLAGS="$lib_flags" "$BUILD/knobs/$cfg/$knob_image" >>"$log" 2>&1 ||
			fail "building with $lib_flags failed"
	fi
	IFS=';' read -r -a items <<<"$disks"
	for item in "${items[@]}"; do
		read -r -a words <<<"$item"
		[ "${words[*]:-"-"}" = - ] || add_disk "${words[@]}"
	done
	read -r -a words <<<"$run"
	[ "${words[*]:-"-"}" = - ] || run_program "${words[@]}"
	IFS=';' read -r -a items <<<"$expect"
	for item in "${items[@]}"; do
		read -r -a words <<<"$item"
		[ ${#words[@]} -eq 0 ] || expectation "${words[@]}"
	done

	read -r -a words <<<"$step"
	if [ ${#words[@]} -gt 0 ]; then
		declare -F "step_${words[0]}" >/dev/null || fail "configs.txt: no step_${words[0]} in run.sh"
		"step_${words[0]}" "${words[@]:1}"
	else
		boot
	fi
	for name in "${qcow2_disks[@]}"; do
		qemu-img convert -f qcow2 -O raw "$dir/$name.qcow2" "$dir/$name.img" >>"$log" 2>&1 ||
			fail "qemu-img convert $name from qcow2 failed"
	done
	for item in "${checks[@]}"; do
		read -r -a words <<<"$item"
		host_check "${words[@]}"
	done
	result PASS
}

# ---- steps: what a row cannot say -----------------------------------------

step_odirect() { # cache=none opens the image O_DIRECT, which some file systems refuse
	dd if=/dev/zero of="$dir/odirect" bs=4096 count=1 oflag=direct >/dev/null 2>&1 ||
		skip "the file system under $dir refuses O_DIRECT (cache=none)"
	rm -f "$dir/odirect"
	boot
}

# step_resize SIZE: QMP block_resize d0 to SIZE once the guest says it waits.
step_resize() {
	local bytes sock=$dir/qmp.sock booted
	bytes=$(size_bytes "$1") || fail "configs.txt: bad resize size '$1'"
	qemu_args+=(-qmp "unix:$sock,server=on,wait=off")
	boot &
	booted=$!
	for _ in $(seq 1 200); do
		tr -d '\r' <"$log" | grep -q "waiting for resize" && break
		sleep 0.1
	done
	python3 "$ROOT/tools/qmp.py" "$sock" block_resize \
		"{\"device\": \"d0\", \"size\": $bytes}" >>"$log" 2>&1 ||
		echo "qmp block_resize failed" >>"$log"
	wait "$booted"
	[ ! -f "$dir/result" ] || exit 0 # boot already gave a verdict
}

step_checksum() { # [BYTES]: the guest's CRC-32 of the disk is zlib's of the image file (of its first BYTES)
	local want
	boot
	want=$(python3 -c 'import sys, zlib; n = int(sys.argv[2]) if len(sys.argv) > 2 else -1;
print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read(n)))' "$dir/d0.img" "$@") ||
		fail "python3 zlib failed"
	tr -d '\r' <"$log" | grep -q "crc32 $want " || fail "guest CRC-32 is not zlib's $want"
}

step_firmware() { # its copy of the first 4 KiB is the disk's last 4 KiB
	boot
	cmp -s <(head -c 4096 "$dir/d0.img") <(tail -c 4096 "$dir/d0.img") ||
		fail "the last 4 KiB on the host are not the first 4 KiB"
}

step_bench() { # each row ran and printed its line; its figures are not timed here
	local rows
	boot
	rows=$(tr -d '\r' <"$log" | grep -cE '^(seq|rand) +(read|write) ')
	[ "$rows" -eq 26 ] || fail "$rows table rows, not bench/bench.c's 26"
}

# step_discard FREED [START:COUNT...]: d0's drive opened with discard=unmap
# (QEMU punches holes in the raw file for discards and unmapping
# write-zeroes). Afterwards d0 is its copy from before the boot with
# exactly the ranges START:COUNT zeroed, and with FREED > 0 the file holds
# at least 90% of FREED sectors fewer allocated blocks (stat %b; QEMU
# punches at its own granularity).
step_discard() {
	local freed=$1 range before after i name expected=$dir/d0-expected.img
	for i in "${!qemu_args[@]}"; do
		[[ ${qemu_args[$i]} != if=none,id=d0,* ]] || qemu_args[i]+=,discard=unmap
	done
	before=$(stat -c %b "$dir/d0.img")
	boot
	for name in "${qcow2_disks[@]}"; do
		qemu-img convert -f qcow2 -O raw "$dir/$name.qcow2" "$dir/$name.img" >>"$log" 2>&1 ||
			fail "qemu-img convert $name from qcow2 failed"
	done
	after=$(stat -c %b "$dir/d0.img")
	echo "d0.img: $before 512-byte blocks allocated before the boot, $after after" >>"$log"
	cp "$dir/d0.ref" "$expected" || fail "cannot copy d0.ref"
	for range in "${@:2}"; do
		dd if=/dev/zero of="$expected" bs=$SECTOR_BYTES seek="${range%:*}" count="${range#*:}" \
			conv=notrunc status=none || fail "configs.txt: bad range '$range'"
	done
	diskpat_check check-unchanged d0 "$expected"
	[ "$freed" -eq 0 ] || [ $((before - after)) -ge $((freed * 9 / 10)) ] ||
		fail "d0.img freed $((before - after)) blocks, expected at least 90% of $freed"
}

# step_big_bss EXTRA_MIB: boot big_bss with RAM of its image size (Image
# header: _end - __image_start) plus EXTRA_MIB. QEMU loads the image 2 MiB
# into RAM and refuses only one larger than all of RAM, so 1 MiB extra is
# 1 MiB short: the runtime must say so, to the MiB, before zeroing .bss.
step_big_bss() {
	local image_bytes need_mib ram_end message
	image_bytes=$(od -An -t u8 -j 16 -N 8 "$BUILD/big_bss.bin") ||
		fail "no $BUILD/big_bss.bin (make APP=tests/qemu/big_bss.c $BUILD/big_bss.bin)"
	need_mib=$(((image_bytes + MIB - 1) / MIB))
	memory=$((need_mib + $1))M
	if [ "$1" -lt 2 ]; then
		ram_end=$(printf '0x%016x' $((0x40000000 + (need_mib + $1) * MIB)))
		message="^vblk: image needs $need_mib MiB of RAM from 0x0000000040200000,"
		message+=" machine has $((need_mib - 2 + $1)) MiB there (RAM ends at $ram_end):"
		says+=("$message give it more memory, or the image less \.bss\$")
	fi
	boot
}

# Out-of-range tunables stop the build with config.h's #error naming them,
# before anything boots.
step_knobs_out_of_range() {
	local flags out kbuild=$BUILD/knobs/$cfg
	for flags in -DVBLK_QUEUE_SIZE=100 -DVBLK_QUEUE_SIZE=2 -DVBLK_MAX_DISKS=0 \
		-DVBLK_MAX_REQUEST_BYTES=256 -DVBLK_MAX_REQUEST_BYTES=4000 -DVBLK_INDIRECT_MAX=2 \
		-DVBLK_DMA_ALIGN=96 -DVBLK_TIMEOUT_US=5000000000ull -DVBLK_STATUS_CHECK_US=0 \
		-DVBLK_RENOTIFY_US=0u -DVBLK_RING_PACKED=2; do
		rm -rf "$kbuild"
		if out=$(make --no-print-directory -s -C "$ROOT" BUILD="$kbuild" \
			EXTRA_CFLAGS="$flags" "$kbuild/obj/blk/disk.o" 2>&1); then
			fail "$flags was accepted"
		fi
		echo "$out" >>"$log"
		flags=${flags#-D}
		grep -q "#error \"${flags%%=*} must" <<<"$out" || fail "$flags: no #error naming it"
	done
}

# step_linux TRANSPORT [WORD...]: examples/bootloader (the row's run:
# bootloader.elf) boots Debian 12's arm64 kernel (tools/fetch-linux.sh,
# cached in BUILD/linux; SKIP when it cannot be fetched) from a GPT disk
# that tools/mkbootdisk.sh makes with BUILD/initrd.cpio, whose /init
# (tools/initrd/init.c) prints VBLK-BOOT-OK and powers off. The disk is
# attached after the row's disks, over virtio-mmio (mmio) or as -drive
# if=virtio (pci). WORDs: order=LIST (mkbootdisk.sh's --order; without
# cmdline the bootloader's built-in command line), corrupt-primary (LBA 1,
# the primary GPT header, zeroed), no-kernel (the disk has no kernel
# partition: the Debian kernel is not needed). The console's first kernel
# line and the marker are timed from QEMU's start (in the log and on
# stdout).
BOOT_TEST_CMDLINE="console=ttyAMA0 panic=-1"
step_linux() {
	local transport=$1 order=kernel,initrd,cmdline corrupt=0 image_file="" word pid start
	local truncate_to=""
	local first_line="" marker="" now
	for word in "${@:2}"; do
		case $word in
		order=*) order=${word#order=} ;;
		corrupt-primary) corrupt=1 ;;
		no-kernel) image_file=- ;;
		truncate=*) truncate_to=${word#truncate=} ;;
		*) fail "configs.txt: unknown linux word '$word'" ;;
		esac
	done
	if [ -z "$image_file" ]; then
		flock "$BUILD/linux.lock" "$ROOT/tools/fetch-linux.sh" "$BUILD/linux" >>"$log" 2>&1 ||
			skip "no Debian arm64 kernel: tools/fetch-linux.sh could not fetch it (log: $log)"
		image_file=$BUILD/linux/Image
	fi
	if [ -n "$truncate_to" ]; then # the kernel's first bytes only
		head -c "$truncate_to" "$image_file" >"$dir/Image.cut" || fail "cannot truncate the kernel"
		image_file=$dir/Image.cut
	fi
	[ -f "$BUILD/initrd.cpio" ] || fail "no $BUILD/initrd.cpio (make test-qemu builds it)"
	"$ROOT/tools/mkbootdisk.sh" --order "$order" "$image_file" "$BUILD/initrd.cpio" \
		"$dir/boot.img" "$BOOT_TEST_CMDLINE" >>"$log" 2>&1 || fail "mkbootdisk.sh failed"
	if [ "$corrupt" -eq 1 ]; then
		dd if=/dev/zero of="$dir/boot.img" bs=$SECTOR_BYTES seek=1 count=1 conv=notrunc \
			status=none || fail "cannot corrupt the primary GPT"
	fi
	case $transport in
	mmio) qemu_args+=(-drive "if=none,id=boot,format=raw,file=$dir/boot.img"
		-device virtio-blk-device,drive=boot) ;;
	pci) qemu_args+=(-drive "file=$dir/boot.img,if=virtio,format=raw") ;;
	*) fail "configs.txt: linux over '$transport'?" ;;
	esac
	qemu_args+=(-no-reboot) # a panic (panic=-1) ends the run at once
	# Linux takes 3 s to /init on a quiet host and 20 s on a busy one.
	[ "$QEMU_TIMEOUT_S" -ge 120 ] || QEMU_TIMEOUT_S=120
	start=$(date +%s%N)
	boot &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		now=$(date +%s%N)
		[ -n "$first_line" ] || ! grep -q 'Booting Linux on' "$log" ||
			first_line=$(((now - start) / 1000000))
		[ -n "$marker" ] || ! grep -q '^VBLK-BOOT-OK' "$log" ||
			marker=$(((now - start) / 1000000))
		sleep 0.02
	done
	wait "$pid"
	[ ! -f "$dir/result" ] || exit 0 # boot already gave a verdict
	if [ -n "$first_line" ]; then
		echo "INFO qemu/$cfg: the kernel's first line ${first_line} ms after QEMU started," \
			"/init's marker at ${marker:-?} ms" | tee -a "$log"
	fi
}

# Compiler flags are prerequisites (the Makefile's stamps, BUILD/.flags):
# on a copy of this build, the same flags leave the test image and diskpat
# up to date; other EXTRA_CFLAGS would recompile and relink the image,
# other HOST_CFLAGS rebuild diskpat; and back to the first flags, the image
# is out of date again. make -q and -n only look: nothing is compiled.
step_build_flags() {
	local fbuild=$dir/build image=$dir/build/vblk-test.elf diskpat=$dir/build/tools/diskpat out
	local fmake=(make --no-print-directory -C "$ROOT" BUILD="$fbuild")
	mkdir -p "$fbuild/tools" || fail "cannot create $fbuild"
	cp -a "$BUILD/obj" "$BUILD/libvblk.a" "$BUILD/libvblk-rt.a" "$BUILD/vblk-test.elf" "$fbuild/" ||
		fail "cannot copy the build in $BUILD"
	cp -a "$DISKPAT" "$fbuild/tools/" || fail "cannot copy $DISKPAT"
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
}

# step_debug_batch: make debug-batch's form on the row's machine and disks:
# tools/debug.sh starts QEMU halted with its gdb stub on a free port and
# gdb-multiarch runs tools/gdb/batch.gdb (the ring at vblk_read and at the
# first harvest, then the program to its end). The row's "says" patterns
# are looked for in gdb's output and the guest's console together; the
# program must end normally (QEMU exit status 0 through semihosting).
step_debug_batch() {
	local out=$dir/gdb.out console=$dir/guest-console.log status
	command -v gdb-multiarch >/dev/null 2>&1 ||
		skip "skipped: gdb-multiarch not installed (tools/deps.sh test installs it)"
	[ -f "$kernel" ] || fail "no $kernel (make test-qemu builds it)"
	DEBUG_CONSOLE=$console DEBUG_TIMEOUT_S=$QEMU_TIMEOUT_S \
		"$ROOT/tools/debug.sh" --batch "$kernel" "$QEMU" -machine "$machine" -cpu cortex-a53 \
		-m "$memory" -display none -monitor none -semihosting-config "$semihosting" \
		-kernel "$kernel" "${qemu_args[@]}" >"$out" 2>&1
	status=$?
	{
		echo "---- gdb (exit status $status):"
		cat "$out"
		echo "---- guest console:"
		cat "$console" 2>/dev/null
	} >>"$log"
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "gdb timed out after ${QEMU_TIMEOUT_S}s"
	[ "$status" -eq 0 ] || fail "gdb exit status $status"
	grep -q '^\[Inferior 1 (process 1) exited normally\]' "$out" ||
		fail "the program did not end normally under gdb"
	for pattern in "${says[@]}"; do
		grep -q -e "$pattern" "$out" "$console" || fail "no gdb or console line matching '$pattern'"
	done
}

# step_lab N VERDICT: make labN's check (tools/lab-check.sh) on the row's
# program, a lab's solution, its exercise as shipped or a wrong solution
# (tests/labs/): its verdict line must start "lab N: VERDICT" (PASSED, NOT
# DONE with the TODO named, or FAILED: and the start of the reason).
step_lab() {
	local lab=$1 want=${*:2} out status
	[ -f "$kernel" ] || fail "no $kernel (make lab-images builds it)"
	out=$(LAB_TIMEOUT_S=$QEMU_TIMEOUT_S QEMU=$QEMU "$ROOT/tools/lab-check.sh" "$lab" "$kernel" \
		"$dir/lab" 2>&1)
	status=$?
	echo "$out" >>"$log"
	case $want in
	PASSED) [ "$status" -eq 0 ] || fail "$(tail -n1 <<<"$out")" ;;
	"NOT DONE") [ "$status" -eq 2 ] || fail "expected NOT DONE, got: $(tail -n1 <<<"$out")" ;;
	FAILED*) [ "$status" -eq 1 ] || fail "expected FAILED, got: $(tail -n1 <<<"$out")" ;;
	esac
	grep -qF "lab $lab: $want" <<<"$(tail -n1 <<<"$out")" || fail "no 'lab $lab: $want' verdict"
}

# ---- the run ----------------------------------------------------------------

declare -A ROWS # name -> its row
NAMES=()        # in the table's order
read_table() {  # a line that starts with white space continues the row above
	local line row="" blank='^[[:space:]]*(#|$)'
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line =~ $blank ]] && continue
		if [[ $line == [[:space:]]* ]]; then
			row+=" $line"
			continue
		fi
		[ -z "$row" ] || add_row "$row"
		row=$line
	done <"$TABLE"
	[ -z "$row" ] || add_row "$row"
}
add_row() {
	local name
	read -r name <<<"${1%%|*}"
	[ -z "${ROWS[$name]:-}" ] || {
		echo "$TABLE: configuration '$name' twice" >&2
		exit 2
	}
	ROWS[$name]=$1
	NAMES+=("$name")
}

main() {
	local name running=0 passed=0 failed=0 skipped=0 line
	read_table
	selected=("$@")
	[ ${#selected[@]} -gt 0 ] || selected=("${NAMES[@]}")
	for name in "${selected[@]}"; do
		[ -n "${ROWS[$name]:-}" ] || {
			echo "$0: no configuration '$name' (have: ${NAMES[*]})" >&2
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

# What the integrity configurations that passed proved, summed.
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
