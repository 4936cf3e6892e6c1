#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/deps.sh {run|test|bench|peers|debug}: make sure what `make run`, `make test`,
# `make bench`, `make bench-peers` or `make debug` needs is installed (Debian 12 package names). Quick
# and silent when everything is there, since make calls it on every
# run/test. When something is missing:
# as root, `apt-get update` once and `apt-get install -y` the packages; as
# another user, print the command to run and exit 1.
set -euo pipefail

mode=${1:-}
case $mode in
run | test | bench | peers | debug) ;;
*)
	echo "usage: $0 {run|test|bench|peers|debug}" >&2
	exit 2
	;;
esac

# sfdisk is in /usr/sbin, which is not in a Debian user's PATH: look
# there too, as tools/mkbootdisk.sh does, or a user is told to install
# fdisk for ever.
PATH=$PATH:/usr/sbin:/sbin

PICOLIBC=${PICOLIBC:-/usr/lib/picolibc/aarch64-linux-gnu}
UBOOT_BIN=${UBOOT_BIN:-/usr/lib/u-boot/qemu_arm64/u-boot.bin}

missing=()   # what is absent, for the message
packages=()  # the Debian packages that provide it

need() {     # need WHAT PACKAGE...: record a missing item
	missing+=("$1")
	shift
	packages+=("$@")
}

have() { command -v "$1" >/dev/null 2>&1; }

check_run() {
	# The Makefile prefers aarch64-none-elf-gcc (with its newlib) and falls
	# back to Debian's aarch64-linux-gnu-gcc used freestanding with picolibc.
	if ! have aarch64-none-elf-gcc; then
		have aarch64-linux-gnu-gcc ||
			need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
		if [ ! -f "$PICOLIBC/include/stdio.h" ] || [ ! -f "$PICOLIBC/lib/libc.a" ]; then
			need "picolibc ($PICOLIBC)" picolibc-aarch64-linux-gnu
		fi
	fi
	have qemu-system-aarch64 || need qemu-system-aarch64 qemu-system-arm
	have qemu-img || need qemu-img qemu-utils
}

check_test() {
	check_run
	have "${HOST_CC:-cc}" || need "${HOST_CC:-cc}" gcc libc6-dev
	have "${HOST_CXX:-c++}" || need "${HOST_CXX:-c++}" g++  # tests/run-headers.sh: the headers as C++
	[ -f /usr/include/cmocka.h ] || need cmocka libcmocka-dev
	have clang || need clang clang lld
	have dtc || need dtc device-tree-compiler
	have timeout || need timeout coreutils
	have cmp || need cmp diffutils
	have patch || need patch patch  # the labs' wrong solutions (Makefile: lab-images)
	have python3 || need python3 python3  # tools/qmp.py (resize tests)
	# the bootloader's test disk (tools/mkbootdisk.sh) and initramfs
	have sfdisk || need sfdisk fdisk
	have cpio || need cpio cpio
	have dpkg-deb || need dpkg-deb dpkg  # tools/fetch-linux.sh
	have cmake || need cmake cmake  # tests/run-build.sh: CMake builds of examples/firmware
	# tests/run-build.sh: the image with newlib (tools/newlib-toolchain.sh)
	compgen -G '/usr/src/newlib/newlib-*.tar.*' >/dev/null || need "newlib's source" newlib-source
	have xz || need xz xz-utils  # tools/newlib-toolchain.sh unpacks newlib-*.tar.xz
	have aarch64-linux-gnu-gcc ||
		need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
	# the debug-batch rows (tests/qemu/run.sh step_debug_batch)
	have gdb-multiarch || need gdb-multiarch gdb-multiarch
	# the uboot rows: vblk started by Debian's U-Boot (tests/qemu/run.sh)
	[ -f "$UBOOT_BIN" ] || need "U-Boot for qemu_arm64 ($UBOOT_BIN)" u-boot-qemu
}

# make debug: the image and QEMU, plus gdb-multiarch (it debugs aarch64
# and embeds Python, which tools/gdb/vblk.py needs) and python3
# (tools/debug.sh finds a free port with it).
check_debug() {
	check_run
	have gdb-multiarch || need gdb-multiarch gdb-multiarch
	have python3 || need python3 python3
	have timeout || need timeout coreutils
}

# make bench: the image and QEMU, plus valgrind (tools/ring-cost.sh counts
# the ring's instructions with callgrind) and a host compiler.
check_bench() {
	check_run
	have valgrind || need valgrind valgrind
	have "${HOST_CC:-cc}" || need "${HOST_CC:-cc}" gcc libc6-dev
}

# make bench-peers: the bench's needs, plus Debian's U-Boot for qemu_arm64
# (the peer it is timed against) and python3 (tools/uboot_bench.py).
check_peers() {
	check_run
	[ -f "$UBOOT_BIN" ] || need "U-Boot for qemu_arm64 ($UBOOT_BIN)" u-boot-qemu
	have python3 || need python3 python3
	have timeout || need timeout coreutils
}

"check_$mode"
[ ${#missing[@]} -eq 0 ] && exit 0

# De-duplicate, keeping the order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | awk '!seen[$0]++')
target=$mode
[ "$mode" = peers ] && target=bench-peers
echo "deps: missing for 'make $target': ${missing[*]}" >&2

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: install them with:" >&2
	if have sudo; then
		echo "  sudo apt-get update && sudo apt-get install -y ${packages[*]}" >&2
	else  # a Debian installed with a root password has no sudo
		echo "  su -c 'apt-get update && apt-get install -y ${packages[*]}'" >&2
	fi
	exit 1
fi
if ! have apt-get; then
	echo "deps: no apt-get here; install the equivalents of: ${packages[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
echo "deps: apt-get install ${packages[*]}" >&2
apt-get "${apt_opts[@]}" update >&2
apt-get "${apt_opts[@]}" install "${packages[@]}" >&2

# Check again: a package that installed but did not provide the tool is an
# error worth stopping for, not something to find out later in a build.
missing=()
packages=()
"check_$mode"
if [ ${#missing[@]} -ne 0 ]; then
	echo "deps: still missing after install: ${missing[*]}" >&2
	exit 1
fi
echo "deps: ok" >&2
