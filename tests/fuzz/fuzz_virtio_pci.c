/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the virtio-pci transport's capability walk and BAR
 * checks (virtio/pci.c), on one function of the fake ECAM whose config
 * space and BARs come from the input, then its ops once against a device
 * whose every register value comes from the input too.
 *
 * Properties (shared/VIRTIO-CHECKLIST.md §7):
 *   - the walk ends: the probe's config reads are bounded (PCI-7);
 *   - the probe reads config space of its own function only, below 0x100,
 *     aligned, and writes none (PCI-7, PCI-14);
 *   - virtio_pci_probe returns 0 or a documented code, and a refusal
 *     touches no BAR;
 *   - on 0, every structure lies inside an assigned memory BAR (PCI-13);
 *   - every BAR access lies inside a structure the probe kept, aligned
 *     for its width (PCI-5), and nothing is accessed where no BAR
 *     decodes (the host platform aborts);
 *   - queue_enable either succeeds, with the notify address inside the
 *     NOTIFY structure and 2-aligned, or refuses before queue_enable is
 *     written (PCI-22, PCI-30); interrupt_status is one byte, the
 *     reserved bits 2-7 passed up as read for the driver to count
 *     (PCI-33), and an acknowledged bit is no longer kept; config_read
 *     past device_bytes is 0 without an access;
 *   - then pci_use_intx (pci/intx.c), on the same config space with every
 *     capability byte writable: its reads are as bounded as the probe's,
 *     and the only bits that change are Command's Interrupt Disable and
 *     the enable bit in Message Control of each MSI and MSI-X capability
 *     an independent walk of the list finds (PCI-14: nothing else in a
 *     capability is written).
 *
 * Input: a flags byte (bit 0: BARs read but not assigned; bit 1: another
 * vendor), an ID byte (bit 7: transitional 0x1000 + id, else modern
 * 0x1040 + id), the subsystem ID, per BAR a kind byte (bits 0-1: none,
 * I/O, 32-bit, 64-bit; bit 2 prefetchable; bit 3 a raw mask follows, 8
 * bytes; bit 4 keep it absurd) and a log2 size byte, the Status low byte,
 * the capability pointer, config space 0x40-0xff (192 bytes), then the
 * stream the device's register values are read from.
 */
#include <stdlib.h>
#include <string.h>

#include "../host/fake_pci.h"
#include "../host/host_platform.h"
#include "fuzz_input.h"
#include "pci/pci.h"
#include "vblk/error.h"
#include "virtio/pci.h"

#define ECAM_BASE        0x4010000000ull
#define ECAM_BYTES       0x10000000u
#define PROBE_ECAM_BASE  0x5000000000ull
#define PROBE_ECAM_BYTES (1u << PCI_ECAM_BUS_SHIFT)
#define FN_DEV           1u
#define CAPS_BYTES       (PCI_CFG_LEGACY_BYTES - PCI_CFG_HEADER_BYTES)
#define WINDOW_MAX_LOG2  30   /* the fake maps at most 1 GiB of a BAR */
/* The probe's config reads: IDs, Status and the pointer, then per hop
 * at most the vendor ID, next, cfg_type, cap_len, bar, offset, length
 * and the multiplier. */
#define MAX_PROBE_CFG_READS (8u + 48u * 8u)

#define PROBE_BAR_READS_MAX 4   /* the probe reads num_queues only */

#define CHECK(cond) do { if (!(cond)) { host_fail("invariant: %s", #cond); } } while (0)

static struct pci_scan scan;

/* What the device and the checks share for one input. */
static struct world {
	struct input stream;          /* register values */
	struct fake_pci *pci;
	int index;
	const struct pci_function *fn;
	struct virtio_dev dev;
	bool probed;                  /* the structures below are known */
	bool using_intx;              /* inside pci_use_intx: writes allowed */
	bool notifying;               /* inside ops->notify */
	unsigned probe_cfg_reads;
	unsigned bar_accesses;
	unsigned queue_enable_writes;
	unsigned notify_writes;
	struct access {
		uint64_t addr;
		unsigned width_bytes;
	} probe_bar_read[PROBE_BAR_READS_MAX];
	unsigned probe_bar_reads;
} w;

/* ---- the function from the input -------------------------------------- */

static struct fake_pci_bar_spec bar_from(struct input *in)
{
	uint8_t kind = take8(in), log2 = take8(in);
	struct fake_pci_bar_spec bar = {
		.kind = (enum fake_pci_bar_kind)(kind & 3),
		.prefetchable = (kind & 4) != 0,
		.size_bytes = 1ull << (4 + log2 % (WINDOW_MAX_LOG2 - 3)),
	};

	if (kind & 8) {
		uint64_t mask = take64(in);
		/* Bit 63 clear: no run of ones from the top, so pci/ never
		 * places it. Else at most 1 GiB (holes allowed). */
		bar.mask_override = kind & 0x10 ? mask & ~(1ull << 63)
						 : mask | ~((1ull << WINDOW_MAX_LOG2) - 1);
		/* The fake decodes size_bytes: the mask's lowest address bit. */
		uint64_t addr_bits = bar.mask_override & ~(uint64_t)0xf;
		bar.size_bytes = addr_bits ? addr_bits & -addr_bits : 16;
		if (bar.mask_override == 0)    /* 0 is no override: no address bit */
			bar.mask_override = 1;
	}
	return bar;
}

static void add_function(struct input *in, uint8_t flags)
{
	uint8_t id = take8(in);
	struct fake_pci_fn_spec spec = {
		.parent = -1, .dev = FN_DEV,
		.vendor_id = flags & 2 ? 0x1234 : VIRTIO_PCI_VENDOR_ID,
		.device_id = (uint16_t)(id & 0x80 ? VIRTIO_PCI_TRANSITIONAL_FIRST + (id & 0x3f)
					: VIRTIO_PCI_MODERN_ID_BASE + (id & 0x3f)),
		.class_code = 0x010000, .subsystem_vendor_id = VIRTIO_PCI_VENDOR_ID,
		.subsystem_id = take8(in),
	};
	uint8_t caps[CAPS_BYTES], status_low, pointer;

	for (unsigned b = 0; b < FAKE_PCI_BARS; b++)
		spec.bar[b] = bar_from(in);
	status_low = take8(in);
	pointer = take8(in);
	for (unsigned i = 0; i < CAPS_BYTES; i++)
		caps[i] = take8(in);
	w.index = fake_pci_add(w.pci, &spec);
	fake_pci_cfg_set(w.pci, w.index, PCI_STATUS, &status_low, 1);
	fake_pci_cfg_set(w.pci, w.index, PCI_CAP_POINTER, &pointer, 1);
	fake_pci_cfg_set(w.pci, w.index, PCI_CFG_HEADER_BYTES, caps, CAPS_BYTES);
}

/* ---- the config window the probe reads through ------------------------ */

static uint32_t probe_ecam_read(void *ctx, uint32_t offset, unsigned width_bytes)
{
	uint32_t reg = offset & (PCI_CFG_SPACE_BYTES - 1);

	(void)ctx;
	CHECK(offset >> PCI_ECAM_FN_SHIFT == FN_DEV * PCI_FNS_PER_DEV);
	CHECK(reg < PCI_CFG_LEGACY_BYTES && reg % width_bytes == 0);
	CHECK(++w.probe_cfg_reads <= MAX_PROBE_CFG_READS);
	return fake_pci_cfg_read(w.pci, w.index, reg, width_bytes);
}

static void probe_ecam_write(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	uint32_t reg = offset & (PCI_CFG_SPACE_BYTES - 1);

	(void)ctx;
	if (!w.using_intx)
		host_fail("probe wrote config +0x%x (%u bytes) = 0x%x", offset, width_bytes, val);
	/* What changes is checked after the call (check_use_intx). */
	CHECK(offset >> PCI_ECAM_FN_SHIFT == FN_DEV * PCI_FNS_PER_DEV);
	CHECK(reg < PCI_CFG_LEGACY_BYTES && reg % width_bytes == 0);
	fake_pci_cfg_write(w.pci, w.index, reg, width_bytes, val);
}

static const struct host_mmio_ops probe_ecam_ops = {
	.read = probe_ecam_read,
	.write = probe_ecam_write,
};

/* ---- the device behind the BARs --------------------------------------- */

/* [addr, addr + bytes) inside [base, base + len_bytes). */
static bool within(uint64_t addr, uint64_t bytes, uint64_t base, uint64_t len_bytes)
{
	return addr >= base && addr - base <= len_bytes && bytes <= len_bytes - (addr - base);
}

/* Which structure the probe kept an access falls in (COMMON: the fields
 * the transport uses), at its width's alignment; 0 if none. */
static uint32_t structure_at(uint64_t addr, unsigned width_bytes)
{
	const struct virtio_pci_regs *r = &w.dev.regs.pci;

	if (addr % width_bytes != 0)
		return 0;
	if (within(addr, width_bytes, r->common, VIRTIO_PCI_COMMON_MIN_BYTES))
		return VIRTIO_PCI_CAP_COMMON_CFG;
	if (within(addr, width_bytes, r->notify, r->notify_bytes))
		return VIRTIO_PCI_CAP_NOTIFY_CFG;
	if (addr == r->isr && width_bytes == 1)
		return VIRTIO_PCI_CAP_ISR_CFG;
	if (within(addr, width_bytes, r->device, r->device_bytes))
		return VIRTIO_PCI_CAP_DEVICE_CFG;
	return 0;
}

/* The structure of an access, or host_fail. Until the probe has
 * returned its structures are not known: its reads are kept and checked
 * once it has (check_probe_reads). */
static uint32_t structure_of(unsigned bar, uint32_t offset, unsigned width_bytes)
{
	uint64_t addr = fake_pci_bar_mapped_at(w.pci, w.index, bar) + offset;

	w.bar_accesses++;
	if (!w.probed) {
		CHECK(w.probe_bar_reads < PROBE_BAR_READS_MAX);
		w.probe_bar_read[w.probe_bar_reads++] = (struct access){ addr, width_bytes };
		return 0;
	}
	uint32_t type = structure_at(addr, width_bytes);
	if (type == 0)
		host_fail("BAR%u +0x%x (%u bytes): in no structure, or misaligned", bar, offset,
			  width_bytes);
	return type;
}

static uint32_t bar_read(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes)
{
	(void)ctx;
	structure_of(bar, offset, width_bytes);
	uint32_t val = take32(&w.stream);
	return width_bytes == 4 ? val : val & ((1u << (8 * width_bytes)) - 1);
}

/* Writes go to the common fields, or (during notify only) to the queue's
 * notify address: 16 bits inside NOTIFY. Structures may overlap; the
 * device then hears its own registers written, which harms only it. */
static void bar_write(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes,
		      uint32_t val)
{
	const struct virtio_pci_regs *r = &w.dev.regs.pci;
	uint64_t addr = fake_pci_bar_mapped_at(w.pci, w.index, bar) + offset;

	(void)ctx;
	(void)val;
	CHECK(w.probed);
	structure_of(bar, offset, width_bytes);
	if (w.notifying) {
		CHECK(addr == r->queue0_notify && width_bytes == 2);
		CHECK(within(addr, width_bytes, r->notify, r->notify_bytes));
		w.notify_writes++;
		return;
	}
	CHECK(within(addr, width_bytes, r->common, VIRTIO_PCI_COMMON_MIN_BYTES));
	if (addr == r->common + VIRTIO_PCI_COMMON_Q_ENABLE)
		w.queue_enable_writes++;
}

static const struct fake_pci_device_ops device_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
};

/* ---- checks ------------------------------------------------------------- */

static bool in_memory_bar(uint64_t addr, uint64_t len_bytes)
{
	for (unsigned b = 0; b < w.fn->nbars; b++) {
		const struct pci_bar *bar = &w.fn->bar[b];

		if ((bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64) && bar->status == 0 &&
		    len_bytes != 0 && within(addr, len_bytes, bar->cpu_addr, bar->size_bytes))
			return true;
	}
	return false;
}

static void check_structures(void)
{
	const struct virtio_pci_regs *r = &w.dev.regs.pci;

	CHECK(in_memory_bar(r->common, VIRTIO_PCI_COMMON_MIN_BYTES));
	CHECK(in_memory_bar(r->isr, 1));
	CHECK(in_memory_bar(r->device, r->device_bytes) && r->device_bytes >= 8);
	CHECK(in_memory_bar(r->notify, r->notify_bytes) && r->notify_bytes >= 2);
	CHECK(r->common % 4 == 0 && r->device % 4 == 0 && r->notify % 2 == 0);
	CHECK(w.dev.device_id != 0);
	for (unsigned i = 0; i < w.probe_bar_reads; i++)
		CHECK(structure_at(w.probe_bar_read[i].addr, w.probe_bar_read[i].width_bytes) ==
		      VIRTIO_PCI_CAP_COMMON_CFG);
}

static void exercise_config(struct virtio_dev *dev)
{
	for (unsigned i = 0; i < 4; i++) {
		unsigned width = 1u << (take8(&w.stream) % 3);
		uint32_t offset = take8(&w.stream) & ~(width - 1);
		unsigned before = w.bar_accesses;
		uint32_t val = dev->ops->config_read(dev, offset, width);

		if (offset + width > dev->regs.pci.device_bytes)
			CHECK(val == 0 && w.bar_accesses == before);
	}
}

static void exercise_queue(struct virtio_dev *dev)
{
	static const struct virtio_queue_addrs addrs = {
		.desc = 0x40100000, .driver = 0x40101000, .device = 0x40102000,
	};
	uint16_t num = (uint16_t)(dev->ops->queue_max(dev, 0) & 0x100 ? 256 : 8);

	dev->ops->queue_max(dev, (uint16_t)(take8(&w.stream) % 3));
	int err = dev->ops->queue_enable(dev, 0, num, &addrs);
	CHECK(err == 0 || err == -VBLK_EBROKEN);
	if (err) {
		CHECK(w.queue_enable_writes == 0);
		return;
	}
	CHECK(w.queue_enable_writes == 1);
	w.notifying = true;
	dev->ops->notify(dev, 0);
	w.notifying = false;
	CHECK(w.notify_writes == 1);
}

static void exercise_ops(struct virtio_dev *dev)
{
	int err = dev->ops->reset(dev);

	CHECK(err == 0 || err == -VBLK_ETIMEDOUT);
	dev->ops->set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	(void)dev->ops->get_status(dev);
	dev->ops->set_driver_features(dev, dev->ops->device_features(dev));
	(void)dev->ops->config_generation(dev);
	exercise_config(dev);
	exercise_queue(dev);
	/* The ISR is one byte; reserved bits come up as read, once (the
	 * driver counts them), and what is acknowledged is no longer kept. */
	uint32_t pending = dev->ops->interrupt_status(dev);
	CHECK(pending <= 0xffu);
	dev->ops->interrupt_ack(dev, pending);
	CHECK(dev->regs.pci.isr_pending == 0);
}

/* ---- pci_use_intx -------------------------------------------------------- */

static void snapshot(uint8_t cfg[PCI_CFG_LEGACY_BYTES])
{
	for (uint32_t at = 0; at < PCI_CFG_LEGACY_BYTES; at++)
		cfg[at] = (uint8_t)fake_pci_cfg_read(w.pci, w.index, at, 1);
}

/* What pci_use_intx may clear and what it must, found by a walk of the
 * list written here from PCI 3.0 §6.7 (not pci/cap.c's): Command bit 10
 * (must); the enable bit of each MSI (bit 0) and MSI-X (bit 15) Message
 * Control (may), of the first of each kind (must: a function has one). */
static void clearable_bits(const uint8_t cfg[PCI_CFG_LEGACY_BYTES],
			   uint8_t may_clear[PCI_CFG_LEGACY_BYTES],
			   uint8_t must_clear[PCI_CFG_LEGACY_BYTES])
{
	bool msi_seen = false, msix_seen = false;

	memset(may_clear, 0, PCI_CFG_LEGACY_BYTES);
	memset(must_clear, 0, PCI_CFG_LEGACY_BYTES);
	may_clear[PCI_COMMAND + 1] = must_clear[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return;
	uint32_t pos = cfg[PCI_CAP_POINTER] & ~3u;
	for (unsigned hops = 0; hops < 48 && pos >= 0x40 && pos < PCI_CFG_LEGACY_BYTES; hops++) {
		if (cfg[pos] == PCI_CAP_ID_MSI) {
			may_clear[pos + PCI_MSI_CONTROL] |= PCI_MSI_CONTROL_ENABLE;
			if (!msi_seen)
				must_clear[pos + PCI_MSI_CONTROL] |= PCI_MSI_CONTROL_ENABLE;
			msi_seen = true;
		}
		if (cfg[pos] == PCI_CAP_ID_MSIX) {
			may_clear[pos + PCI_MSI_CONTROL + 1] |= PCI_MSIX_CONTROL_ENABLE >> 8;
			if (!msix_seen)
				must_clear[pos + PCI_MSI_CONTROL + 1] |= PCI_MSIX_CONTROL_ENABLE >> 8;
			msix_seen = true;
		}
		pos = cfg[pos + 1] & ~3u;
	}
}

static void check_use_intx(const struct pci_host *probe_host)
{
	static uint8_t all_ones[CAPS_BYTES];
	uint8_t before[PCI_CFG_LEGACY_BYTES], after[PCI_CFG_LEGACY_BYTES];
	uint8_t may_clear[PCI_CFG_LEGACY_BYTES], must_clear[PCI_CFG_LEGACY_BYTES];

	memset(all_ones, 0xff, sizeof(all_ones));
	fake_pci_cfg_writable(w.pci, w.index, PCI_CFG_HEADER_BYTES, all_ones, CAPS_BYTES);
	fake_pci_cfg_write(w.pci, w.index, PCI_COMMAND, 2,
			   fake_pci_cfg_read(w.pci, w.index, PCI_COMMAND, 2) |
			   PCI_COMMAND_INTX_DISABLE);
	snapshot(before);
	clearable_bits(before, may_clear, must_clear);
	w.probe_cfg_reads = 0;
	w.using_intx = true;
	pci_use_intx(probe_host, (struct pci_bdf){ 0, FN_DEV, 0 });
	w.using_intx = false;
	snapshot(after);
	for (uint32_t at = 0; at < PCI_CFG_LEGACY_BYTES; at++) {
		uint8_t changed = before[at] ^ after[at];

		CHECK((changed & ~may_clear[at]) == 0 && (after[at] & ~before[at]) == 0);
		CHECK((after[at] & must_clear[at]) == 0);
	}
}

/* ---- one input ---------------------------------------------------------- */

/* pci_scan and pci_enable; if a broken BAR makes pci_enable refuse,
 * Memory Space by hand, so the assigned BARs decode all the same. */
static const struct pci_function *scanned(const struct pci_host *host)
{
	CHECK(pci_scan(&scan, host) >= 0);
	for (unsigned i = 0; i < scan.count; i++) {
		if (scan.fn[i].bdf.dev != FN_DEV)
			continue;
		if (pci_enable(&scan, i) != 0)
			fake_pci_cfg_write(w.pci, w.index, PCI_COMMAND, 2,
					   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		return &scan.fn[i];
	}
	host_fail("the function was not found");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pci_function unassigned;
	struct input in = { data, size, 0 };
	const struct pci_host host = {
		.ecam_base = ECAM_BASE, .ecam_size_bytes = ECAM_BYTES, .bus_first = 0,
		.bus_last = 0xff,
		.mem32 = { 0x10000000, 0x10000000, 0x2eff0000 },
		.mem64 = { 0x8000000000ull, 0x8000000000ull, 0x8000000000ull },
	};
	const struct pci_host probe_host = {
		.ecam_base = PROBE_ECAM_BASE, .ecam_size_bytes = PROBE_ECAM_BYTES,
		.bus_first = 0, .bus_last = 0,
	};
	uint8_t flags = take8(&in);

	memset(&w, 0, sizeof(w));
	w.pci = fake_pci_create(ECAM_BASE, ECAM_BYTES, 0);
	host_mmio_map((uintptr_t)PROBE_ECAM_BASE, PROBE_ECAM_BYTES, &probe_ecam_ops, NULL);
	host_set_time_step_us(100000);   /* a reset that never ends: 10 relaxes */
	add_function(&in, flags);
	w.stream = (struct input){ data + in.pos, size - in.pos, 0 };
	fake_pci_set_device(w.pci, w.index, &device_ops, NULL);
	if (flags & 1) {
		pci_read_function(&host, (struct pci_bdf){ 0, FN_DEV, 0 }, -1, &unassigned);
		w.fn = &unassigned;
	} else {
		w.fn = scanned(&host);
	}

	int err = virtio_pci_probe(&w.dev, &probe_host, w.fn);
	CHECK(err == 0 || err == -VBLK_ENODEV || err == -VBLK_EUNSUPP || err == -VBLK_ESTATE ||
	      err == -VBLK_EBROKEN);
	if (err == 0) {
		w.probed = true;
		check_structures();
		exercise_ops(&w.dev);
	} else {
		CHECK(w.bar_accesses == 0);
	}
	check_use_intx(&probe_host);
	host_platform_reset();
	return 0;
}
