#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/debug.sh [--batch] ELF QEMU [QEMU-ARG...]: make debug and make
# debug-batch. Starts QEMU halted before the first instruction with its gdb
# stub on a free local port (-S -gdb tcp:127.0.0.1:PORT), then gdb-multiarch
# on ELF (its symbols) attached to it with tools/gdb/vblk.py loaded
# (vblk-disks, vblk-ring, vblk-chain: docs/debug.md). QEMU is stopped when
# gdb exits.
#
# Interactive: the guest's console goes to DEBUG_CONSOLE (default: this
# terminal, /dev/tty, else BUILD's debug-console.log beside ELF).
# --batch: gdb runs tools/gdb/batch.gdb (or DEBUG_SCRIPT) without a prompt
# and the console goes to DEBUG_CONSOLE (default debug-console.log beside
# ELF); exit status: gdb's, or 124 after DEBUG_TIMEOUT_S (default 120).
#
# Environment: GDB (default gdb-multiarch).
set -uo pipefail

batch=0
if [ "${1:-}" = --batch ]; then
	batch=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: $0 [--batch] ELF QEMU [QEMU-ARG...]" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
elf=$1
shift
GDB=${GDB:-gdb-multiarch}
command -v "$GDB" >/dev/null 2>&1 || {
	echo "debug: no $GDB (tools/deps.sh debug installs gdb-multiarch)" >&2
	exit 1
}

# A port nobody listens on now; QEMU takes it a moment later.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || exit 1

if [ -z "${DEBUG_CONSOLE:-}" ]; then
	DEBUG_CONSOLE=$(dirname "$elf")/debug-console.log
	if [ "$batch" -eq 0 ] && { : >/dev/tty; } 2>/dev/null; then
		DEBUG_CONSOLE=/dev/tty
	fi
fi
[ "$DEBUG_CONSOLE" = /dev/tty ] || : >"$DEBUG_CONSOLE"

"$@" -S -gdb "tcp:127.0.0.1:$port" -serial "file:$DEBUG_CONSOLE" </dev/null &
qemu=$!
stop_qemu() { kill "$qemu" 2>/dev/null && wait "$qemu" 2>/dev/null; }
trap stop_qemu EXIT

# Wait for the stub to listen (QEMU exits at once on a bad argument).
for _ in $(seq 1 100); do
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' \
		"$port" 2>/dev/null && break
	kill -0 "$qemu" 2>/dev/null || {
		wait "$qemu"
		echo "debug: QEMU exited before its gdb stub listened" >&2
		exit 1
	}
	sleep 0.1
done

gdb_args=(-q -nx -ex "set architecture aarch64" -ex "file $elf"
	-ex "source $ROOT/tools/gdb/vblk.py" -ex "target remote 127.0.0.1:$port")
if [ "$batch" -eq 1 ]; then
	echo "debug: QEMU halted, gdb stub on 127.0.0.1:$port; console in $DEBUG_CONSOLE" >&2
	timeout --kill-after=5 "${DEBUG_TIMEOUT_S:-120}" "$GDB" -batch "${gdb_args[@]}" \
		-x "${DEBUG_SCRIPT:-$ROOT/tools/gdb/batch.gdb}" </dev/null
	exit $?
fi
echo "debug: QEMU halted before its first instruction; gdb stub on 127.0.0.1:$port" >&2
echo "debug: console: $DEBUG_CONSOLE; try: break vblk_read, continue, vblk-ring (docs/debug.md)" >&2
"$GDB" "${gdb_args[@]}" -x "$ROOT/tools/gdb/quit.gdb"
