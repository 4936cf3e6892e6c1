#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/boot_bench.py: reset to Linux, vblk's bootloader beside U-Boot.

What `make bench-boot` runs. Both load the same kernel Image and initramfs
from the same GPT disk (tools/mkbootdisk.sh: partitions "kernel",
"initrd", "cmdline"), attached as `-drive if=virtio`, and start it with
the same command line; the initramfs's /init prints VBLK-BOOT-OK and powers
off. Each figure is host time from starting QEMU:

  handover    the loader's last line: vblk's "entering the kernel",
              U-Boot's "Starting kernel ..."
  first line  the kernel's first console line ("Booting Linux on"); with
              console=ttyAMA0 and no earlycon Linux prints it when its
              PL011 driver registers, so this includes ~1 s of kernel work
  init        /init's marker

U-Boot (Debian's qemu_arm64 build, -bios) is stopped at its autoboot
prompt and given, in one line as a user would type it:
  virtio scan; part start/size virtio 0 kernel ...; virtio read ...;
  (the same for initrd); setenv bootargs ...; booti kernel initrd:size fdt
vblk's bootloader (-kernel bootloader.elf) needs no input.

Runs alternate (vblk, U-Boot, vblk, ...) over RUNS fresh QEMU processes
each; medians are printed as "result NAME MS". Noisy shared machines:
compare only figures of one run (shared/PEERS.md). Standard library only.
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time

UBOOT_BIN = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"
QEMU_COMMON = ["-machine", "virt", "-cpu", "cortex-a53", "-m", "512M", "-nographic",
               "-no-reboot"]
MARKS = {
    "handover": (b"entering the kernel", b"Starting kernel"),
    "first_line": (b"Booting Linux on",),
    "init": (b"VBLK-BOOT-OK",),
}
UBOOT_PROMPT = b"Hit any key to stop autoboot"


def uboot_script(cmdline):
    """One line of U-Boot commands: load both partitions raw, then booti."""
    return ("virtio scan; "
            "part start virtio 0 kernel ks; part size virtio 0 kernel kz; "
            "virtio read ${kernel_addr_r} ${ks} ${kz}; "
            "part start virtio 0 initrd is; part size virtio 0 initrd iz; "
            "virtio read ${ramdisk_addr_r} ${is} ${iz}; setexpr isz ${iz} * 200; "
            f"setenv bootargs {cmdline}; "
            "booti ${kernel_addr_r} ${ramdisk_addr_r}:${isz} ${fdtcontroladdr}\n").encode()


def boot_once(argv, timeout_s, script=None):
    """Start QEMU, watch its console; the times of MARKS in ms, or None."""
    start = time.monotonic()
    qemu = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    seen, console, typed = {}, b"", script is None
    try:
        while time.monotonic() - start < timeout_s and "init" not in seen:
            ready, _, _ = select.select([qemu.stdout], [], [], 0.2)
            if not ready:
                if qemu.poll() is not None:
                    break
                continue
            chunk = os.read(qemu.stdout.fileno(), 65536)
            if not chunk:
                break
            console += chunk
            now_ms = (time.monotonic() - start) * 1000
            if not typed and UBOOT_PROMPT in console:
                qemu.stdin.write(b"\n" + script)
                qemu.stdin.flush()
                typed = True
            for name, keys in MARKS.items():
                if name not in seen and any(key in console for key in keys):
                    seen[name] = now_ms
    finally:
        qemu.kill()
        qemu.wait()
    if "init" not in seen:
        sys.stderr.write(console.decode(errors="replace")[-2000:] + "\n")
        return None
    return seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootloader", help="build/bootloader.elf")
    parser.add_argument("disk", help="a disk from tools/mkbootdisk.sh")
    parser.add_argument("--cmdline", default="console=ttyAMA0 panic=-1",
                        help="U-Boot's bootargs: the disk's cmdline partition")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-aarch64"))
    args = parser.parse_args()

    drive = ["-drive", f"file={args.disk},if=virtio,format=raw"]
    peers = {
        "vblk": ([args.qemu] + QEMU_COMMON + ["-semihosting-config", "enable=on,target=native",
                                              "-kernel", args.bootloader] + drive, None),
        "uboot": ([args.qemu] + QEMU_COMMON + ["-bios", UBOOT_BIN] + drive,
                  uboot_script(args.cmdline)),
    }
    figures = {peer: {name: [] for name in MARKS} for peer in peers}
    for run in range(args.runs):
        for peer, (argv, script) in peers.items():
            seen = boot_once(argv, args.timeout, script)
            if seen is None:
                print(f"boot_bench: {peer} did not reach /init in run {run + 1}",
                      file=sys.stderr)
                return 1
            print(f"run {run + 1} {peer}: " +
                  ", ".join(f"{name} {seen.get(name, float('nan')):.0f} ms" for name in MARKS))
            for name in MARKS:
                if name in seen:
                    figures[peer][name].append(seen[name])
    for peer in peers:
        for name, values in figures[peer].items():
            if values:
                print(f"result {peer}_{name}_ms {statistics.median(values):.0f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # boot_once has stopped its QEMU on the way out; no traceback.
        print("boot_bench: interrupted", file=sys.stderr)
        sys.exit(130)
