#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/newlib-toolchain.sh DIR: an aarch64-none-elf toolchain with newlib
# in DIR, for checking the image's newlib side without ARM's toolchain.
#
# The Makefile prefers aarch64-none-elf-gcc, whose C library is newlib
# (drivers/console.c and drivers/newlib.c bind it), and Debian has no such
# toolchain. This builds Debian's newlib (package newlib-source) for
# aarch64-none-elf with Debian's aarch64-linux-gnu-gcc used freestanding,
# and puts in DIR/bin an aarch64-none-elf-gcc that is that compiler
# without the Linux headers, with newlib's headers and libraries as its
# own (as ARM's has them), beside aarch64-none-elf- names for binutils.
#   PATH=DIR/bin:$PATH make      builds the image against newlib
# About two minutes on two cores; a DIR that is complete is kept.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
# Kept only if made with the configure flags below: a DIR made before
# they changed is made again.
NEWLIB_FLAGS="--disable-newlib-supplied-syscalls --disable-multilib --disable-nls
	--enable-newlib-io-c99-formats --enable-newlib-io-long-long"
[ -f "$DIR/.complete" ] && [ "$(cat "$DIR/.complete")" = "$NEWLIB_FLAGS" ] && exit 0
rm -f "$DIR/.complete"

SRC_TAR=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | head -n 1)
if [ -z "$SRC_TAR" ]; then
	echo "newlib-toolchain: no /usr/src/newlib/newlib-*.tar.*: apt-get install newlib-source" >&2
	exit 1
fi
GCC_INCLUDE=$(aarch64-linux-gnu-gcc -print-file-name=include)
PREFIX=$DIR/newlib
TARGET=aarch64-none-elf

rm -rf "$DIR/src" "$DIR/obj" "$DIR/bin" "$PREFIX"
mkdir -p "$DIR/src" "$DIR/obj" "$DIR/bin"

# The compiler newlib is built with, then the image: no Linux in sight
# (its predefined macros undefined, its system headers not searched).
write_gcc() {   # write_gcc EXTRA_FLAGS
	cat >"$DIR/bin/$TARGET-gcc" <<EOF
#!/bin/sh
exec aarch64-linux-gnu-gcc -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -nostdinc \\
	-isystem $GCC_INCLUDE $1 "\$@"
EOF
	chmod +x "$DIR/bin/$TARGET-gcc"
}
write_gcc ""
for tool in ar as ld nm objcopy objdump ranlib readelf strip; do
	ln -s "$(command -v aarch64-linux-gnu-$tool)" "$DIR/bin/$TARGET-$tool"
done

tar -xf "$SRC_TAR" -C "$DIR/src" --strip-components=1
cd "$DIR/obj"
# shellcheck disable=SC2086 # NEWLIB_FLAGS is a list of words
PATH=$DIR/bin:$PATH "$DIR/src/configure" --target=$TARGET --prefix="$PREFIX" \
	$NEWLIB_FLAGS >"$DIR/configure.log" 2>&1
PATH=$DIR/bin:$PATH make -j"$(nproc)" all-target-newlib >"$DIR/make.log" 2>&1
PATH=$DIR/bin:$PATH make install-target-newlib >>"$DIR/make.log" 2>&1

write_gcc "-isystem $PREFIX/$TARGET/include -L$PREFIX/$TARGET/lib"
rm -rf "$DIR/src" "$DIR/obj"
printf '%s\n' "$NEWLIB_FLAGS" >"$DIR/.complete"
