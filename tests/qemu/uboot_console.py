#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/qemu/uboot_console.py COMMANDS -- QEMU ARGS...: start QEMU with
Debian's U-Boot as its firmware (the row's -bios), stop U-Boot's autoboot
and type COMMANDS (separated by ";;") at its prompt, each waited for; the
last one hands over (booti), after which the console is only read until
QEMU exits. The console goes to stdout; the exit status is QEMU's, or 125
if U-Boot never prompted or a command never returned. QEMU itself runs
under the caller's `timeout`; every wait here has its own.

What tests/qemu/run.sh's `uboot` boot word uses: vblk started by real
firmware that probed the same disks first.
"""
import os
import select
import subprocess
import sys
import time

PROMPT_WAIT_S = 30   # QEMU start to U-Boot's autoboot countdown
COMMAND_WAIT_S = 30  # one command back to the prompt
UBOOT_FAILED = 125


class Console:
    def __init__(self, argv):
        self.qemu = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.seen = b""

    def read_until(self, marker, wait_s):
        """Copy the console to stdout until `marker` has appeared since the
        last call (None: until QEMU closes it); False on a timeout."""
        deadline = time.monotonic() + wait_s
        fd = self.qemu.stdout.fileno()
        self.seen = b""
        while marker is None or marker not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return marker is None
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            self.seen += chunk
        return True

    def type(self, text):
        self.qemu.stdin.write(text.encode())
        self.qemu.stdin.flush()

    def give_up(self, why):
        print(f"\nuboot_console: {why}", flush=True)
        # The child is `timeout` in front of QEMU: SIGTERM, which it passes
        # on; SIGKILL would end it alone and leave QEMU running.
        self.qemu.terminate()
        try:
            self.qemu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.qemu.kill()
            self.qemu.wait()
        sys.exit(UBOOT_FAILED)


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: uboot_console.py COMMANDS -- QEMU ARGS...")
    commands = [c.strip() for c in sys.argv[1].split(";;") if c.strip()]
    console = Console(sys.argv[3:])
    if not console.read_until(b"Hit any key to stop autoboot", PROMPT_WAIT_S):
        console.give_up("no autoboot countdown from U-Boot")
    console.type(" ")
    if not console.read_until(b"=> ", COMMAND_WAIT_S):
        console.give_up("no U-Boot prompt")
    for command in commands[:-1]:
        console.type(command + "\n")
        if not console.read_until(b"\n=> ", COMMAND_WAIT_S):
            console.give_up(f"'{command}' did not return to the prompt")
    console.type(commands[-1] + "\n")
    console.read_until(None, 24 * 3600)   # the caller's timeout ends it
    sys.exit(console.qemu.wait())


if __name__ == "__main__":
    main()
