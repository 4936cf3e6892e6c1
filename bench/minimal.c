/* SPDX-License-Identifier: MIT */
/*
 * The minimal guest (bench/minimal.h): a hand-coded virtio-blk driver
 * with one pre-built request, the yardstick of bench/yardstick.c.
 * Section numbers are virtio 1.2's.
 */
#include <string.h>

#include "minimal.h"
#include "vblk/platform.h"
#include "vblk/runtime.h"

/* virtio-mmio registers (§4.2.2; the legacy ones from §4.2.4). */
#define MMIO_DEVICE_FEATURES      0x010
#define MMIO_DEVICE_FEATURES_SEL  0x014
#define MMIO_DRIVER_FEATURES      0x020
#define MMIO_DRIVER_FEATURES_SEL  0x024
#define MMIO_LEGACY_PAGE_SIZE     0x028
#define MMIO_QUEUE_SEL            0x030
#define MMIO_QUEUE_NUM_MAX        0x034
#define MMIO_QUEUE_NUM            0x038
#define MMIO_LEGACY_QUEUE_ALIGN   0x03c
#define MMIO_LEGACY_QUEUE_PFN     0x040
#define MMIO_QUEUE_READY          0x044
#define MMIO_QUEUE_NOTIFY         0x050
#define MMIO_INTERRUPT_STATUS     0x060
#define MMIO_INTERRUPT_ACK        0x064
#define MMIO_STATUS               0x070
#define MMIO_QUEUE_DESC           0x080   /* low word; high at +4 */
#define MMIO_QUEUE_DRIVER         0x090
#define MMIO_QUEUE_DEVICE         0x0a0

/* virtio-pci common configuration (§4.1.4.3), and where QEMU 7.2 puts
 * the other structures in BAR4 (see minimal.h). */
#define PCI_DEVICE_FEATURE_SEL    0x00
#define PCI_DEVICE_FEATURE        0x04
#define PCI_DRIVER_FEATURE_SEL    0x08
#define PCI_DRIVER_FEATURE        0x0c
#define PCI_DEVICE_STATUS         0x14
#define PCI_QUEUE_SELECT          0x16
#define PCI_QUEUE_SIZE            0x18
#define PCI_QUEUE_ENABLE          0x1c
#define PCI_QUEUE_NOTIFY_OFF      0x1e
#define PCI_QUEUE_DESC            0x20   /* 64-bit, written as two words */
#define PCI_QUEUE_DRIVER          0x28
#define PCI_QUEUE_DEVICE          0x30
#define QEMU_PCI_BAR              4
#define QEMU_PCI_ISR              0x1000
#define QEMU_PCI_NOTIFY           0x3000
#define QEMU_PCI_NOTIFY_MULT      4

#define STATUS_ACKNOWLEDGE 1u
#define STATUS_DRIVER      2u
#define STATUS_DRIVER_OK   4u
#define STATUS_FEATURES_OK 8u
#define FEATURE_BLK_FLUSH  (1u << 9)   /* word 0 */
#define FEATURE_VERSION_1  (1u << 0)   /* word 1: bit 32 */

#define BLK_T_IN  0u
#define BLK_T_OUT 1u
#define DESC_F_NEXT  1u
#define DESC_F_WRITE 2u
#define AVAIL_F_NO_INTERRUPT 1u

#define RING_ALIGN 4096u       /* legacy QueueAlign and QueuePFN's page */
#define RESET_POLLS 1000000u   /* Status reads before a reset is given up */
#define CHAIN_DESCS 3u         /* header, data, status */
#define DEPTH1_QUEUE_SIZE 4u   /* one chain in flight; a power of 2 */
#define MAX_QUEUE_SIZE 128u    /* MINIMAL_MAX_DEPTH chains of 3: the
				  power of 2 above 96 */
#define OPS_PER_CLOCK 8u       /* completions between looks at the clock,
				  as bench/yardstick.c's vblk side does */

/* The split ring (§2.7), laid out as legacy virtio-mmio wants it for a
 * queue of `queue_size`: the avail ring right after the descriptors, the
 * used ring on the next page. Queue size and layout are chosen at attach
 * (4 at depth 1, as before the depth-N mode, so its figures stay
 * comparable), so the parts are pointers into one static block. */
struct ring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
struct ring_avail {
	uint16_t flags, idx, ring[];          /* then used_event: unused */
};
struct ring_used {
	uint16_t flags, idx;
	struct { uint32_t id, len; } ring[];  /* then avail_event: unused */
};
static uint8_t ring_mem[2 * RING_ALIGN] __attribute__((aligned(RING_ALIGN)));
_Static_assert(MAX_QUEUE_SIZE * sizeof(struct ring_desc) + sizeof(struct ring_avail) +
	       (MAX_QUEUE_SIZE + 1) * sizeof(uint16_t) <= RING_ALIGN,
	       "descriptors and avail ring fit the first page");
static struct ring_desc *desc;        /* driver writes */
static struct ring_avail *avail;      /* driver writes */
static struct ring_used *used;        /* device writes */
static uint16_t queue_size;

/* Per chain: header (device reads), status (device writes). Chain s
 * is descriptors 3s, 3s + 1, 3s + 2. */
static struct {
	uint32_t type, reserved;
	uint64_t sector;
} headers[MINIMAL_MAX_DEPTH] VBLK_ALIGNED;
static uint8_t status_bytes[MINIMAL_MAX_DEPTH] VBLK_ALIGNED;

_Static_assert((MINIMAL_MAX_DEPTH & (MINIMAL_MAX_DEPTH - 1u)) == 0,
	       "a used id's slot is masked with MINIMAL_MAX_DEPTH - 1");

static struct minimal_regs *regs;     /* the device the guest owns */
static uint16_t avail_idx;            /* requests handed over so far */
static uint16_t last_used;            /* used entries read so far (depth N) */
static unsigned depth;                /* chains pre-built */
static enum minimal_wait wait_kind;

static uint32_t rd32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static uint8_t rd8(uintptr_t addr) { return *(volatile uint8_t *)addr; }
static void wr32(uintptr_t addr, uint32_t value) { *(volatile uint32_t *)addr = value; }
static void wr16(uintptr_t addr, uint16_t value) { *(volatile uint16_t *)addr = value; }
static void wr8(uintptr_t addr, uint8_t value) { *(volatile uint8_t *)addr = value; }

static void wr64_split(uintptr_t addr, const void *ptr)
{
	uint64_t value = plat_virt_to_phys(ptr);

	wr32(addr, (uint32_t)value);
	wr32(addr + 4, (uint32_t)(value >> 32));
}

static bool is_pci(void)
{
	return regs->transport == VBLK_TRANSPORT_PCI;
}

static uint32_t read_status(void)
{
	return is_pci() ? rd8(regs->base + PCI_DEVICE_STATUS) : rd32(regs->base + MMIO_STATUS);
}

static void write_status(uint32_t status)
{
	if (is_pci())
		wr8(regs->base + PCI_DEVICE_STATUS, (uint8_t)status);
	else
		wr32(regs->base + MMIO_STATUS, status);
}

/* Writing 0 resets the device; it has let go of every buffer once Status
 * reads 0 again (§2.1.2, §4.1.4.3.2, §4.2.2.2). */
static int reset_device(void)
{
	write_status(0);
	for (unsigned poll = 0; poll < RESET_POLLS; poll++) {
		if (read_status() == 0)
			return 0;
	}
	return -VBLK_EHELD;
}

/* Offer-and-accept of one feature word: ours is FLUSH (QEMU otherwise
 * runs the disk write-through) and, on a modern device, VERSION_1. */
static void accept_features(uintptr_t dev_sel, uintptr_t dev_val, uintptr_t drv_sel,
			    uintptr_t drv_val, bool modern)
{
	wr32(dev_sel, 0);
	uint32_t word0 = rd32(dev_val) & FEATURE_BLK_FLUSH;
	wr32(drv_sel, 0);
	wr32(drv_val, word0);
	if (modern) {
		wr32(drv_sel, 1);
		wr32(drv_val, FEATURE_VERSION_1);
	}
}

static int queue_mmio(void)
{
	uintptr_t base = regs->base;

	wr32(base + MMIO_QUEUE_SEL, 0);
	if (rd32(base + MMIO_QUEUE_NUM_MAX) < queue_size)
		return -VBLK_EBROKEN;
	wr32(base + MMIO_QUEUE_NUM, queue_size);
	if (regs->mmio_version == 1) {
		wr32(base + MMIO_LEGACY_QUEUE_ALIGN, RING_ALIGN);
		wr32(base + MMIO_LEGACY_QUEUE_PFN, (uint32_t)(plat_virt_to_phys(ring_mem) / RING_ALIGN));
		return 0;
	}
	wr64_split(base + MMIO_QUEUE_DESC, desc);
	wr64_split(base + MMIO_QUEUE_DRIVER, avail);
	wr64_split(base + MMIO_QUEUE_DEVICE, used);
	wr32(base + MMIO_QUEUE_READY, 1);
	return 0;
}

static int queue_pci(void)
{
	uintptr_t base = regs->base;

	wr16(base + PCI_QUEUE_SELECT, 0);
	if (*(volatile uint16_t *)(base + PCI_QUEUE_SIZE) < queue_size)
		return -VBLK_EBROKEN;
	wr16(base + PCI_QUEUE_SIZE, queue_size);
	wr64_split(base + PCI_QUEUE_DESC, desc);
	wr64_split(base + PCI_QUEUE_DRIVER, avail);
	wr64_split(base + PCI_QUEUE_DEVICE, used);
	uint16_t notify_off = *(volatile uint16_t *)(base + PCI_QUEUE_NOTIFY_OFF);
	regs->notify = regs->isr - QEMU_PCI_ISR + QEMU_PCI_NOTIFY +
		       (uintptr_t)notify_off * QEMU_PCI_NOTIFY_MULT;
	wr16(base + PCI_QUEUE_ENABLE, 1);
	return 0;
}

int minimal_find_regs(const struct vblk_disk *disk, struct minimal_regs *found)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	const struct vblk_probe_entry *entries;
	unsigned count = vblk_probe_report(&entries);

	*found = (struct minimal_regs){ .transport = info->transport };
	if (info->transport == VBLK_TRANSPORT_MMIO) {
		found->mmio_version = info->mmio_version;
		found->base = (uintptr_t)info->mmio_base;
		found->notify = found->base + MMIO_QUEUE_NOTIFY;
		found->isr = found->base + MMIO_INTERRUPT_STATUS;
		return 0;
	}
	for (unsigned i = 0; i < count; i++) {
		const struct vblk_probe_entry *entry = &entries[i];
		if (entry->transport != VBLK_TRANSPORT_PCI || entry->pci.bus != info->pci.bus ||
		    entry->pci.dev != info->pci.dev || entry->pci.fn != info->pci.fn)
			continue;
		if (entry->pci_bar[QEMU_PCI_BAR] == 0)
			return -VBLK_ENODEV;
		found->base = (uintptr_t)entry->pci_bar[QEMU_PCI_BAR];
		found->isr = found->base + QEMU_PCI_ISR;
		return 0;
	}
	return -VBLK_ENODEV;
}

/* The ring for `max_depth` chains of 3, zeroed: the smallest power of 2
 * that holds them, at least DEPTH1_QUEUE_SIZE. */
static void lay_out_ring(unsigned max_depth)
{
	queue_size = DEPTH1_QUEUE_SIZE;
	while (queue_size < max_depth * CHAIN_DESCS)
		queue_size = (uint16_t)(queue_size * 2);
	memset(ring_mem, 0, sizeof(ring_mem));
	desc = (struct ring_desc *)ring_mem;
	avail = (struct ring_avail *)(ring_mem + queue_size * sizeof(struct ring_desc));
	used = (struct ring_used *)(ring_mem + RING_ALIGN);
	avail_idx = 0;
	last_used = 0;
}

/* The initialisation sequence of §3.1.1, by hand, for each transport. */
int minimal_attach(struct minimal_regs *device, unsigned max_depth)
{
	regs = device;
	if (max_depth == 0 || max_depth > MINIMAL_MAX_DEPTH)
		return -VBLK_EINVAL;
	if (reset_device() != 0)
		return -VBLK_EHELD;
	lay_out_ring(max_depth);
	bool modern = is_pci() || regs->mmio_version == 2;
	write_status(STATUS_ACKNOWLEDGE);
	write_status(STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	uintptr_t base = regs->base;
	if (is_pci())
		accept_features(base + PCI_DEVICE_FEATURE_SEL, base + PCI_DEVICE_FEATURE,
				base + PCI_DRIVER_FEATURE_SEL, base + PCI_DRIVER_FEATURE, true);
	else
		accept_features(base + MMIO_DEVICE_FEATURES_SEL, base + MMIO_DEVICE_FEATURES,
				base + MMIO_DRIVER_FEATURES_SEL, base + MMIO_DRIVER_FEATURES, modern);
	uint32_t status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
	if (modern) {
		status |= STATUS_FEATURES_OK;
		write_status(status);
		if (!(read_status() & STATUS_FEATURES_OK))
			return -VBLK_EBROKEN;
	} else {
		wr32(base + MMIO_LEGACY_PAGE_SIZE, RING_ALIGN);
	}
	int err = is_pci() ? queue_pci() : queue_mmio();
	if (err)
		return err;
	write_status(status | STATUS_DRIVER_OK);
	return 0;
}

/* Chain `slot`: its header, `len_bytes` of `buf`, its status byte. */
static void build_chain(unsigned slot, bool is_read, uint8_t *buf, uint32_t len_bytes)
{
	struct ring_desc *chain = &desc[slot * CHAIN_DESCS];
	uint16_t head = (uint16_t)(slot * CHAIN_DESCS);

	headers[slot].type = is_read ? BLK_T_IN : BLK_T_OUT;
	chain[0] = (struct ring_desc){ plat_virt_to_phys(&headers[slot]), sizeof(headers[slot]),
				       DESC_F_NEXT, (uint16_t)(head + 1) };
	chain[1] = (struct ring_desc){ plat_virt_to_phys(buf), len_bytes,
				       DESC_F_NEXT | (is_read ? DESC_F_WRITE : 0),
				       (uint16_t)(head + 2) };
	chain[2] = (struct ring_desc){ plat_virt_to_phys(&status_bytes[slot]), 1, DESC_F_WRITE, 0 };
}

void minimal_prepare_depth(enum vblk_op op, uint8_t *bufs, uint32_t len_bytes, unsigned chains,
			   enum minimal_wait wait)
{
	bool is_read = op == VBLK_OP_READ;

	if (chains * CHAIN_DESCS > queue_size)   /* more than attached for */
		chains = queue_size / CHAIN_DESCS;
	depth = chains;
	for (unsigned slot = 0; slot < chains; slot++)
		build_chain(slot, is_read, bufs + (size_t)slot * len_bytes, len_bytes);
	/* Depth 1: every avail slot names chain 0 once, and minimal_io only
	 * bumps avail.idx. Depth N writes its entries per request. */
	for (unsigned i = 0; i < queue_size; i++)
		avail->ring[i] = 0;
	avail->flags = wait == MINIMAL_SPIN ? AVAIL_F_NO_INTERRUPT : 0;
	wait_kind = wait;
	__asm__ volatile("dmb ishst" ::: "memory");
}

void minimal_prepare(enum vblk_op op, void *buf, uint32_t len_bytes, enum minimal_wait wait)
{
	minimal_prepare_depth(op, buf, len_bytes, 1, wait);
}

static uint16_t used_idx(void)
{
	return *(volatile uint16_t *)&used->idx;
}

/* Masked between the look at the ring and wfi, so a completion in
 * between stays pending and ends the wfi; the brief unmask lets the
 * runtime's handler acknowledge it (design.md, "Sleeping without losing
 * a wake-up", without the timer: nothing here gives up). */
static void sleep_while_used(uint16_t idx)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
	while (used_idx() == idx)
		__asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

/* The same, but each sleep as vblk's waits sleep: the clock read, then
 * plat_idle() with a deadline (VBLK_IRQ_RECHECK_US's 2 ms), which arms
 * the generic timer, sleeps, lets the pending interrupt in and disarms
 * it. What this costs over sleep_while_used is what vblk's bound on every
 * sleep costs. */
#define DEADLINE_US 2000u

static void sleep_with_deadline(uint16_t idx)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
	while (used_idx() == idx)
		plat_idle(rt_time_us() + DEADLINE_US);
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

/* Until used.idx moves on from `idx` (the device used one chain or
 * more), in the prepared way; then the used entries and the data and
 * status they cover may be read (§2.7.14). Returns the new used.idx. */
static uint16_t wait_used_past(uint16_t idx)
{
	if (wait_kind == MINIMAL_SLEEP)
		sleep_while_used(idx);
	else if (wait_kind == MINIMAL_SLEEP_DEADLINE)
		sleep_with_deadline(idx);
	else
		while (used_idx() == idx)
			;
	uint16_t now = used_idx();
	__asm__ volatile("dmb ishld" ::: "memory");
	return now;
}

/* Hand over everything put in the avail ring since the last time: the
 * entries and headers before the index (§2.7.13), the index before the
 * notification (§2.7.13.4). Always notified, never checking the used
 * ring's VRING_USED_F_NO_NOTIFY: under TCG QEMU takes the notification
 * on this vCPU's thread and enables notifications again before the write
 * returns, so the flag is never seen set here, and reading it would be a
 * cost without a saving (the minimal guest negotiates no EVENT_IDX). */
static void publish(void)
{
	__asm__ volatile("dmb ishst" ::: "memory");
	*(volatile uint16_t *)&avail->idx = avail_idx;
	__asm__ volatile("dmb oshst" ::: "memory");
	if (is_pci())
		wr16(regs->notify, 0);
	else
		wr32(regs->notify, 0);
}

/*
 * What the minimal guest's time is sensitive to, for the experiments of
 * docs/performance.md ("What the last rows are limited by"): with
 * -DMINIMAL_PAD_LOOPS=n each request first runs n turns of a loop of five
 * instructions (a load and a store among them), with
 * -DMINIMAL_PAD_CLOCK_READS=n it reads the clock n times, as vblk's waits
 * do. Both 0 by default, and then nothing is compiled in.
 */
#ifndef MINIMAL_PAD_LOOPS
#define MINIMAL_PAD_LOOPS 0
#endif
#ifndef MINIMAL_PAD_CLOCK_READS
#define MINIMAL_PAD_CLOCK_READS 0
#endif

static inline void pad_request(void)
{
#if MINIMAL_PAD_LOOPS > 0
	for (volatile unsigned turns = MINIMAL_PAD_LOOPS; turns > 0; turns--)
		;
#endif
#if MINIMAL_PAD_CLOCK_READS > 0
	for (unsigned reads = 0; reads < MINIMAL_PAD_CLOCK_READS; reads++)
		(void)rt_time_us();
#endif
}

void minimal_io(uint64_t sector)
{
	uint16_t before = avail_idx;

	pad_request();
	headers[0].sector = sector;
	avail_idx = (uint16_t)(before + 1);
	publish();
	/* One chain in flight: used.idx moves on only when it is back. */
	(void)wait_used_past(before);
}

/* Chain `slot` into the next avail entry, for `sector` (not handed over
 * before publish()). */
static void put_chain(unsigned slot, uint64_t sector)
{
	pad_request();
	headers[slot].sector = sector;
	avail->ring[avail_idx & (queue_size - 1u)] = (uint16_t)(slot * CHAIN_DESCS);
	avail_idx++;
}

uint64_t minimal_stream(uint64_t (*next_sector)(void), uint64_t deadline_us)
{
	uint64_t completed = 0;
	unsigned in_flight = depth;
	bool stopping = false;

	for (unsigned slot = 0; slot < depth; slot++)
		put_chain(slot, next_sector());
	publish();
	while (in_flight > 0) {
		uint16_t now = wait_used_past(last_used);
		bool resubmitted = false;
		for (; last_used != now; last_used++) {
			/* A head is 3 * slot; the mask keeps a wrong id inside
			 * this file's arrays (no validation: QEMU is trusted). */
			uint32_t id = used->ring[last_used & (queue_size - 1u)].id;
			unsigned slot = (id / CHAIN_DESCS) & (MINIMAL_MAX_DEPTH - 1u);
			completed++;
			if (!stopping && completed % OPS_PER_CLOCK == 0)
				stopping = rt_time_us() >= deadline_us;
			if (stopping) {
				in_flight--;
				continue;
			}
			put_chain(slot, next_sector());
			resubmitted = true;
		}
		if (resubmitted)
			publish();
	}
	return completed;
}

uint8_t minimal_last_status(void)
{
	uint8_t any = 0;

	for (unsigned slot = 0; slot < depth; slot++)
		any |= *(volatile uint8_t *)&status_bytes[slot];
	return any;
}

void minimal_irq_handler(void *ctx)
{
	const struct minimal_regs *device = ctx;

	/* PCI: reading the ISR clears it and lowers INTx (§4.1.4.5);
	 * virtio-mmio: acknowledge the bits read (§4.2.2). */
	if (device->transport == VBLK_TRANSPORT_PCI) {
		(void)rd8(device->isr);
		return;
	}
	wr32(device->base + MMIO_INTERRUPT_ACK, rd32(device->isr));
}

int minimal_detach(void)
{
	if (regs == NULL)   /* never attached: the device is vblk's already */
		return 0;
	return reset_device();
}
