#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run-headers.sh BUILD_DIR: the public headers (include/vblk/) are
# all an application needs, and show it nothing of the library's inside.
#   - each header compiles on its own, and included twice, with the
#     image's flags (-Wall -Wextra -Werror) and -Iinclude alone;
#   - none holds inline assembly or includes a header outside vblk/;
#   - with all of them included, the library's internal names (the MMIO
#     accessors, barriers, time and IRQ masking of plat/platform.h) are
#     free for a program to use;
#   - the programs written against them compile with -Iinclude alone:
#     bench/bench.c, examples/*.c, examples/firmware/main.c;
#   - each header compiles as C++11 and C++20 too (the host's C++
#     compiler, HOST_CXX), and a C++ program can use the bio API.
# Each check is a small C file under BUILD_DIR/headers/, compiled to an
# object through the Makefile's own rule, which gives an application's
# object the public include path only; a program is included there by its
# absolute path, so its own quoted includes are looked up beside it and
# in include/, never from the top of the tree. Ends with
# "N passed, N failed".
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

dir=$BUILD/headers
rm -rf "$dir" "$BUILD/obj/$dir"
mkdir -p "$dir"
passed=0
failed=0

pass() { echo "PASS headers/$1"; passed=$((passed + 1)); }
fail() { echo "FAIL headers/$1"; failed=$((failed + 1)); }

# compiles NAME WHAT: BUILD_DIR/headers/NAME.c compiles to an object,
# and the command that compiled it searched include/ and nothing else.
compiles() {
	local out paths
	if ! out=$(make --no-print-directory V=1 BUILD="$BUILD" "$BUILD/obj/$dir/$1.o" 2>&1); then
		echo "$out"
		fail "$1: $2 does not compile with -Iinclude alone"
		return
	fi
	paths=$(echo "$out" | grep -- " -c .*$dir/$1\.c" |
		grep -oE -- '(^|[[:space:]])-(I|iquote|idirafter)[[:space:]]*[^[:space:]]+' |
		sed -E 's/[[:space:]]+//g' | sort -u | tr '\n' ' ')
	if [ "$paths" = "-Iinclude " ]; then
		pass "$1: $2"
	else
		echo "$out"
		fail "$1: $2 was compiled with include paths '$paths', not -Iinclude alone"
	fi
}

headers=(include/vblk/*.h)
for header in "${headers[@]}"; do
	name=${header#include/}
	base=$(basename "$header" .h)
	printf '#include "%s"\n#include "%s"\n' "$name" "$name" >"$dir/alone_$base.c"
	compiles "alone_$base" "$name on its own"

	asm=$(grep -nE '\b(__asm__|__asm|asm)\b' "$header")
	if [ -n "$asm" ]; then
		echo "$asm"
		fail "clean_$base: $name holds inline assembly"
	else
		pass "clean_$base: $name holds no inline assembly"
	fi
	outside=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$header" |
		grep -vE '"vblk/[a-z_]+\.h"')
	if [ -n "$outside" ]; then
		echo "$outside"
		fail "self_$base: $name includes a header outside include/vblk/"
	else
		pass "self_$base: $name includes only vblk/ headers"
	fi
done

# Were any of these declared by a public header, declaring them again as
# enumerators would not compile.
{
	for header in "${headers[@]}"; do
		printf '#include "%s"\n' "${header#include/}"
	done
	cat <<'EOF'

/* The library's hardware access (plat/platform.h) stays inside it. */
enum internal_names_are_free {
	plat_mmio_read32, plat_mmio_read16, plat_mmio_read8,
	plat_mmio_write32, plat_mmio_write8,
	plat_wmb, plat_rmb, plat_mb,
	plat_counter, plat_counter_hz, plat_time_us, plat_cpu_relax,
	plat_irq_save, plat_irq_restore, plat_irqflags_t,
	host_mmio_read, host_mmio_write, host_time_us, host_cpu_relax,
	board_from_fdt, rt_board, virtio_dt_find, fdt_open,
};
EOF
} >"$dir/internal_names.c"
compiles internal_names "every public header, the library's internal names left free"

programs=(bench/bench.c examples/*.c examples/firmware/main.c)
for program in "${programs[@]}"; do
	name=program_$(echo "${program%.c}" | tr '/' '_')
	printf '#include "%s/%s"\n' "$ROOT" "$program" >"$dir/$name.c"
	compiles "$name" "$program"
done

# A firmware written in C++ includes the same headers: each must compile
# there too (extern "C", no C-only keywords), and a bio's `private` is
# `private_` in C++, where `private` is a keyword.
cxx=${HOST_CXX:-c++}
cat >"$dir/cxx_program.cc" <<'EOF'
#include "vblk/vblk.h"
#include "vblk/gpt.h"
#include "vblk/runtime.h"

static void done(struct vblk_bio *bio, int status)
{
	*static_cast<int *>(bio->private_) = status;
}

int read_one(struct vblk_disk *disk, void *buf, int *result)
{
	struct vblk_seg seg = { buf, 4096 };
	struct vblk_bio bio = {};
	bio.op = VBLK_OP_READ;
	bio.segs = &seg;
	bio.nsegs = 1;
	bio.done = done;
	bio.private_ = result;
	int err = vblk_submit(disk, &bio);
	if (err)
		return err;
	struct vblk_bio *bios[] = { &bio };
	return vblk_wait_bios(disk, bios, 1);
}
EOF
for std in c++11 c++20; do
	for header in "${headers[@]}"; do
		base=$(basename "$header" .h)
		if echo "#include \"${header#include/}\"" |
			"$cxx" -std=$std -fsyntax-only -Wall -Wextra -Wpedantic -Werror -Iinclude -x c++ -; then
			pass "cxx_${base}_$std: ${header#include/} compiles as $std"
		else
			fail "cxx_${base}_$std: ${header#include/} does not compile as $std"
		fi
	done
done
if "$cxx" -std=c++11 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -Iinclude "$dir/cxx_program.cc"; then
	pass "cxx_program: a C++ program submits and waits for a bio"
else
	fail "cxx_program: a C++ program using the bio API does not compile"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
