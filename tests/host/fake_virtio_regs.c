/* SPDX-License-Identifier: MIT */
/*
 * The fake device's virtio-mmio register file (virtio 1.2 §4.2.2, legacy
 * interface §4.2.4): what each register reads back, what a write does,
 * and which driver rules each access must obey. Config space (0x100 on)
 * is in fake_virtio_cfg.c. Device status, driver features and queue
 * notifications behave alike on every transport: the PCI face
 * (fake_virtio_pci_common.c) calls the fake_* functions here.
 */
#include <stddef.h>

#include "fake_virtio_internal.h"

enum reg_access { ACC_R = 1, ACC_W = 2, ACC_RW = 3 };
enum reg_versions { IN_LEGACY = 1, IN_MODERN = 2, IN_BOTH = 3 };

struct reg_info {
	uint32_t offset;
	uint8_t access;
	uint8_t versions;
	const char *name;
};

/* The register map. An offset that is not here (the shared-memory
 * registers 0x0ac-0x0bc, QueueReset 0x0c0 which QEMU 7.2 lacks, ...) is an
 * unknown register: MMIO-1 / MMIO-16. */
static const struct reg_info reg_table[] = {
	{ REG_MAGIC_VALUE,         ACC_R,  IN_BOTH,   "MagicValue" },
	{ REG_VERSION,             ACC_R,  IN_BOTH,   "Version" },
	{ REG_DEVICE_ID,           ACC_R,  IN_BOTH,   "DeviceID" },
	{ REG_VENDOR_ID,           ACC_R,  IN_BOTH,   "VendorID" },
	{ REG_DEVICE_FEATURES,     ACC_R,  IN_BOTH,   "DeviceFeatures" },
	{ REG_DEVICE_FEATURES_SEL, ACC_W,  IN_BOTH,   "DeviceFeaturesSel" },
	{ REG_DRIVER_FEATURES,     ACC_W,  IN_BOTH,   "DriverFeatures" },
	{ REG_DRIVER_FEATURES_SEL, ACC_W,  IN_BOTH,   "DriverFeaturesSel" },
	{ REG_GUEST_PAGE_SIZE,     ACC_W,  IN_LEGACY, "GuestPageSize" },
	{ REG_QUEUE_SEL,           ACC_W,  IN_BOTH,   "QueueSel" },
	{ REG_QUEUE_NUM_MAX,       ACC_R,  IN_BOTH,   "QueueNumMax" },
	{ REG_QUEUE_NUM,           ACC_W,  IN_BOTH,   "QueueNum" },
	{ REG_QUEUE_ALIGN,         ACC_W,  IN_LEGACY, "QueueAlign" },
	{ REG_QUEUE_PFN,           ACC_RW, IN_LEGACY, "QueuePFN" },
	{ REG_QUEUE_READY,         ACC_RW, IN_MODERN, "QueueReady" },
	{ REG_QUEUE_NOTIFY,        ACC_W,  IN_BOTH,   "QueueNotify" },
	{ REG_INTERRUPT_STATUS,    ACC_R,  IN_BOTH,   "InterruptStatus" },
	{ REG_INTERRUPT_ACK,       ACC_W,  IN_BOTH,   "InterruptACK" },
	{ REG_STATUS,              ACC_RW, IN_BOTH,   "Status" },
	{ REG_QUEUE_DESC_LOW,      ACC_W,  IN_MODERN, "QueueDescLow" },
	{ REG_QUEUE_DESC_HIGH,     ACC_W,  IN_MODERN, "QueueDescHigh" },
	{ REG_QUEUE_DRIVER_LOW,    ACC_W,  IN_MODERN, "QueueDriverLow" },
	{ REG_QUEUE_DRIVER_HIGH,   ACC_W,  IN_MODERN, "QueueDriverHigh" },
	{ REG_QUEUE_DEVICE_LOW,    ACC_W,  IN_MODERN, "QueueDeviceLow" },
	{ REG_QUEUE_DEVICE_HIGH,   ACC_W,  IN_MODERN, "QueueDeviceHigh" },
	{ REG_CONFIG_GENERATION,   ACC_R,  IN_MODERN, "ConfigGeneration" },
};

static const struct reg_info *find_reg(uint32_t offset)
{
	for (size_t i = 0; i < sizeof(reg_table) / sizeof(reg_table[0]); i++) {
		if (reg_table[i].offset == offset)
			return &reg_table[i];
	}
	return NULL;
}

static bool is_power_of_2(uint32_t val)
{
	return val != 0 && (val & (val - 1)) == 0;
}

/* Returns the register if the access may proceed; otherwise records why
 * not. Like QEMU, a refused read returns 0 and a refused write is dropped. */
static const struct reg_info *check_access(struct fake_virtio *fv, uint32_t offset,
					   unsigned width_bytes, enum reg_access dir)
{
	const char *verb = dir == ACC_R ? "read" : "write";
	const struct reg_info *reg = find_reg(offset);
	uint8_t version_bit = fake_is_legacy(fv) ? IN_LEGACY : IN_MODERN;

	/* virtio 1.2 §4.2.2.2: 32-bit aligned accesses only below 0x100. */
	if (width_bytes != 4 || offset % 4 != 0) {
		fake_violation(fv, "MMIO-2", "%u-byte %s at register offset %#x",
			       width_bytes, verb, offset);
		return NULL;
	}
	if (reg == NULL) {
		fake_violation(fv, "MMIO-1", "%s of unknown register offset %#x", verb, offset);
		return NULL;
	}
	if (!(reg->versions & version_bit)) {
		fake_violation(fv, "MMIO-1", "%s of %s, which version %u does not have",
			       verb, reg->name, fv->opts.version);
		return NULL;
	}
	if (!(reg->access & dir)) {
		fake_violation(fv, "MMIO-1", "%s of %s, which is %s-only", verb, reg->name,
			       dir == ACC_R ? "write" : "read");
		return NULL;
	}
	return reg;
}

/* virtio 1.2 §2.4.2 (RST-1): after writing 0 the driver waits until
 * Status reads 0 before touching the device again (reading Status, or
 * writing 0 once more, is all it may do meanwhile). */
void fake_check_reset_done(struct fake_virtio *fv, uint32_t offset, bool status_poll)
{
	if (fv->reset_reads_left == 0 || status_poll)
		return;
	fake_violation(fv, "RST-1", "access to offset %#x before Status read back 0", offset);
	fv->reset_reads_left = 0;
}

/* virtio 1.2 §4.2.3.1.1 (MMIO-4/5/15): a driver reads MagicValue, Version
 * and DeviceID first, and leaves a slot alone if the magic is wrong, the
 * version unknown or the DeviceID 0 (an empty slot). */
static void check_slot_usable(struct fake_virtio *fv, uint32_t offset)
{
	const struct fake_virtio_opts *o = &fv->opts;

	if (offset == REG_MAGIC_VALUE || offset == REG_VERSION || offset == REG_DEVICE_ID)
		return;
	if (o->magic != FAKE_MAGIC)
		fake_violation(fv, "MMIO-4", "offset %#x touched on a slot with bad magic %#x",
			       offset, o->magic);
	else if (o->version != 1 && o->version != 2)
		fake_violation(fv, "MMIO-5", "offset %#x touched on a version %u device",
			       offset, o->version);
	else if (o->device_id == 0)
		fake_violation(fv, "MMIO-15", "offset %#x touched on an empty slot (DeviceID 0)",
			       offset);
}

/* The selected queue, or NULL (with a violation) if it does not exist:
 * QueueNumMax 0 means "no such queue" (virtio 1.2 §4.2.2). */
static struct fake_queue *selected_queue(struct fake_virtio *fv, const char *reg_name)
{
	if (fv->queue_sel == 0 && fv->opts.queue_num_max != 0)
		return &fv->queue;
	fake_violation(fv, "MMIO-9", "%s for queue %u, which does not exist",
		       reg_name, fv->queue_sel);
	return NULL;
}

/* ---- reads ---------------------------------------------------------- */

static uint32_t read_device_features(struct fake_virtio *fv)
{
	if (!fv->device_sel_written)
		fake_violation(fv, "MMIO-7", "DeviceFeatures read before DeviceFeaturesSel was written");
	if (fv->device_features_sel > 1)
		return 0;
	/* A legacy device has 32 feature bits only (QEMU: Sel=1 reads 0). */
	if (fake_is_legacy(fv) && fv->device_features_sel == 1)
		return 0;
	return (uint32_t)(fv->opts.features >> (32 * fv->device_features_sel));
}

static uint32_t read_queue_num_max(struct fake_virtio *fv)
{
	if (fv->queue_sel != 0)
		return 0;
	/* virtio 1.2 §4.2.4 (MMIO-25): legacy reads it only while QueuePFN is 0. */
	if (fake_is_legacy(fv) && fv->queue.legacy_pfn != 0)
		fake_violation(fv, "MMIO-25", "QueueNumMax read while QueuePFN is set");
	return fv->opts.queue_num_max;
}

uint32_t fake_status_read(struct fake_virtio *fv)
{
	fake_at_access(fv, FAKE_AT_STATUS_READ);
	if (fv->reset_reads_left > 0) {
		fv->reset_reads_left--;
		/* A device reset from Status 0 reads 0 at once: the driver that
		 * sees it has waited as §2.4.2 asks, so the delay is over. */
		if (fv->status_before_reset == 0)
			fv->reset_reads_left = 0;
		return fv->status_before_reset;
	}
	return fv->status;
}

static uint32_t read_register(struct fake_virtio *fv, uint32_t offset)
{
	switch (offset) {
	case REG_MAGIC_VALUE:       return fv->opts.magic;
	case REG_VERSION:           return fv->opts.version;
	case REG_DEVICE_ID:         return fv->opts.device_id;
	case REG_VENDOR_ID:         return fv->opts.vendor_id;
	case REG_DEVICE_FEATURES:   return read_device_features(fv);
	case REG_QUEUE_NUM_MAX:     return read_queue_num_max(fv);
	case REG_QUEUE_PFN:
		return fv->queue_sel != 0 ? 0 : fv->queue_reads_in_use ? 1 : fv->queue.legacy_pfn;
	case REG_QUEUE_READY:
		return fv->queue_sel != 0 ? 0 : fv->queue_reads_in_use ? 1 : fv->queue.ready;
	case REG_INTERRUPT_STATUS:  fake_interrupt_status_read(fv); return fv->interrupt_status;
	case REG_STATUS:            return fake_status_read(fv);
	case REG_CONFIG_GENERATION:
		fake_at_access(fv, FAKE_AT_GENERATION_READ);
		return fv->config_generation;
	}
	return 0;
}

void fake_trace_access(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes,
		       bool write, uint32_t val)
{
	if (fv->reg_trace_len < FAKE_REG_TRACE_MAX)
		fv->reg_trace[fv->reg_trace_len++] = (struct fake_virtio_access){
			.offset = offset, .value = val,
			.width_bytes = (uint8_t)width_bytes, .write = write,
		};
}

static uint32_t read_access(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes);

uint32_t fake_regs_read(void *ctx, uint32_t offset, unsigned width_bytes)
{
	struct fake_virtio *fv = ctx;
	uint32_t val = read_access(fv, offset, width_bytes);

	fake_trace_access(fv, offset, width_bytes, false, val);
	if (offset == REG_CONFIG_GENERATION && fv->resize_after_gen_reads != 0 &&
	    (fv->status & STATUS_DRIVER_OK) && --fv->resize_after_gen_reads == 0) {
		if (fv->resize_more_gen_reads != 0) {
			fv->resize_more_gen_reads--;
			fv->resize_after_gen_reads = 1;
		}
		fake_virtio_resize(fv, fv->resize_after_gen_reads_to);
		fake_ring_deliver_interrupt(fv);   /* taken right after the load */
	}
	fake_at_access_end(fv);
	return val;
}

static uint32_t read_access(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes)
{
	check_slot_usable(fv, offset);
	fake_check_reset_done(fv, offset, offset == REG_STATUS);
	if (offset >= REG_CONFIG)
		return fake_cfg_read(fv, offset - REG_CONFIG, width_bytes);
	if (check_access(fv, offset, width_bytes, ACC_R) == NULL)
		return 0;
	return read_register(fv, offset);
}

/* ---- device status (virtio 1.2 §2.1, §3.1) -------------------------- */

void fake_device_reset(struct fake_virtio *fv)
{
	fake_queue_stop(fv);
	fv->queue = (struct fake_queue){ 0 };
	fv->status = 0;
	fv->device_features_sel = fv->driver_features_sel = 0;
	fv->device_sel_written = fv->driver_sel_written = false;
	fv->driver_features = fv->accepted_features = 0;
	fv->queue_sel = 0;
	fv->guest_page_size = 0;
	fv->interrupt_status = 0;
	fv->broken = false;
	fv->queue_sel_written = false;
}

/* virtio 1.2 §3.1.1: each step's bit needs the previous step's bit. */
static void check_status_order(struct fake_virtio *fv, uint32_t val)
{
	uint32_t before_driver_ok = fake_is_legacy(fv) ? STATUS_DRIVER : STATUS_FEATURES_OK;

	if ((val & STATUS_DRIVER) && !(val & STATUS_ACKNOWLEDGE))
		fake_violation(fv, "INIT-1", "Status %#x: DRIVER without ACKNOWLEDGE", val);
	if ((val & STATUS_FEATURES_OK) && !(val & STATUS_DRIVER))
		fake_violation(fv, "INIT-1", "Status %#x: FEATURES_OK without DRIVER", val);
	if ((val & STATUS_DRIVER_OK) && !(val & before_driver_ok))
		fake_violation(fv, "INIT-1", "Status %#x: DRIVER_OK before %s", val,
			       fake_is_legacy(fv) ? "DRIVER" : "FEATURES_OK");
	if (fake_is_legacy(fv) && (val & STATUS_FEATURES_OK))
		fake_violation(fv, "INIT-7", "FEATURES_OK written to a legacy device");
}

/* FEAT-1/4/7/15, checked when the driver fixes its features. Returns false
 * if a device would not accept the set. */
static bool features_acceptable(struct fake_virtio *fv)
{
	uint64_t extra = fv->driver_features & ~fv->opts.features;

	if (extra != 0) {
		fake_violation(fv, "FEAT-1", "driver accepted %#llx, not offered",
			       (unsigned long long)extra);
		return false;
	}
	if (!fake_is_legacy(fv) && fake_offered(fv, FAKE_F_VERSION_1) &&
	    !fake_negotiated(fv, FAKE_F_VERSION_1))
		fake_violation(fv, "FEAT-7", "VERSION_1 offered but not accepted");
	if (fv->pci == NULL && fake_negotiated(fv, FAKE_F_RING_RESET))
		fake_violation(fv, "FEAT-15", "RING_RESET accepted, but there is no QueueReset register");
	return true;
}

static void on_features_ok(struct fake_virtio *fv)
{
	bool acceptable = features_acceptable(fv);

	if (!acceptable || fake_knob_fire(&fv->refuse_features_ok)) {
		fv->status &= ~STATUS_FEATURES_OK;  /* virtio 1.2 §2.2.2 */
		return;
	}
	fv->accepted_features = fv->driver_features;
}

/* Legacy has no FEATURES_OK: the features are whatever was written when
 * the driver says it is ready. */
static void on_driver_ok(struct fake_virtio *fv)
{
	if (fake_is_legacy(fv)) {
		features_acceptable(fv);
		fv->accepted_features = fv->driver_features;
	}
}

static void trace_status(struct fake_virtio *fv, uint32_t val)
{
	if (fv->status_trace_len < FAKE_STATUS_TRACE_MAX)
		fv->status_trace[fv->status_trace_len++] = (uint8_t)val;
}

void fake_status_write(struct fake_virtio *fv, uint32_t val)
{
	uint32_t old = fv->status;
	uint32_t added = val & ~old;

	trace_status(fv, val);
	if (val == 0) {
		fv->stats.resets++;
		/* A reset written while the last one is still in progress
		 * does not finish it: Status keeps what it read before. */
		if (fv->reset_reads_left == 0)
			fv->status_before_reset = old;
		fv->reset_reads_left = fv->reset_delay_reads;
		fake_device_reset(fv);
		return;
	}
	/* DEVICE_NEEDS_RESET is the device's bit: the driver may leave it out. */
	if (old & ~STATUS_DEVICE_NEEDS_RESET & ~val)
		fake_violation(fv, "STAT-2", "Status %#x clears bits of %#x without a reset", val, old);
	if ((old & STATUS_FAILED) && (added & ~STATUS_FAILED))
		fake_violation(fv, "STAT-3", "Status %#x after FAILED without a reset", val);
	check_status_order(fv, val);
	if ((added & STATUS_DRIVER_OK) && fv->resize_before_driver_ok) {
		/* The resize lands just before the write: as on QEMU, a
		 * change before DRIVER_OK raises no interrupt. */
		fv->resize_before_driver_ok = false;
		fake_virtio_resize(fv, fv->resize_before_driver_ok_to);
	}
	fv->status = val | (old & STATUS_DEVICE_NEEDS_RESET);
	if ((added & STATUS_FEATURES_OK) && !fake_is_legacy(fv))
		on_features_ok(fv);
	if (added & STATUS_DRIVER_OK)
		on_driver_ok(fv);
}

/* ---- features (virtio 1.2 §2.2, §4.2.2) ----------------------------- */

/* Have the features been fixed? Modern: FEATURES_OK; legacy: DRIVER_OK. */
bool fake_features_fixed(const struct fake_virtio *fv)
{
	return fv->status & (fake_is_legacy(fv) ? STATUS_DRIVER_OK : STATUS_FEATURES_OK);
}

void fake_driver_features_write(struct fake_virtio *fv, uint32_t val, const char *no_select_rule)
{
	unsigned shift = 32 * fv->driver_features_sel;

	if (fake_features_fixed(fv)) {
		fake_violation(fv, "INIT-3", "DriverFeatures written after the features were fixed");
		return;
	}
	if (!fv->driver_sel_written)
		fake_violation(fv, no_select_rule, "driver features written before their select");
	if (!(fv->status & STATUS_DRIVER))
		fake_violation(fv, "INIT-1", "DriverFeatures written before Status DRIVER");
	if (fv->driver_features_sel > 1) {
		if (val != 0)
			fake_violation(fv, "FEAT-1", "DriverFeatures word %u = %#x: no such features",
				       fv->driver_features_sel, val);
		return;
	}
	fv->driver_features &= ~(0xffffffffull << shift);
	fv->driver_features |= (uint64_t)val << shift;
}

void fake_driver_features_sel_write(struct fake_virtio *fv, uint32_t val)
{
	if (fake_features_fixed(fv))
		fake_violation(fv, "INIT-3", "DriverFeaturesSel written after the features were fixed");
	fv->driver_features_sel = val;
	fv->driver_sel_written = true;
}

/* ---- queue setup (virtio 1.2 §4.2.3.2, legacy §4.2.4) --------------- */

/* INIT-1: queues are set up after feature negotiation, before DRIVER_OK. */
void fake_check_setup_phase(struct fake_virtio *fv, const char *what)
{
	if (!fake_features_fixed(fv) && !fake_is_legacy(fv))
		fake_violation(fv, "INIT-1", "%s before FEATURES_OK", what);
	if (fake_is_legacy(fv) && !(fv->status & STATUS_DRIVER))
		fake_violation(fv, "INIT-1", "%s before Status DRIVER", what);
	if (fv->status & STATUS_DRIVER_OK)
		fake_violation(fv, "INIT-1", "%s after DRIVER_OK", what);
}

/* MMIO-10: while the queue is live its size and addresses are fixed. */
static struct fake_queue *queue_for_setup(struct fake_virtio *fv, const char *reg_name)
{
	struct fake_queue *q = selected_queue(fv, reg_name);

	if (q != NULL && q->ready) {
		fake_violation(fv, "MMIO-10", "%s written while the queue is live", reg_name);
		return NULL;
	}
	return q;
}

/* A split ring's size is a power of 2 (SPL-2); a packed ring's need
 * not be (PK-2). Either is at most 32768. */
bool fake_ring_size_ok(const struct fake_virtio *fv, uint32_t size)
{
	if (fake_negotiated(fv, FAKE_F_RING_PACKED))
		return size != 0 && size <= MAX_QUEUE_SIZE;
	return is_power_of_2(size) && size <= MAX_QUEUE_SIZE;
}

static void write_queue_num(struct fake_virtio *fv, uint32_t val)
{
	struct fake_queue *q = queue_for_setup(fv, "QueueNum");

	if (q == NULL)
		return;
	if (val > fv->opts.queue_num_max)
		fake_violation(fv, "MMIO-9", "QueueNum %u > QueueNumMax %u", val, fv->opts.queue_num_max);
	if (!fake_ring_size_ok(fv, val))
		fake_violation(fv, fake_negotiated(fv, FAKE_F_RING_PACKED) ? "PK-2" : "SPL-2",
			       "QueueNum %u is not %s", val,
			       fake_negotiated(fv, FAKE_F_RING_PACKED) ? "in 1..32768"
								   : "a power of 2 <= 32768");
	q->num = val;
}

static void write_queue_addr(struct fake_virtio *fv, uint32_t offset, uint32_t val)
{
	struct fake_queue *q = queue_for_setup(fv, find_reg(offset)->name);
	uint64_t *addr;

	if (q == NULL)
		return;
	if (offset < REG_QUEUE_DRIVER_LOW)
		addr = &q->desc_addr;
	else if (offset < REG_QUEUE_DEVICE_LOW)
		addr = &q->avail_addr;
	else
		addr = &q->used_addr;
	if (offset % 8 == 0)  /* ...LOW */
		*addr = (*addr & ~0xffffffffull) | val;
	else
		*addr = (*addr & 0xffffffffull) | (uint64_t)val << 32;
}

/* The size the queue goes live with: QueueNum, which must be valid. */
static uint32_t queue_size_to_use(struct fake_virtio *fv, const struct fake_queue *q)
{
	if (q->num == 0) {
		fake_violation(fv, "MMIO-18", "queue enabled without writing QueueNum");
		return 0;
	}
	if (q->num > fv->opts.queue_num_max || !fake_ring_size_ok(fv, q->num))
		return 0;  /* already recorded when QueueNum was written */
	return q->num;
}

static void write_queue_ready(struct fake_virtio *fv, uint32_t val)
{
	struct fake_queue *q = selected_queue(fv, "QueueReady");
	uint32_t size;

	if (q == NULL)
		return;
	if (val == 0) {
		fake_queue_stop(fv);
		return;
	}
	if (val != 1 || q->ready) {
		fake_violation(fv, "MMIO-10", "QueueReady = %u while ready = %u", val, q->ready);
		return;
	}
	fake_check_setup_phase(fv, "QueueReady = 1");
	size = queue_size_to_use(fv, q);
	if (size != 0)
		fake_queue_go_live(fv, q->desc_addr, q->avail_addr, q->used_addr, size);
}

static uint64_t align_up(uint64_t val, uint64_t align)
{
	return (val + align - 1) & ~(align - 1);
}

static void write_guest_page_size(struct fake_virtio *fv, uint32_t val)
{
	if (!is_power_of_2(val))
		fake_violation(fv, "MMIO-23", "GuestPageSize %u is not a power of 2", val);
	fv->guest_page_size = val;
}

static void write_queue_align(struct fake_virtio *fv, uint32_t val)
{
	struct fake_queue *q = queue_for_setup(fv, "QueueAlign");

	if (q == NULL)
		return;
	if (!is_power_of_2(val))
		fake_violation(fv, "MMIO-24", "QueueAlign %u is not a power of 2", val);
	q->legacy_align = val;
}

/* Legacy: did the driver write everything the PFN needs? (QEMU hangs
 * silently without them, QEMU-FACTS.md.) */
static bool legacy_layout_known(struct fake_virtio *fv, const struct fake_queue *q)
{
	if (!is_power_of_2(fv->guest_page_size)) {
		fake_violation(fv, "MMIO-23", "QueuePFN written before a valid GuestPageSize");
		return false;
	}
	if (!is_power_of_2(q->legacy_align)) {
		fake_violation(fv, "MMIO-24", "QueuePFN written before a valid QueueAlign");
		return false;
	}
	return true;
}

/* Legacy layout (virtio 1.2 §2.7.2 legacy interface): descriptors at
 * PFN * GuestPageSize, the avail ring right after them, the used ring at
 * the next QueueAlign boundary. */
static void write_queue_pfn(struct fake_virtio *fv, uint32_t val)
{
	struct fake_queue *q;
	uint32_t size;
	uint64_t desc, avail, used;

	if (val == 0) {  /* MMIO-26: PFN 0 stops the queue */
		if (selected_queue(fv, "QueuePFN") != NULL)
			fake_queue_stop(fv);
		return;
	}
	q = queue_for_setup(fv, "QueuePFN");
	if (q == NULL)
		return;
	fake_check_setup_phase(fv, "QueuePFN");
	size = queue_size_to_use(fv, q);
	if (size == 0 || !legacy_layout_known(fv, q))
		return;
	desc = (uint64_t)val * fv->guest_page_size;
	avail = desc + (uint64_t)DESC_BYTES * size;
	used = align_up(avail + RING_OFF_ENTRIES + (uint64_t)AVAIL_ENTRY_BYTES * size +
			sizeof(uint16_t), q->legacy_align);
	if (fake_queue_go_live(fv, desc, avail, used, size) == 0)
		q->legacy_pfn = val;
}

/* ---- notifications and interrupts ----------------------------------- */

void fake_queue_notify(struct fake_virtio *fv, uint32_t queue_index, const char *no_queue_rule)
{
	fake_at_access(fv, FAKE_AT_NOTIFY_WRITE);
	fv->stats.notifies++;
	/* virtio 1.2 §3.1.1 (INIT-6): no notifications before DRIVER_OK. */
	if (!(fv->status & STATUS_DRIVER_OK)) {
		fake_violation(fv, "INIT-6", "QueueNotify before DRIVER_OK");
		return;
	}
	if (queue_index != 0 || !fv->queue.ready) {
		fake_violation(fv, no_queue_rule, "notification for queue %u, which is not live",
			       queue_index);
		return;
	}
	fake_ring_take_avail(fv);
	if (fv->completion == FAKE_COMPLETE_IMMEDIATE)
		fake_ring_complete(fv, ~0u, false);
}

/* virtio 1.2 §4.2.2.2 (MMIO-13): acknowledge only pending bits. The
 * driver acknowledges undefined bits too, but only those the device
 * raised: nothing else would ever clear them, and a level-triggered line
 * would stay up for good (issue 13; docs/conformance.md, MMIO-13). An
 * undefined bit that is not pending is still a violation. */
static void write_interrupt_ack(struct fake_virtio *fv, uint32_t val)
{
	fake_at_access(fv, FAKE_AT_ACK_WRITE);
	if (val & ~fv->interrupt_status)
		fake_violation(fv, "MMIO-13", "InterruptACK %#x, but only %#x is pending",
			       val, fv->interrupt_status);
	fv->interrupt_status &= ~val | fv->stuck_interrupt_bits;
}

static void write_register(struct fake_virtio *fv, uint32_t offset, uint32_t val)
{
	switch (offset) {
	case REG_DEVICE_FEATURES_SEL:
		fv->device_features_sel = val;
		fv->device_sel_written = true;
		break;
	case REG_DRIVER_FEATURES:     fake_driver_features_write(fv, val, "MMIO-8"); break;
	case REG_DRIVER_FEATURES_SEL: fake_driver_features_sel_write(fv, val); break;
	case REG_GUEST_PAGE_SIZE:     write_guest_page_size(fv, val); break;
	case REG_QUEUE_SEL:           fv->queue_sel = val; break;
	case REG_QUEUE_NUM:           write_queue_num(fv, val); break;
	case REG_QUEUE_ALIGN:         write_queue_align(fv, val); break;
	case REG_QUEUE_PFN:           write_queue_pfn(fv, val); break;
	case REG_QUEUE_READY:         write_queue_ready(fv, val); break;
	case REG_QUEUE_NOTIFY:        fake_queue_notify(fv, val, "MMIO-19"); break;
	case REG_INTERRUPT_ACK:       write_interrupt_ack(fv, val); break;
	case REG_STATUS:              fake_status_write(fv, val); break;
	default:                      write_queue_addr(fv, offset, val); break;
	}
}

void fake_regs_write(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	struct fake_virtio *fv = ctx;

	fake_trace_access(fv, offset, width_bytes, true, val);
	check_slot_usable(fv, offset);
	fake_check_reset_done(fv, offset, offset == REG_STATUS && val == 0);
	if (offset >= REG_CONFIG) {
		fake_cfg_write(fv, offset - REG_CONFIG, width_bytes, val);
		return;
	}
	if (check_access(fv, offset, width_bytes, ACC_W) == NULL)
		return;
	write_register(fv, offset, val);
	fake_at_access_end(fv);
}
