#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run-build.sh BUILD_DIR: what a firmware author takes vblk with.
#   spdx      every tracked source file (C, assembly, link scripts, DTS,
#             shell, Python, Makefiles, *.mk, CMake, scripts with a #!)
#             says "SPDX-License-Identifier: MIT" in its first 5 lines
#   version   VERSION is MAJOR.MINOR.PATCH; vblk/version.h's macros say
#             the same, vblk.h includes it, CHANGELOG.md has its section
#   install   make install PREFIX=BUILD_DIR/pkg/prefix puts every file
#             where README.md says, the configs carry VERSION
#   examples/firmware built out of tree, each way README.md shows, and
#   booted in QEMU as tests/qemu/configs.txt's row "firmware" (its copy of
#   the disk's first 4 KiB checked on the host):
#     fw_mk_source     vblk.mk from the source tree (sources compiled by
#                      the firmware's Makefile, with a tunable)
#     fw_mk_installed  vblk.mk from the install (libvblk.a linked)
#     fw_cmake_subdir  CMake add_subdirectory(vblk), -Werror, a tunable;
#                      its libvblk.a holds exactly vblk.mk's sources
#     fw_cmake_find    CMake find_package(vblk) in the install
#   app_installed_runtime  examples/checksum.c built by
#             examples/runtime-app.mk against the installed libvblk-rt.a,
#             linker.ld and libvblk.a, booted as
#             the row "checksum" (its CRC-32 of the disk is zlib's)
#   app_source_runtime  the same against the source tree: vblk.mk's
#             sources and runtime files compiled with its VBLK_CFLAGS
#   app_relative_vblk_dir  the same from a directory of the application's
#             own, VBLK_DIR relative to it: every object under O
#   newlib    the image built with an aarch64-none-elf toolchain, whose C
#             library is newlib (tools/newlib-toolchain.sh makes one from
#             Debian's newlib source, kept in BUILD_DIR/newlib-toolchain),
#             booted as the row "demo"
# Ends with "N passed, N failed".
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1" && BUILD=$(cd "$1" && pwd) || exit 2
cd "$ROOT" || exit 2

WORK=$BUILD/pkg
PREFIX=$WORK/prefix
rm -rf "$WORK"
mkdir -p "$WORK"
passed=0
failed=0
pass() { echo "PASS build/$1"; passed=$((passed + 1)); }
fail() { echo "FAIL build/$1"; failed=$((failed + 1)); }

# run NAME COMMAND...: the command's output goes to WORK/NAME.log; on
# failure its last lines are shown and the status returned.
run() {
	local name=$1 status start=$SECONDS
	shift
	"$@" >>"$WORK/$name.log" 2>&1
	status=$?
	echo "run: $((SECONDS - start)) s: $*" >>"$WORK/times.log"
	if [ $status -ne 0 ]; then
		echo "\$ $* (exit status $status; log: $WORK/$name.log)"
		tail -n 15 "$WORK/$name.log" | sed 's/^/    /'
	fi
	return $status
}

# ---- licence lines ------------------------------------------------------
check_spdx() {
	local missing files
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		mapfile -t files < <(git -C "$ROOT" ls-files)
	else # an exported tree: every file but the build's
		mapfile -t files < <(find . -type f -not -path './build*' -not -path './.git/*' |
			sed 's|^\./||')
	fi
	# One awk for all files: a source file by its name, or a script by its
	# first line, is missing its line unless one of its first 5 says it.
	missing=$(awk '
		function verdict() { if (source && !found) print name }
		FNR == 1 {
			if (NR > 1) verdict()
			name = FILENAME; found = 0
			source = name ~ /\.(c|h|S|ld|dts|sh|py|mk|cmake|cmake\.in|pc\.in)$/ ||
				 name ~ /(^|\/)(Makefile|CMakeLists\.txt)$/ || $0 ~ /^#!/
		}
		FNR <= 5 && /SPDX-License-Identifier: MIT/ { found = 1 }
		FNR > 5 { nextfile }
		END { if (NR > 0) verdict() }
	' "${files[@]}")
	if [ -z "$missing" ]; then
		pass "spdx: ${#files[@]} tracked files, every source file has its SPDX line"
	else
		echo "    no \"SPDX-License-Identifier: MIT\" in the first 5 lines:"
		echo "$missing" | sed 's/^/    /'
		fail "spdx: $(wc -l <<<"$missing") source file(s) without an SPDX line"
	fi
}

# ---- the version, said four times ---------------------------------------
VERSION=$(tr -d '[:space:]' <VERSION)
check_version() {
	local header=include/vblk/version.h why="" major minor patch
	if [[ ! $VERSION =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]]; then
		fail "version: VERSION holds '$VERSION', not MAJOR.MINOR.PATCH"
		return
	fi
	major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]}
	grep -qE "^#define VBLK_VERSION_MAJOR $major\$" $header || why+=" VBLK_VERSION_MAJOR"
	grep -qE "^#define VBLK_VERSION_MINOR $minor\$" $header || why+=" VBLK_VERSION_MINOR"
	grep -qE "^#define VBLK_VERSION_PATCH $patch\$" $header || why+=" VBLK_VERSION_PATCH"
	grep -qF "#define VBLK_VERSION \"$VERSION\"" $header || why+=" VBLK_VERSION"
	grep -qF '#include "vblk/version.h"' include/vblk/vblk.h || why+=" (vblk.h does not include it)"
	grep -qF "## [$VERSION]" CHANGELOG.md || why+=" (no '## [$VERSION]' in CHANGELOG.md)"
	if [ -z "$why" ]; then
		pass "version: $VERSION in VERSION, $header and CHANGELOG.md"
	else
		fail "version: VERSION says $VERSION; disagreeing:$why"
	fi
}

# ---- make install ---------------------------------------------------------
check_install() {
	local file missing=""
	if ! run install make --no-print-directory BUILD="$BUILD" PREFIX="$PREFIX" install; then
		fail "install: make install PREFIX=$PREFIX failed"
		return 1
	fi
	for file in lib/libvblk.a lib/libvblk-rt.a include/vblk/vblk.h include/vblk/version.h \
		lib/cmake/vblk/vblkConfig.cmake lib/cmake/vblk/vblkConfigVersion.cmake \
		lib/cmake/vblk/aarch64-toolchain.cmake lib/pkgconfig/vblk.pc share/vblk/vblk.mk \
		share/vblk/vblk-installed.mk share/vblk/linker.ld share/doc/vblk/LICENSE; do
		[ -f "$PREFIX/$file" ] || missing+=" $file"
	done
	grep -q "^Version: $VERSION\$" "$PREFIX/lib/pkgconfig/vblk.pc" || missing+=" (vblk.pc's Version)"
	grep -q "^set(PACKAGE_VERSION \"$VERSION\")" "$PREFIX/lib/cmake/vblk/vblkConfigVersion.cmake" ||
		missing+=" (vblkConfigVersion.cmake's version)"
	if [ -z "$missing" ]; then
		pass "install: make install PREFIX=... (archives, headers, vblk.mk, CMake, pkg-config)"
	else
		fail "install: missing or wrong:$missing"
	fi
}

# boot NAME ROW ELF: tests/qemu/run.sh boots ELF as configs.txt's ROW.
boot() {
	local name=$1 row=$2 elf=$3 dir=$WORK/$1/boot
	mkdir -p "$dir/tools"
	ln -sf "$elf" "$dir/$(basename "$elf")"
	[ ! -x "$BUILD/tools/diskpat" ] || ln -sf "$BUILD/tools/diskpat" "$dir/tools/diskpat"
	run "$name" "$ROOT/tests/qemu/run.sh" "$dir" "$row"
}

# firmware NAME WHAT BUILD-COMMAND...: build, then boot WORK/NAME/firmware.elf.
firmware() {
	local name=$1 what=$2
	shift 2
	if ! run "$name" "$@"; then
		fail "$name: $what: the build failed"
	elif ! boot "$name" firmware "$WORK/$name/firmware.elf"; then
		fail "$name: $what: built, but did not pass the QEMU row firmware"
	else
		pass "$name: $what: built and passed the QEMU row firmware"
	fi
}

TOOLCHAIN=cmake/aarch64-toolchain.cmake
check_spdx
check_version
firmware fw_mk_source "vblk.mk in the source tree" \
	make --no-print-directory -j2 -C examples/firmware VBLK_DIR="$ROOT" \
	VBLK_CONFIG=-DVBLK_QUEUE_SIZE=64 O="$WORK/fw_mk_source"
firmware fw_cmake_subdir "CMake add_subdirectory" \
	bash -c 'cmake -S examples/firmware -B "$1" -DCMAKE_TOOLCHAIN_FILE="$2" \
		-DVBLK_SOURCE_DIR="$3" -DVBLK_WERROR=ON -DVBLK_CONFIG=VBLK_QUEUE_SIZE=64 &&
		cmake --build "$1" -j2' _ "$WORK/fw_cmake_subdir" "$ROOT/$TOOLCHAIN" "$ROOT"
# The CMake build's library is made of vblk.mk's sources, no more, no less.
cmake_objs=$(ar t "$WORK/fw_cmake_subdir/vblk/libvblk.a" 2>/dev/null | sed 's/\.c\.obj$//' | sort)
mk_srcs=$(make --no-print-directory -s -f - <<'EOF' | tr ' ' '\n' | sed 's|.*/||; s/\.c$//' | sort
VBLK_DIR := .
include vblk.mk
all: ; @echo $(VBLK_SRCS)
EOF
)
if [ -n "$mk_srcs" ] && [ "$cmake_objs" = "$mk_srcs" ]; then
	pass "cmake_sources: CMake's libvblk.a holds vblk.mk's $(wc -l <<<"$mk_srcs") sources"
else
	diff <(echo "$mk_srcs") <(echo "$cmake_objs") | sed 's/^/    /'
	fail "cmake_sources: CMake's libvblk.a and vblk.mk's VBLK_SRCS differ (< vblk.mk, > CMake)"
fi

# The small profile of docs/design.md ("A small profile"): it builds, a
# disk takes the 12 KiB it says, and the example firmware runs on it.
SMALL_PROFILE="-DVBLK_POOL_BYTES=12288 -DVBLK_MAX_DISKS=1 -DVBLK_QUEUE_SIZE=16 -DVBLK_MAX_REQS=8"
SMALL_PROFILE="$SMALL_PROFILE -DVBLK_INDIRECT_TABLES=1 -DVBLK_INDIRECT_MAX=16"
name=small_profile
if ! run $name make --no-print-directory BUILD="$WORK/$name-size" EXTRA_CFLAGS="$SMALL_PROFILE" size; then
	fail "$name: make size did not build it"
elif ! grep -Eq '^  one disk \(vblk_disk_bytes\(\)\) +12288 bytes$' "$WORK/$name.log"; then
	grep 'one disk' "$WORK/$name.log" | sed 's/^/    /'
	fail "$name: a disk does not take the 12 KiB docs/design.md says"
else
	firmware $name "the small profile, 12 KiB a disk" \
		make --no-print-directory -j2 -C examples/firmware VBLK_DIR="$ROOT" \
		VBLK_CONFIG="$SMALL_PROFILE" O="$WORK/$name"
fi

# app NAME WHAT VBLK_DIR: examples/checksum.c built by runtime-app.mk on
# the runtime VBLK_DIR gives, booted as the QEMU row checksum.
app() {
	local name=$1 what="examples/checksum.c on $2"
	if ! run "$name" make --no-print-directory -j2 -f examples/runtime-app.mk VBLK_DIR="$3" \
		APP=examples/checksum.c O="$WORK/$name"; then
		fail "$name: $what: the build failed"
	elif ! boot "$name" checksum "$WORK/$name/checksum.elf"; then
		fail "$name: $what: did not pass the QEMU row checksum"
	else
		pass "$name: $what: built and passed the QEMU row checksum"
	fi
}

# From the source tree, with vblk.mk's flags only (the project's own
# Makefile adds none the runtime needs).
app app_source_runtime "the runtime from the source tree" "$ROOT"

# From the application's own directory, VBLK_DIR relative to it: every
# object stays under O (a `..` in VBLK_DIR once led the library's objects
# out of it, into directories nobody named).
name=app_relative_vblk_dir
appdir=$WORK/$name/src/sub/dir
rm -rf "$WORK/$name" && mkdir -p "$appdir" && cp examples/checksum.c "$appdir/"
rel=$(realpath --relative-to="$appdir" "$ROOT")
if ! run "$name" make --no-print-directory -j2 -C "$appdir" -f "$rel/examples/runtime-app.mk" \
	VBLK_DIR="$rel" APP=checksum.c O=out; then
	fail "$name: runtime-app.mk with a relative VBLK_DIR: the build failed"
elif [ ! -f "$appdir/out/vblk/blk/api.o" ] || [ -n "$(find "$appdir" -name '*.o' ! -path "$appdir/out/*")" ]; then
	fail "$name: runtime-app.mk with a relative VBLK_DIR put objects outside O (no out/vblk/blk/api.o)"
elif ! boot "$name" checksum "$appdir/out/checksum.elf"; then
	fail "$name: runtime-app.mk with a relative VBLK_DIR: did not pass the QEMU row checksum"
else
	pass "$name: runtime-app.mk with VBLK_DIR relative to the application: objects under O, passed the row checksum"
fi

if check_install; then
	firmware fw_mk_installed "vblk.mk in the install" \
		make --no-print-directory -C examples/firmware VBLK_DIR="$PREFIX" O="$WORK/fw_mk_installed"
	firmware fw_cmake_find "CMake find_package after make install" \
		bash -c 'cmake -S examples/firmware -B "$1" -DCMAKE_TOOLCHAIN_FILE="$2" \
			-DCMAKE_PREFIX_PATH="$3" && cmake --build "$1" -j2' \
		_ "$WORK/fw_cmake_find" "$PREFIX/lib/cmake/vblk/aarch64-toolchain.cmake" "$PREFIX"
	# An application on the installed runtime, linked as README.md shows.
	app app_installed_runtime "the installed runtime" "$PREFIX"
else
	for name in fw_mk_installed fw_cmake_find app_installed_runtime; do
		fail "$name: not run: make install failed"
	done
fi

# ---- make run in another disk format ----------------------------------
# README.md: DISK_FORMAT=qcow2 makes the scratch disk in that format.
name=run_qcow2
rm -f "$BUILD/disk.qcow2"
if ! run $name make --no-print-directory BUILD="$BUILD" DISK_FORMAT=qcow2 \
	QEMU="timeout 120 qemu-system-aarch64" run-image; then
	fail "$name: make run-image DISK_FORMAT=qcow2 did not end well"
elif ! qemu-img info "$BUILD/disk.qcow2" 2>/dev/null | grep -q '^file format: qcow2$' ||
	! grep -q '^demo passed' "$WORK/$name.log"; then
	fail "$name: no qcow2 scratch disk, or the demo did not pass on it"
else
	pass "$name: make run-image DISK_FORMAT=qcow2 made build/disk.qcow2 and the demo passed"
fi
rm -f "$BUILD/disk.qcow2"

# ---- the other C library ------------------------------------------------
# The Makefile takes aarch64-none-elf-gcc when it is on PATH, and with it
# newlib instead of picolibc: the console and newlib's system calls
# (drivers/console.c, drivers/newlib.c) are built and booted that way.
name=newlib
if ! run $name tools/newlib-toolchain.sh "$BUILD/newlib-toolchain"; then
	fail "$name: the aarch64-none-elf toolchain with newlib could not be made"
elif ! PATH="$BUILD/newlib-toolchain/bin:$PATH" run $name \
	make --no-print-directory -j2 BUILD="$WORK/$name" "$WORK/$name/vblk.elf"; then
	fail "$name: the image did not build with aarch64-none-elf-gcc and newlib"
elif ! aarch64-linux-gnu-nm "$WORK/$name/vblk.elf" | grep ' T _write_r$' >/dev/null; then
	fail "$name: built, but not against newlib (no _write_r in the image)"
elif ! boot $name demo "$WORK/$name/vblk.elf"; then
	fail "$name: built with newlib, but did not pass the QEMU row demo"
else
	pass "$name: built with aarch64-none-elf-gcc and newlib, passed the QEMU row demo"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
