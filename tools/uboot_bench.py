#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/uboot_bench.py: time Debian's U-Boot's virtio-blk driver in QEMU.

What tools/bench-peers.sh (`make bench-peers`) runs for the U-Boot side.
It boots U-Boot for qemu_arm64 (-bios) on the scratch image, stops the
autoboot, and drives its serial console over pipes: `virtio scan`, then
loops of `virtio read` / `virtio write` written in U-Boot's hush shell, e.g.

    for a in 0 1 2 3; do for b in 0 .. f; do for c in 0 .. f; do
      for d in 0 8; do virtio read 40400000 $a$b$c$d 8; done; done; done; done

which reads 4 KiB at a time at consecutive offsets (sector 0x$a$b$c$d, hex)
with one command per read. This U-Boot has no `timer` or `time` command,
so each loop is timed on the host: from the newline that starts it (the
typed line has been echoed by then) to the next prompt. Every `virtio`
command prints a line on the PL011, which under QEMU costs about as much
as a small read, so each loop is followed by the same loop with `echo` of
a line of the same length instead of the I/O; the difference, divided by
the number of commands, is what the driver took per request ("net" =
median of the I/O loops - median of the echo loops, over REPS interleaved
pairs; the "raw" figure is per command, console included).

Method (shared/PEERS.md): RUNS fresh QEMU runs, medians; page cache warm
(the image was just written), guest buffer touched by an untimed pass
first, U-Boot's block cache off (`blkcache configure 0 0`: it would copy
every 4 KiB read once more). Every wait has a timeout, QEMU runs under
`timeout` and is killed on any exit; exit status 0, or 1 with a message.

Output, on stdout: per-run lines starting with "run", then one line per
figure, "result NAME VALUE", medians over the runs:
    read4k_raw_us  read4k_console_us  read4k_us   (and write4k_*)
    read64m_raw_ms read64m_console_ms read64m_ms  (one 64 MiB command)
    boot_s (QEMU start to U-Boot's autoboot prompt)
Standard library only.
"""
import argparse
import fcntl
import os
import select
import signal
import statistics
import subprocess
import sys
import time

BUF_ADDR = "40400000"          # kernel_addr_r: 64 MiB free below U-Boot with -m 512M
SECTOR = 512
SMALL_SECTORS = 8              # 4 KiB
BIG_SECTORS = 0x20000          # 64 MiB
HEX = "0 1 2 3 4 5 6 7 8 9 a b c d e f".split()
OPS_PER_TOP_DIGIT = 16 * 16 * 2   # $b, $c, and $d in {0, 8}
PROMPT = b"\n=> "
BOOT_TIMEOUT_S = 30
CMD_TIMEOUT_S = 10             # plus the loop's own allowance below
PER_OP_TIMEOUT_S = 0.05        # generous: U-Boot needs well under 1 ms per 4 KiB command
PER_BIG_TIMEOUT_S = 2.0
# Reading the console: U-Boot's output comes a few bytes at a time; waking
# up for each write would cost this process (and QEMU, on a 2-core host)
# more than the output itself. So read at most every POLL_S into a large
# pipe. It delays seeing the prompt by up to POLL_S, the same for a loop
# and its echo baseline, so the net figure does not see it.
POLL_S = 0.002
PIPE_BYTES = 1 << 20


class Failure(Exception):
    pass


class Console:
    """QEMU with U-Boot, its serial console on our pipes."""

    def __init__(self, argv, log):
        self.log = log
        self.pending = b""
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        try:
            fcntl.fcntl(self.proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (AttributeError, OSError):
            pass   # the default 64 KiB holds well over POLL_S of output

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def wait_for(self, marker, timeout_s):
        """Read until `marker`; return everything up to and including it."""
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while marker not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"no {marker!r} from U-Boot within {timeout_s:.0f} s; "
                              f"last output: {self.tail()!r}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise Failure(f"QEMU exited (status {self.proc.wait()}); "
                                  f"last output: {self.tail()!r}")
                self.log.write(chunk)
                self.pending += chunk
                if marker not in self.pending:
                    time.sleep(POLL_S)
        end = self.pending.index(marker) + len(marker)
        out, self.pending = self.pending[:end], self.pending[end:]
        return out.decode(errors="replace")

    def tail(self):
        return self.pending[-300:].decode(errors="replace")

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def command(self, line, timeout_s=CMD_TIMEOUT_S):
        """Type `line`, wait for its echo, press return, wait for the prompt.
        Returns (seconds from return to prompt, the command's output)."""
        self.send(line.encode())
        self.wait_for(line.encode()[-24:], CMD_TIMEOUT_S)
        start = time.perf_counter()
        self.send(b"\n")
        out = self.wait_for(PROMPT, timeout_s)
        return time.perf_counter() - start, out


def small_loop(ops, body):
    top = " ".join(HEX[:ops // OPS_PER_TOP_DIGIT])
    hexes = " ".join(HEX)
    return (f"for a in {top}; do for b in {hexes}; do for c in {hexes}; do "
            f"for d in 0 8; do {body}; done; done; done; done")


def big_loop(count, body):
    offsets = " ".join(f"{i * BIG_SECTORS:x}" for i in range(count))
    return f"for o in {offsets}; do {body}; done"


def io_body(op, block, sectors):
    return f"virtio {op} {BUF_ADDR} {block} {sectors:x}"


def echo_body(op, block, sectors):
    # The line U-Boot prints for one command (cmd/blk_common.c), with two
    # spaces for the empty line it prints first; quoted: '#' starts a comment.
    done = "read" if op == "read" else "written"
    return (f'echo "  virtio {op}: device 0 block # {block}, count {sectors} ... '
            f'{sectors} blocks {done}: OK"')


def check_io(out, op, expected):
    done = "read" if op == "read" else "written"
    got = out.count(f"blocks {done}: OK")
    if got != expected or "rror" in out:
        raise Failure(f"virtio {op}: {got} of {expected} commands said OK; "
                      f"output ends: {out[-300:]!r}")


class Loops:
    """The timed loops of one run; each returns seconds per command."""

    def __init__(self, console, ops, bigs):
        self.console, self.ops, self.bigs = console, ops, bigs

    def small(self, op, echo):
        body = (echo_body if echo else io_body)(op, "$a$b$c$d", SMALL_SECTORS)
        seconds, out = self.console.command(small_loop(self.ops, body),
                                            CMD_TIMEOUT_S + self.ops * PER_OP_TIMEOUT_S)
        if echo:
            if out.count("blocks") != self.ops:
                raise Failure(f"echo loop printed {out.count('blocks')} of {self.ops} lines")
        else:
            check_io(out, op, self.ops)
        return seconds / self.ops

    def big(self, echo):
        body = (echo_body if echo else io_body)("read", "$o", BIG_SECTORS)
        seconds, out = self.console.command(big_loop(self.bigs, body),
                                            CMD_TIMEOUT_S + self.bigs * PER_BIG_TIMEOUT_S)
        if echo:
            if out.count("blocks") != self.bigs:
                raise Failure(f"echo loop printed {out.count('blocks')} of {self.bigs} lines")
        else:
            check_io(out, "read", self.bigs)
        return seconds / self.bigs


def boot(args, log):
    # --foreground: QEMU stays in our process group, so a Ctrl-C reaches it.
    argv = ["timeout", "--foreground", "--kill-after=5", str(args.run_timeout), args.qemu,
            "-machine", "virt", "-cpu", args.cpu, "-m", args.memory, "-nographic",
            "-bios", args.uboot,
            "-drive", f"if=none,id=d0,format=raw,cache=writeback,file={args.image}",
            "-device", f"virtio-blk-device,drive=d0,serial={args.serial}"]
    start = time.perf_counter()
    console = Console(argv, log)
    try:
        banner = console.wait_for(b"Hit any key to stop autoboot", BOOT_TIMEOUT_S)
        boot_s = time.perf_counter() - start
        console.send(b"\n")
        console.wait_for(b"=> ", CMD_TIMEOUT_S)
        version = next((l.strip() for l in banner.splitlines() if l.startswith("U-Boot 20")),
                       "U-Boot (version unknown)")
        _, out = console.command("virtio scan")
        _, out = console.command("virtio info")
        want = f"({args.image_bytes // SECTOR} x {SECTOR})"
        if want not in out:
            raise Failure(f"U-Boot did not find the {args.image_bytes} byte disk: {out!r}")
        console.command("blkcache configure 0 0")
    except BaseException:
        console.close()
        raise
    return console, version, boot_s


def one_run(args, log, number):
    console, version, boot_s = boot(args, log)
    try:
        loops = Loops(console, args.ops, args.bigs)
        # Untimed: touches the guest buffer (QEMU maps RAM on first touch)
        # and translates the code paths once.
        loops.small("read", False)
        loops.small("write", False)
        loops.big(False)
        samples = {k: [] for k in ("read4k_raw", "read4k_console", "write4k_raw",
                                   "write4k_console", "read64m_raw", "read64m_console")}
        for _ in range(args.reps):   # interleaved: each I/O loop beside its baseline
            samples["read4k_raw"].append(loops.small("read", False))
            samples["read4k_console"].append(loops.small("read", True))
            samples["write4k_raw"].append(loops.small("write", False))
            samples["write4k_console"].append(loops.small("write", True))
            samples["read64m_raw"].append(loops.big(False))
            samples["read64m_console"].append(loops.big(True))
        console.send(b"poweroff\n")
        try:
            console.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    finally:
        console.close()
    fig = {"boot_s": boot_s}
    for name, scale in (("read4k", 1e6), ("write4k", 1e6), ("read64m", 1e3)):
        unit = "us" if scale == 1e6 else "ms"
        raw = statistics.median(samples[name + "_raw"]) * scale
        con = statistics.median(samples[name + "_console"]) * scale
        fig[f"{name}_raw_{unit}"] = raw
        fig[f"{name}_console_{unit}"] = con
        fig[f"{name}_{unit}"] = raw - con   # <= 0 only on a badly overloaded host
    print(f"run {number}: " + " ".join(f"{k}={v:.2f}" for k, v in fig.items()), flush=True)
    return version, fig


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, help="the scratch raw image")
    parser.add_argument("--uboot", default="/usr/lib/u-boot/qemu_arm64/u-boot.bin")
    parser.add_argument("--qemu", default="qemu-system-aarch64")
    parser.add_argument("--cpu", default="cortex-a53")
    parser.add_argument("--memory", default="512M")
    parser.add_argument("--serial", default="vblk-bench-scratch")
    parser.add_argument("--runs", type=int, default=3, help="fresh QEMU runs (median)")
    parser.add_argument("--reps", type=int, default=5, help="timed loops per run (median)")
    parser.add_argument("--ops", type=int, default=1024,
                        help=f"4 KiB commands per loop, a multiple of {OPS_PER_TOP_DIGIT}")
    parser.add_argument("--run-timeout", type=int, default=120, help="bound on one QEMU run (s)")
    parser.add_argument("--log", default=os.devnull, help="append U-Boot's console here")
    args = parser.parse_args()

    if (args.ops <= 0 or args.ops % OPS_PER_TOP_DIGIT
            or args.ops > OPS_PER_TOP_DIGIT * len(HEX)):
        parser.error(f"--ops must be a multiple of {OPS_PER_TOP_DIGIT} up to "
                     f"{OPS_PER_TOP_DIGIT * len(HEX)}")
    if args.runs <= 0 or args.reps <= 0:
        parser.error("--runs and --reps must be positive")
    if not os.path.isfile(args.uboot):
        parser.error(f"no {args.uboot} (tools/deps.sh peers installs u-boot-qemu)")
    args.image_bytes = os.path.getsize(args.image)
    small_span = args.ops * SMALL_SECTORS * SECTOR
    args.bigs = min(4, args.image_bytes // (BIG_SECTORS * SECTOR))
    if args.bigs == 0 or small_span > args.image_bytes:
        parser.error("the image is too small (at least 64 MiB)")

    # SIGTERM (e.g. from `timeout`) unwinds through the finally blocks,
    # which kill QEMU.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    figures = []
    try:
        with open(args.log, "ab") as log:
            for number in range(1, args.runs + 1):
                version, fig = one_run(args, log, number)
                figures.append(fig)
    except Failure as err:
        print(f"uboot_bench: {err}", file=sys.stderr)
        return 1
    print(f"version {version}")
    for name in figures[0]:
        print(f"result {name} {statistics.median(f[name] for f in figures):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
