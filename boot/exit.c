/* SPDX-License-Identifier: MIT */
/*
 * How a run ends: the disks shut down (rt_exit), then semihosting's exit
 * with the status, else PSCI SYSTEM_OFF, else the CPU parked; and the
 * same without the disks, for a fault (rt_exit_now) or for the RAM check
 * before .bss is zeroed (boot_exit_early).
 *
 * Apart from the bring-up (boot/rt.c) because it is the other end of the
 * run and is reached from everywhere (main's return, the fault handler,
 * the RAM check); PSCI lives here since SYSTEM_OFF is all it is used for.
 */
#include <string.h>

#include "boot/boot.h"
#include "boot/rawprint.h"
#include "drivers/pl011.h"
#include "drivers/semihosting.h"
#include "fdt/fdt.h"
#include "vblk/error.h"
#include "vblk/runtime.h"
#include "vblk/vblk.h"

/* PSCI 0.2+ SYSTEM_OFF, SMC32 function ID (Arm DEN 0022, "SYSTEM_OFF"). */
#define PSCI_FN_SYSTEM_OFF   0x84000008u

enum psci_conduit { PSCI_NONE, PSCI_HVC, PSCI_SMC };

/* Set by rt_start() (boot_find_psci); PSCI_NONE until then. */
static enum psci_conduit psci;

/* How PSCI is called here: the /psci node's "method" (QEMU: "hvc", or
 * "smc" with virtualization=on). SYSTEM_OFF needs PSCI 0.2 or later. */
static enum psci_conduit psci_from_dt(const void *blob, size_t blob_bytes)
{
	struct fdt fdt;
	uint32_t len_bytes;
	int node;

	if (blob == NULL || fdt_open(&fdt, blob, blob_bytes) < 0)
		return PSCI_NONE;
	node = fdt_path_offset(&fdt, "/psci");
	if (node < 0 || !(fdt_is_compatible(&fdt, node, "arm,psci-0.2") ||
			  fdt_is_compatible(&fdt, node, "arm,psci-1.0")))
		return PSCI_NONE;
	const char *method = fdt_getprop(&fdt, node, "method", &len_bytes);
	if (method == NULL || len_bytes != sizeof("hvc"))
		return PSCI_NONE;
	if (memcmp(method, "hvc", sizeof("hvc")) == 0)
		return PSCI_HVC;
	if (memcmp(method, "smc", sizeof("smc")) == 0)
		return PSCI_SMC;
	return PSCI_NONE;
}

/* One SMCCC call with x0 = function ID through `insn` (hvc or smc); the
 * callee may clobber x0-x17 (SMCCC v1.0). */
#define SMCCC_CALL(insn, x0)                                                  \
	__asm__ volatile(insn " #0" : "+r"(x0) : : "x1", "x2", "x3", "x4", "x5", \
			 "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",   \
			 "x14", "x15", "x16", "x17", "memory")

/* PSCI SYSTEM_OFF; QEMU then exits (with status 0). Returns only if there
 * is no PSCI or the call failed. */
static void psci_system_off(enum psci_conduit conduit)
{
	register uint64_t x0 __asm__("x0") = PSCI_FN_SYSTEM_OFF;

	if (conduit == PSCI_HVC)
		SMCCC_CALL("hvc", x0);
	else if (conduit == PSCI_SMC)
		SMCCC_CALL("smc", x0);
}

void boot_find_psci(const void *blob, size_t blob_bytes)
{
	psci = psci_from_dt(blob, blob_bytes);
}

/* rt_exit() before .bss is zeroed: no disks to shut down, the conduit
 * read from `blob` on the stack (`psci` is in .bss), the same words on
 * the console without semihosting. */
_Noreturn void boot_exit_early(int status, const void *blob, size_t blob_bytes)
{
	enum psci_conduit conduit = psci_from_dt(blob, blob_bytes);

	pl011_flush();
	semihosting_exit(status);       /* returns only without semihosting */
	pl011_puts("vblk: exit status ");
	raw_put_dec(status);
	pl011_puts(conduit != PSCI_NONE ? " (no semihosting: PSCI SYSTEM_OFF)\n"
					: " (no semihosting, no PSCI: CPU parked)\n");
	pl011_flush();
	psci_system_off(conduit);
	rt_park();
}

_Noreturn void rt_park(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #0xf\n wfi" ::: "memory");
}

_Noreturn void rt_halt(int status)
{
	semihosting_exit(status);
	psci_system_off(psci);
	rt_park();
}

/* Exit status of a program whose disks could not be shut down cleanly
 * (a flush failed: its writes may not be durable) though main() said 0. */
#define RT_SHUTDOWN_EXIT_STATUS 1

/*
 * The disks first: vblk_shutdown waits for queued I/O and flushes every
 * disk with a write cache, or writes a program believed done can be lost
 * when QEMU exits (a qcow2 image keeps them in its cache).
 */
_Noreturn void rt_exit(int status)
{
	int err = vblk_shutdown();

	if (err) {
		pl011_puts("vblk: disks not shut down cleanly at exit: ");
		pl011_puts(vblk_strerror(err));
		pl011_putc('\n');
		if (status == 0)
			status = RT_SHUTDOWN_EXIT_STATUS;
	}
	rt_exit_now(status);
}

_Noreturn void rt_exit_now(int status)
{
	pl011_flush();
	if (!semihosting_available()) {
		/* QEMU cannot learn the status: say it on the console. */
		pl011_puts("vblk: exit status ");
		raw_put_dec(status);
		pl011_puts(psci != PSCI_NONE ? " (no semihosting: PSCI SYSTEM_OFF)\n"
					     : " (no semihosting, no PSCI: CPU parked)\n");
		pl011_flush();
	}
	rt_halt(status);
}
