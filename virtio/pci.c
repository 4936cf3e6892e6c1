/* SPDX-License-Identifier: MIT */
/*
 * The virtio PCI transport, modern interface (virtio 1.2 §4.1): the
 * capability walk that finds the structures, and the struct
 * virtio_transport_ops on them. virtio/pci.h draws the layout.
 */
#include "virtio/pci.h"

#include "vblk/config.h"
#include "vblk/error.h"
#include "plat/platform.h"

/* The common configuration structure, at its fields' own widths
 * (§4.1.3.1: a driver accesses each field at its width). */
static uint32_t common_read(const struct virtio_dev *dev, uint32_t offset, unsigned width_bytes)
{
	return plat_mmio_read_sized(dev->regs.pci.common + offset, width_bytes);
}

static void common_write(const struct virtio_dev *dev, uint32_t offset, unsigned width_bytes,
			 uint32_t val)
{
	plat_mmio_write_sized(dev->regs.pci.common + offset, width_bytes, val);
}

/* A 64-bit field as its low, then its high dword (§4.1.3.1). */
static void common_write64(const struct virtio_dev *dev, uint32_t offset, uint64_t val)
{
	common_write(dev, offset, 4, (uint32_t)val);
	common_write(dev, offset + 4, 4, (uint32_t)(val >> 32));
}

/* Write 0 to device_status, then wait until it reads 0 (§4.1.4.3.2: the
 * reset may take time; only then has the device let go of the rings). */
static int pci_reset(struct virtio_dev *dev)
{
	common_write(dev, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	/* Timed from its start, as a difference: a deadline compared with
	 * the clock goes wrong when the clock wraps before it. */
	uint64_t start_us = plat_time_us();
	/* The clock before the register, as mmio_reset does. */
	for (;;) {
		bool late = plat_time_us() - start_us > VBLK_RESET_TIMEOUT_US;
		if (common_read(dev, VIRTIO_PCI_COMMON_STATUS, 1) == 0)
			break;
		if (late)
			return -VBLK_ETIMEDOUT;
		plat_cpu_relax();
	}
	dev->regs.pci.isr_pending = 0;
	return 0;
}

static uint32_t pci_get_status(struct virtio_dev *dev)
{
	return common_read(dev, VIRTIO_PCI_COMMON_STATUS, 1);
}

static void pci_set_status(struct virtio_dev *dev, uint32_t status)
{
	common_write(dev, VIRTIO_PCI_COMMON_STATUS, 1, status);
}

/* Select each 32-bit word before reading it (§4.1.4.3). */
static uint64_t pci_device_features(struct virtio_dev *dev)
{
	common_write(dev, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	uint64_t low = common_read(dev, VIRTIO_PCI_COMMON_DF, 4);
	common_write(dev, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	uint64_t high = common_read(dev, VIRTIO_PCI_COMMON_DF, 4);
	return low | high << 32;
}

static void pci_set_driver_features(struct virtio_dev *dev, uint64_t features)
{
	common_write(dev, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	common_write(dev, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	common_write(dev, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	common_write(dev, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> 32));
}

/* Device config at the field's width (§4.1.3.1). A field past the
 * structure's length reads 0, as a field the device does not have: the
 * probe made sure the capacity, the one field every disk reads, is inside. */
static uint32_t pci_config_read(struct virtio_dev *dev, uint32_t offset, unsigned width_bytes)
{
	if (offset + width_bytes > dev->regs.pci.device_bytes)
		return 0;
	return plat_mmio_read_sized(dev->regs.pci.device + offset, width_bytes);
}

static uint32_t pci_config_generation(struct virtio_dev *dev)
{
	return common_read(dev, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
}

/*
 * queue_size of `queue_idx` after selecting it, 0 if there is no such
 * queue (§4.1.5.1.3: size 0) or it is enabled already. An index at or
 * above num_queues is never selected (QEMU ignores such a select and
 * keeps the previous queue, so the reads would be of another queue).
 */
static uint32_t pci_queue_max(struct virtio_dev *dev, uint16_t queue_idx)
{
	if (queue_idx >= common_read(dev, VIRTIO_PCI_COMMON_NUMQ, 2))
		return 0;
	common_write(dev, VIRTIO_PCI_COMMON_Q_SELECT, 2, queue_idx);
	if (common_read(dev, VIRTIO_PCI_COMMON_Q_ENABLE, 2) != 0)
		return 0;
	return common_read(dev, VIRTIO_PCI_COMMON_Q_SIZE, 2);
}

/*
 * The queue's notify address: cap.offset + queue_notify_off ×
 * notify_off_multiplier into the notify structure (§4.1.4.4), where a
 * 16-bit write must fit, aligned (§4.1.3.1). 0 if it does not: the device
 * gave a bad offset, or an odd multiplier (§4.1.4.4 allows only 0 or an
 * even power of 2) that puts the write at an odd address, a misaligned
 * store on Device memory.
 */
static uintptr_t notify_address(const struct virtio_dev *dev)
{
	uint64_t off = common_read(dev, VIRTIO_PCI_COMMON_Q_NOFF, 2);
	uint64_t at = off * dev->regs.pci.notify_multiplier;

	if (at % sizeof(uint16_t) != 0 || at + sizeof(uint16_t) > dev->regs.pci.notify_bytes)
		return 0;
	return dev->regs.pci.notify + (uintptr_t)at;
}

/*
 * §4.1.5.1.3: select, size, the three addresses (low dword first), and
 * only then queue_enable = 1 (every other field first, §4.1.4.3.2). The
 * MSI-X vector stays NO_VECTOR, as the reset left it: interrupts come
 * by INTx and the ISR. vblk drives queue 0 only.
 */
static int pci_queue_enable(struct virtio_dev *dev, uint16_t queue_idx, uint16_t num,
			    const struct virtio_queue_addrs *addrs)
{
	if (queue_idx != 0)
		return -VBLK_EUNSUPP;
	common_write(dev, VIRTIO_PCI_COMMON_Q_SELECT, 2, queue_idx);
	uintptr_t notify = notify_address(dev);
	if (notify == 0)
		return -VBLK_EBROKEN;
	dev->regs.pci.queue0_notify = notify;
	common_write(dev, VIRTIO_PCI_COMMON_Q_SIZE, 2, num);
	common_write64(dev, VIRTIO_PCI_COMMON_Q_DESCLO, addrs->desc);
	common_write64(dev, VIRTIO_PCI_COMMON_Q_AVAILLO, addrs->driver);
	common_write64(dev, VIRTIO_PCI_COMMON_Q_USEDLO, addrs->device);
	common_write(dev, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	return 0;
}

/* A 16-bit write of the queue index (§4.1.5.2; no NOTIFICATION_DATA).
 * The MMIO write accessor orders the ring stores before it. */
static void pci_notify(struct virtio_dev *dev, uint16_t queue_idx)
{
	if (queue_idx == 0)
		plat_mmio_write16(dev->regs.pci.queue0_notify, queue_idx);
}

/*
 * The ISR clears itself when read (§4.1.4.5), which also lowers the INTx
 * line; the bits it held are kept here until the driver acknowledges
 * them, so the transport answers as virtio-mmio's InterruptStatus and
 * InterruptACK do and the driver above needs no PCI case. Bits 2-7 are
 * reserved: they are passed up as read, not kept, so the driver counts
 * them and, if they are up again at the next read, takes the device for
 * the broken one it is (a device whose ISR does not clear holds its line
 * up, and the interrupt would come back forever).
 */
static uint32_t pci_interrupt_status(struct virtio_dev *dev)
{
	uint8_t isr = plat_mmio_read8(dev->regs.pci.isr);

	dev->regs.pci.isr_pending |= (uint8_t)(isr & VIRTIO_INT_DEFINED);
	return dev->regs.pci.isr_pending | (isr & ~VIRTIO_INT_DEFINED);
}

static void pci_interrupt_ack(struct virtio_dev *dev, uint32_t bits)
{
	dev->regs.pci.isr_pending &= (uint8_t)~bits;
}

static const struct virtio_transport_ops pci_ops = {
	.name = "virtio-pci",
	.reset = pci_reset,
	.get_status = pci_get_status,
	.set_status = pci_set_status,
	.device_features = pci_device_features,
	.set_driver_features = pci_set_driver_features,
	.config_read = pci_config_read,
	.config_generation = pci_config_generation,
	.queue_max = pci_queue_max,
	.queue_enable = pci_queue_enable,
	.notify = pci_notify,
	.interrupt_status = pci_interrupt_status,
	.interrupt_ack = pci_interrupt_ack,
	.status_read_lowers_line = true,
};

uint32_t virtio_pci_device_type(const struct pci_host *host, const struct pci_function *fn)
{
	if (fn->vendor_id != VIRTIO_PCI_VENDOR_ID || fn->header_type != PCI_HEADER_NORMAL)
		return 0;
	if (fn->device_id >= VIRTIO_PCI_MODERN_ID_BASE && fn->device_id <= VIRTIO_PCI_MODERN_ID_LAST)
		return fn->device_id - VIRTIO_PCI_MODERN_ID_BASE;
	if (fn->device_id >= VIRTIO_PCI_TRANSITIONAL_FIRST &&
	    fn->device_id <= VIRTIO_PCI_TRANSITIONAL_LAST)
		return pci_cfg_rd(host, fn->bdf, PCI_SUBSYSTEM_ID, 2);
	return 0;
}

/* One structure a capability points at, as the walk found it. */
struct cap_found {
	uintptr_t addr;
	uint32_t length;
	uint32_t notify_multiplier;   /* NOTIFY only */
	int err;                      /* -VBLK_EBROKEN until a usable one */
};

/* What each structure needs to be usable (§4.1.4.1, §4.1.4.3-6):
 * its minimum length and its offset's alignment. */
static const struct {
	uint32_t min_bytes, align;
} need[] = {
	[VIRTIO_PCI_CAP_COMMON_CFG] = { VIRTIO_PCI_COMMON_MIN_BYTES, 4 },
	[VIRTIO_PCI_CAP_NOTIFY_CFG] = { sizeof(uint16_t), 2 },
	[VIRTIO_PCI_CAP_ISR_CFG] = { 1, 1 },
	[VIRTIO_PCI_CAP_DEVICE_CFG] = { sizeof(uint64_t), 4 },   /* capacity */
};

/*
 * Where a capability's structure is, if the driver can use it: a BAR
 * 0-5 (§4.1.4.1: a driver ignores others) that is memory and assigned,
 * the structure inside it (PCI-13, docs/conformance.md), long enough and
 * aligned. -VBLK_ESTATE for an unassigned BAR, -VBLK_EBROKEN otherwise.
 */
static int locate(const struct pci_function *fn, uint32_t type, uint32_t bar_idx,
		  uint32_t offset, uint32_t length, uintptr_t *addr)
{
	if (bar_idx >= PCI_BARS_NORMAL)
		return -VBLK_EBROKEN;
	const struct pci_bar *bar = &fn->bar[bar_idx];
	if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64)
		return -VBLK_EBROKEN;
	if (bar->status != 0)
		return bar->status == -VBLK_ESTATE ? -VBLK_ESTATE : -VBLK_EBROKEN;
	if ((uint64_t)offset + length > bar->size_bytes || length < need[type].min_bytes ||
	    offset % need[type].align != 0)
		return -VBLK_EBROKEN;
	*addr = (uintptr_t)(bar->cpu_addr + offset);
	return 0;
}

/* Take a vendor capability at `pos` if it is the first usable one of
 * its type (§4.1.4.1: the device lists them in its order of preference;
 * unknown types, PCI_CFG and later duplicates are passed over). */
static void take_cap(const struct pci_host *host, const struct pci_function *fn, uint32_t pos,
		     struct cap_found found[])
{
	uint32_t type = pci_cfg_rd(host, fn->bdf, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1);
	uint32_t cap_len = pci_cfg_rd(host, fn->bdf, pos + VIRTIO_PCI_CAP_LEN, 1);

	if (type < VIRTIO_PCI_CAP_COMMON_CFG || type > VIRTIO_PCI_CAP_DEVICE_CFG ||
	    found[type].err == 0 || cap_len < VIRTIO_PCI_CAP_BYTES ||
	    pos + VIRTIO_PCI_CAP_BYTES > PCI_CFG_LEGACY_BYTES)
		return;
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		if (cap_len < VIRTIO_PCI_NOTIFY_CAP_BYTES ||
		    pos + VIRTIO_PCI_NOTIFY_CAP_BYTES > PCI_CFG_LEGACY_BYTES)
			return;
		found[type].notify_multiplier =
			pci_cfg_rd(host, fn->bdf, pos + VIRTIO_PCI_NOTIFY_CAP_MULT, 4);
	}
	uint32_t bar_idx = pci_cfg_rd(host, fn->bdf, pos + VIRTIO_PCI_CAP_BAR, 1);
	uint32_t offset = pci_cfg_rd(host, fn->bdf, pos + VIRTIO_PCI_CAP_OFFSET, 4);
	uint32_t length = pci_cfg_rd(host, fn->bdf, pos + VIRTIO_PCI_CAP_LENGTH, 4);
	int err = locate(fn, type, bar_idx, offset, length, &found[type].addr);
	/* An unassigned BAR says more than a bad capability: keep it. */
	if (err == 0 || found[type].err != -VBLK_ESTATE)
		found[type].err = err;
	found[type].length = length;
}

/*
 * Walk the capability list (pci/cap.c bounds it: a pointer outside
 * 0x40-0xff ends it, a loop ends after 48 hops). Returns how many virtio
 * capabilities were seen.
 */
static unsigned walk_caps(const struct pci_host *host, const struct pci_function *fn,
			  struct cap_found found[])
{
	struct pci_cap_walk walk = { 0 };
	unsigned seen = 0;

	while (pci_cap_next(host, fn->bdf, &walk)) {
		if (pci_cfg_rd(host, fn->bdf, walk.pos + VIRTIO_PCI_CAP_VNDR, 1) == PCI_CAP_ID_VENDOR) {
			seen++;
			take_cap(host, fn, walk.pos, found);
		}
	}
	return seen;
}

static int keep_structures(struct virtio_dev *dev, const struct cap_found found[])
{
	for (uint32_t type = VIRTIO_PCI_CAP_COMMON_CFG; type <= VIRTIO_PCI_CAP_DEVICE_CFG; type++) {
		if (found[type].err)
			return found[type].err;
	}
	struct virtio_pci_regs *regs = &dev->regs.pci;
	regs->common = found[VIRTIO_PCI_CAP_COMMON_CFG].addr;
	regs->isr = found[VIRTIO_PCI_CAP_ISR_CFG].addr;
	regs->device = found[VIRTIO_PCI_CAP_DEVICE_CFG].addr;
	regs->device_bytes = found[VIRTIO_PCI_CAP_DEVICE_CFG].length;
	regs->notify = found[VIRTIO_PCI_CAP_NOTIFY_CFG].addr;
	regs->notify_bytes = found[VIRTIO_PCI_CAP_NOTIFY_CFG].length;
	regs->notify_multiplier = found[VIRTIO_PCI_CAP_NOTIFY_CFG].notify_multiplier;
	return 0;
}

int virtio_pci_probe(struct virtio_dev *dev, const struct pci_host *host,
		     const struct pci_function *fn)
{
	struct cap_found found[VIRTIO_PCI_CAP_DEVICE_CFG + 1];

	*dev = (struct virtio_dev){ .ops = &pci_ops, .transport = VIRTIO_TRANSPORT_PCI };
	dev->regs.pci.bus = fn->bdf.bus;
	dev->regs.pci.dev = fn->bdf.dev;
	dev->regs.pci.fn = fn->bdf.fn;
	dev->regs.pci.config_space = pci_config_space(host, fn->bdf);
	dev->regs.pci.pci_vendor_id = fn->vendor_id;
	dev->regs.pci.pci_device_id = fn->device_id;
	dev->device_id = virtio_pci_device_type(host, fn);
	dev->vendor_id = pci_cfg_rd(host, fn->bdf, PCI_SUBSYSTEM_VENDOR_ID, 2);
	if (dev->device_id == 0)
		return -VBLK_ENODEV;
	for (unsigned i = 0; i <= VIRTIO_PCI_CAP_DEVICE_CFG; i++)
		found[i] = (struct cap_found){ .err = -VBLK_EBROKEN };
	/* §4.1.5.1.1.1: no virtio capability at all is a legacy-only device. */
	if (walk_caps(host, fn, found) == 0)
		return -VBLK_EUNSUPP;
	int err = keep_structures(dev, found);
	if (err)
		return err;
	dev->regs.pci.num_queues = (uint16_t)common_read(dev, VIRTIO_PCI_COMMON_NUMQ, 2);
	return 0;
}
