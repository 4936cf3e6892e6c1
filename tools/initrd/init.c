/* SPDX-License-Identifier: MIT */
/*
 * /init of the bootloader test's initramfs: prove that the kernel the
 * vblk bootloader started reached user space with the initrd it loaded,
 * then power the machine off so QEMU exits.
 *
 * A static aarch64 Linux program with no C library: the two system
 * calls it makes are issued directly (the arm64 syscall ABI: number in
 * x8, arguments in x0-x5, svc #0, result in x0).
 *
 *   aarch64-linux-gnu-gcc -static -nostdlib -ffreestanding -fno-pie -no-pie \
 *       -fno-stack-protector -O2 -o init tools/initrd/init.c
 */
#define SYS_WRITE   64
#define SYS_REBOOT  142

/* reboot(2): the two magic numbers and the command (linux/reboot.h). */
#define LINUX_REBOOT_MAGIC1         0xfee1deadL
#define LINUX_REBOOT_MAGIC2         0x28121969L
#define LINUX_REBOOT_CMD_POWER_OFF  0x4321fedcL

#define STDOUT 1

static long syscall4(long number, long a0, long a1, long a2, long a3)
{
	register long x8 __asm__("x8") = number;
	register long x0 __asm__("x0") = a0;
	register long x1 __asm__("x1") = a1;
	register long x2 __asm__("x2") = a2;
	register long x3 __asm__("x3") = a3;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
			 : "memory");
	return x0;
}

static const char marker[] = "VBLK-BOOT-OK: /init from the vblk bootloader's initrd is running\n";

void _start(void)
{
	syscall4(SYS_WRITE, STDOUT, (long)marker, sizeof(marker) - 1, 0);
	/* As root (pid 1 is), this does not return: PSCI SYSTEM_OFF. */
	syscall4(SYS_REBOOT, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		 LINUX_REBOOT_CMD_POWER_OFF, 0);
	for (;;)
		;
}
