#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/fetch-linux.sh DIR: Debian 12's arm64 kernel as a raw Image, in
# DIR/Image (and its version in DIR/version), for the bootloader's QEMU
# test. Quick when DIR/Image is there.
#
# The package (linux-image-arm64, for architecture arm64, and the
# versioned linux-image-*-arm64 it depends on) comes through apt from the
# sources this machine already uses, read into package lists of its own
# under DIR/apt: nothing of the system's apt configuration changes, and
# root is not needed. Its boot/vmlinuz-* is unpacked with dpkg-deb; on
# bookworm it is already an uncompressed Image, and a gzip-compressed one
# is decompressed. Exits 1 with the reason when the kernel cannot be had
# (no network, no apt): the test then skips.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
[ -s "$dir/Image" ] && exit 0
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
	{ echo "fetch-linux: no apt-get/dpkg-deb here" >&2; exit 1; }

apt_dir=$dir/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$dir/deb"
apt_opts=(-q -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o APT::Architecture=arm64 -o APT::Architectures=arm64 -o Debug::NoLocking=1)

apt-get "${apt_opts[@]}" update >"$dir/apt.log" 2>&1 ||
	{ echo "fetch-linux: apt-get update failed (offline?): see $dir/apt.log" >&2; exit 1; }
package=$(apt-cache "${apt_opts[@]}" depends linux-image-arm64 2>>"$dir/apt.log" |
	sed -n 's/^ *Depends: \(linux-image-[0-9].*-arm64\)$/\1/p' | head -n 1)
[ -n "$package" ] ||
	{ echo "fetch-linux: no linux-image-*-arm64 behind linux-image-arm64" >&2; exit 1; }
rm -f "$dir"/deb/*.deb
(cd "$dir/deb" && apt-get "${apt_opts[@]}" download "$package") >>"$dir/apt.log" 2>&1 ||
	{ echo "fetch-linux: apt-get download $package failed: see $dir/apt.log" >&2; exit 1; }

rm -rf "$dir/x"
dpkg-deb -x "$dir"/deb/*.deb "$dir/x"
vmlinuz=$(ls "$dir"/x/boot/vmlinuz-* | head -n 1)
if [ "$(head -c 2 "$vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
	gzip -dc "$vmlinuz" >"$dir/Image.tmp"
else
	cp "$vmlinuz" "$dir/Image.tmp"
fi
basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$dir/version"
rm -rf "$dir/x" "$dir/deb" "$apt_dir"
mv "$dir/Image.tmp" "$dir/Image"
echo "fetch-linux: $(cat "$dir/version") in $dir/Image" >&2
