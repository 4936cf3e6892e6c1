/* SPDX-License-Identifier: MIT */
/*
 * BAR4 of the fake virtio-pci device (virtio 1.2 §4.1.4): the common
 * configuration structure (§4.1.4.3) decoded into the state the MMIO face
 * uses, the ISR (§4.1.4.5), the device configuration (§4.1.4.6, the blk
 * config of fake_virtio_cfg.c) and the notify area (§4.1.4.4). What a
 * field reads back and what a write does follow QEMU 7.2
 * (VIRTIO-CHECKLIST §7); each driver mistake is recorded by its ID.
 */
#include <stddef.h>

#include "fake_virtio_internal.h"

/* struct virtio_pci_common_cfg (virtio 1.2 §4.1.4.3). */
#define CC_DEVICE_FEATURE_SELECT 0x00u
#define CC_DEVICE_FEATURE        0x04u
#define CC_DRIVER_FEATURE_SELECT 0x08u
#define CC_DRIVER_FEATURE        0x0cu
#define CC_CONFIG_MSIX_VECTOR    0x10u
#define CC_NUM_QUEUES            0x12u
#define CC_DEVICE_STATUS         0x14u
#define CC_CONFIG_GENERATION     0x15u
#define CC_QUEUE_SELECT          0x16u
#define CC_QUEUE_SIZE            0x18u
#define CC_QUEUE_MSIX_VECTOR     0x1au
#define CC_QUEUE_ENABLE          0x1cu
#define CC_QUEUE_NOTIFY_OFF      0x1eu
#define CC_QUEUE_DESC_LO         0x20u
#define CC_QUEUE_DESC_HI         0x24u
#define CC_QUEUE_DRIVER_LO       0x28u
#define CC_QUEUE_DRIVER_HI       0x2cu
#define CC_QUEUE_DEVICE_LO       0x30u
#define CC_QUEUE_DEVICE_HI       0x34u
#define CC_QUEUE_NOTIFY_DATA     0x38u
#define CC_QUEUE_RESET           0x3au

#define NO_VECTOR                0xffffu  /* virtio 1.2 §4.1.5.1.2 */
#define QEMU_QUEUE_SELECT_LIMIT  1024u    /* QEMU ignores a select at or above */
#define NOTIFY_WIDTH_BYTES       2u       /* without NOTIFICATION_DATA (§4.1.5.2) */

struct cc_field {
	uint8_t offset;
	uint8_t width_bytes;
	bool writable;
	bool per_queue;            /* about the selected queue (PCI-21) */
	const char *name;
};

static const struct cc_field cc_fields[] = {
	{ CC_DEVICE_FEATURE_SELECT, 4, true,  false, "device_feature_select" },
	{ CC_DEVICE_FEATURE,        4, false, false, "device_feature" },
	{ CC_DRIVER_FEATURE_SELECT, 4, true,  false, "driver_feature_select" },
	{ CC_DRIVER_FEATURE,        4, true,  false, "driver_feature" },
	{ CC_CONFIG_MSIX_VECTOR,    2, true,  false, "config_msix_vector" },
	{ CC_NUM_QUEUES,            2, false, false, "num_queues" },
	{ CC_DEVICE_STATUS,         1, true,  false, "device_status" },
	{ CC_CONFIG_GENERATION,     1, false, false, "config_generation" },
	{ CC_QUEUE_SELECT,          2, true,  false, "queue_select" },
	{ CC_QUEUE_SIZE,            2, true,  true,  "queue_size" },
	{ CC_QUEUE_MSIX_VECTOR,     2, true,  true,  "queue_msix_vector" },
	{ CC_QUEUE_ENABLE,          2, true,  true,  "queue_enable" },
	{ CC_QUEUE_NOTIFY_OFF,      2, false, true,  "queue_notify_off" },
	{ CC_QUEUE_DESC_LO,         4, true,  true,  "queue_desc (low)" },
	{ CC_QUEUE_DESC_HI,         4, true,  true,  "queue_desc (high)" },
	{ CC_QUEUE_DRIVER_LO,       4, true,  true,  "queue_driver (low)" },
	{ CC_QUEUE_DRIVER_HI,       4, true,  true,  "queue_driver (high)" },
	{ CC_QUEUE_DEVICE_LO,       4, true,  true,  "queue_device (low)" },
	{ CC_QUEUE_DEVICE_HI,       4, true,  true,  "queue_device (high)" },
	{ CC_QUEUE_NOTIFY_DATA,     2, false, true,  "queue_notify_data" },
	{ CC_QUEUE_RESET,           2, true,  true,  "queue_reset" },
};

/* The field an access names, or NULL after recording why it is wrong
 * (virtio 1.2 §4.1.3.1, PCI-5: each field at its own width and offset). */
static const struct cc_field *find_cc_field(struct fake_virtio *fv, uint32_t offset,
					    unsigned width_bytes, const char *verb)
{
	for (size_t i = 0; i < sizeof(cc_fields) / sizeof(cc_fields[0]); i++) {
		const struct cc_field *f = &cc_fields[i];
		if (offset < f->offset || offset >= f->offset + f->width_bytes)
			continue;
		if (offset == f->offset && width_bytes == f->width_bytes)
			return f;
		fake_violation(fv, "PCI-5", "%u-byte %s at common +%#x: %s is %u bytes at %#x",
			       width_bytes, verb, offset, f->name, f->width_bytes, f->offset);
		return NULL;
	}
	fake_violation(fv, "PCI-5", "%u-byte %s at common +%#x, where there is no field",
		       width_bytes, verb, offset);
	return NULL;
}

static uint32_t num_queues(const struct fake_virtio *fv)
{
	return fv->opts.num_queues > 1 ? fv->opts.num_queues : 1;
}

/* PCI-21: a per-queue field only after queue_select named a queue the
 * device has. Queue 0 is the only one modelled; others read as absent. */
static bool queue_selected(struct fake_virtio *fv, const struct cc_field *f)
{
	if (!fv->queue_sel_written) {
		fake_violation(fv, "PCI-21", "%s before any queue_select", f->name);
		return false;
	}
	if (fv->queue_sel >= num_queues(fv)) {
		fake_violation(fv, "PCI-21", "%s of queue %u; num_queues is %u", f->name,
			       fv->queue_sel, num_queues(fv));
		return false;
	}
	return fv->queue_sel == 0;
}

/* ---- reads ---------------------------------------------------------- */

static uint32_t feature_word(uint64_t features, uint32_t select)
{
	return select > 1 ? 0 : (uint32_t)(features >> (32 * select));
}

static uint32_t read_queue_field(struct fake_virtio_pci *face, uint32_t offset)
{
	const struct fake_queue *q = &face->fv->queue;

	switch (offset) {
	/* After reset queue_size reads the maximum (QEMU). */
	case CC_QUEUE_SIZE:        return q->num ? q->num : face->fv->opts.queue_num_max;
	case CC_QUEUE_MSIX_VECTOR: return NO_VECTOR;
	case CC_QUEUE_ENABLE:      return face->fv->queue_reads_in_use ? 1 : q->ready;
	case CC_QUEUE_NOTIFY_OFF:  return face->opts.queue_notify_off;
	case CC_QUEUE_DESC_LO:     return (uint32_t)q->desc_addr;
	case CC_QUEUE_DESC_HI:     return (uint32_t)(q->desc_addr >> 32);
	case CC_QUEUE_DRIVER_LO:   return (uint32_t)q->avail_addr;
	case CC_QUEUE_DRIVER_HI:   return (uint32_t)(q->avail_addr >> 32);
	case CC_QUEUE_DEVICE_LO:   return (uint32_t)q->used_addr;
	case CC_QUEUE_DEVICE_HI:   return (uint32_t)(q->used_addr >> 32);
	}
	return 0;   /* queue_notify_data (no NOTIF_CONFIG_DATA), queue_reset */
}

static uint32_t read_common(struct fake_virtio_pci *face, uint32_t offset, unsigned width_bytes)
{
	struct fake_virtio *fv = face->fv;
	const struct cc_field *f = find_cc_field(fv, offset, width_bytes, "read");

	if (f == NULL)
		return 0;
	if (f->per_queue)
		return queue_selected(fv, f) ? read_queue_field(face, offset) : 0;
	switch (offset) {
	case CC_DEVICE_FEATURE_SELECT: return fv->device_features_sel;
	case CC_DEVICE_FEATURE:
		if (!fv->device_sel_written)
			fake_violation(fv, "PCI-18", "device_feature read before its select");
		return feature_word(fv->opts.features, fv->device_features_sel);
	case CC_DRIVER_FEATURE_SELECT: return fv->driver_features_sel;
	case CC_DRIVER_FEATURE:        return feature_word(fv->driver_features,
							   fv->driver_features_sel);
	case CC_CONFIG_MSIX_VECTOR:    return NO_VECTOR;
	case CC_NUM_QUEUES:            return num_queues(fv);
	case CC_DEVICE_STATUS:         return fake_status_read(fv);
	case CC_CONFIG_GENERATION:
		fake_at_access(fv, FAKE_AT_GENERATION_READ);
		return fv->config_generation & 0xffu;
	case CC_QUEUE_SELECT:          return fv->queue_sel;
	}
	return 0;
}

/* ---- writes --------------------------------------------------------- */

static void write_status(struct fake_virtio_pci *face, uint32_t val)
{
	struct fake_virtio *fv = face->fv;

	/* PCI-16: bus mastering on before the device may use the rings. */
	if ((val & STATUS_DRIVER_OK) && !(fv->status & STATUS_DRIVER_OK) && !face->bus_master)
		fake_violation(fv, "PCI-16", "DRIVER_OK with Bus Master Enable clear");
	fake_status_write(fv, val);
}

static void write_queue_size(struct fake_virtio *fv, uint32_t val)
{
	/* virtio 1.2 §4.1.4.3.2 (PCI-19): no larger than the maximum read
	 * after reset; a power of 2 on a split ring (PK-2: any size on a
	 * packed one). */
	if (!fake_ring_size_ok(fv, val) || val > fv->opts.queue_num_max) {
		fake_violation(fv, "PCI-19", "queue_size %u (maximum %u)", val, fv->opts.queue_num_max);
		return;
	}
	fv->queue.num = val;
}

static void write_addr_half(uint64_t *addr, bool high, uint32_t val)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | (uint64_t)val << 32;
	else
		*addr = (*addr & ~0xffffffffull) | val;
}

static void enable_queue(struct fake_virtio *fv, uint32_t val)
{
	struct fake_queue *q = &fv->queue;
	uint32_t size = q->num ? q->num : fv->opts.queue_num_max;

	/* QEMU 7.2 takes a 0 as an error: DEVICE_NEEDS_RESET, queue kept. */
	if (val != 1) {
		fake_device_error(fv, "PCI-23", "queue_enable = %u", val);
		return;
	}
	if (q->ready) {
		fake_violation(fv, "PCI-22", "queue_enable = 1 on an enabled queue");
		return;
	}
	fake_check_setup_phase(fv, "queue_enable = 1");
	if (size == 0) {   /* virtio 1.2 §4.1.5.1.3 (PCI-20) */
		fake_violation(fv, "PCI-20", "queue of size 0 enabled");
		return;
	}
	fake_queue_go_live(fv, q->desc_addr, q->avail_addr, q->used_addr, size);
}

/* With RING_RESET the queue stops at once: queue_enable 0, queue_size
 * back to the maximum, addresses kept (QEMU 7.2, PCI-25). */
static void reset_queue(struct fake_virtio *fv, uint32_t val)
{
	if (!fake_negotiated(fv, FAKE_F_RING_RESET)) {
		fake_violation(fv, "PCI-25", "queue_reset written without RING_RESET");
		return;
	}
	if (val == 1) {
		fake_queue_stop(fv);
		fv->queue.num = 0;
	}
}

static void write_queue_field(struct fake_virtio *fv, const struct cc_field *f, uint32_t val)
{
	struct fake_queue *q = &fv->queue;

	/* virtio 1.2 §4.1.4.3.2 (PCI-22): a queue's fields are fixed once
	 * it is enabled. */
	if (q->ready && f->offset != CC_QUEUE_ENABLE && f->offset != CC_QUEUE_RESET) {
		fake_violation(fv, "PCI-22", "%s written while the queue is enabled", f->name);
		return;
	}
	switch (f->offset) {
	case CC_QUEUE_SIZE:        write_queue_size(fv, val); break;
	case CC_QUEUE_MSIX_VECTOR: break;   /* no MSI-X: the vector reads NO_VECTOR */
	case CC_QUEUE_ENABLE:      enable_queue(fv, val); break;
	case CC_QUEUE_RESET:       reset_queue(fv, val); break;
	case CC_QUEUE_DESC_LO:
	case CC_QUEUE_DESC_HI:     write_addr_half(&q->desc_addr, f->offset & 4, val); break;
	case CC_QUEUE_DRIVER_LO:
	case CC_QUEUE_DRIVER_HI:   write_addr_half(&q->avail_addr, f->offset & 4, val); break;
	default:                   write_addr_half(&q->used_addr, f->offset & 4, val); break;
	}
}

static void write_queue_select(struct fake_virtio *fv, uint32_t val)
{
	/* QEMU ignores a select it cannot hold and keeps the old queue, so
	 * every later queue access would hit that one (PCI-21). */
	if (val >= QEMU_QUEUE_SELECT_LIMIT) {
		fake_violation(fv, "PCI-21", "queue_select %u, which QEMU ignores", val);
		return;
	}
	fv->queue_sel = val;
	fv->queue_sel_written = true;
}

static void write_common(struct fake_virtio_pci *face, uint32_t offset, unsigned width_bytes,
			 uint32_t val)
{
	struct fake_virtio *fv = face->fv;
	const struct cc_field *f = find_cc_field(fv, offset, width_bytes, "write");

	if (f == NULL)
		return;
	if (!f->writable) {   /* virtio 1.2 §4.1.4.3.2 (PCI-17) */
		fake_violation(fv, "PCI-17", "write of %#x to read-only %s", val, f->name);
		return;
	}
	if (f->per_queue) {
		if (queue_selected(fv, f))
			write_queue_field(fv, f, val);
		return;
	}
	switch (offset) {
	case CC_DEVICE_FEATURE_SELECT:
		fv->device_features_sel = val;
		fv->device_sel_written = true;
		break;
	case CC_DRIVER_FEATURE_SELECT: fake_driver_features_sel_write(fv, val); break;
	case CC_DRIVER_FEATURE:        fake_driver_features_write(fv, val, "PCI-18"); break;
	case CC_DEVICE_STATUS:         write_status(face, val); break;
	case CC_QUEUE_SELECT:          write_queue_select(fv, val); break;
	default:                       break;   /* config_msix_vector: no MSI-X */
	}
}

/* ---- ISR and notifications ------------------------------------------ */

/* virtio 1.2 §4.1.4.5: one byte, cleared by the read, which also lowers
 * INTx. Bits a broken device keeps up survive (stuck_interrupt_bits). */
static uint32_t read_isr(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes)
{
	fake_interrupt_status_read(fv);
	uint32_t isr = fv->interrupt_status & PCI_ISR_BITS;

	if (offset != 0 || width_bytes != 1) {
		fake_violation(fv, "PCI-5", "%u-byte ISR read at +%#x", width_bytes, offset);
		return 0;
	}
	fv->interrupt_status &= fv->stuck_interrupt_bits;
	return isr;
}

/* virtio 1.2 §4.1.4.4, §4.1.5.2: queue q is notified by a 16-bit write of
 * its index at cap.offset + queue_notify_off * notify_off_multiplier. */
static void write_notify(struct fake_virtio_pci *face, uint32_t offset, unsigned width_bytes,
			 uint32_t val)
{
	struct fake_virtio *fv = face->fv;
	uint32_t queue0_at = (uint32_t)face->opts.queue_notify_off * face->opts.notify_off_multiplier;

	if (offset != queue0_at) {
		fv->stats.notifies++;
		fake_violation(fv, "PCI-29", "notification at notify +%#x; queue 0's is +%#x",
			       offset, queue0_at);
		return;
	}
	if (width_bytes != NOTIFY_WIDTH_BYTES || val != 0) {
		fake_violation(fv, "PCI-31", "%u-byte notification of %#x for queue 0",
			       width_bytes, val);
	}
	if (!face->bus_master) {
		fv->stats.notifies++;
		fake_violation(fv, "PCI-16", "notification with Bus Master Enable clear");
		return;
	}
	fake_queue_notify(fv, 0, "PCI-31");
}

/* ---- BAR4 ----------------------------------------------------------- */

static bool is_decoy(const struct fake_virtio_pci *face, uint32_t offset)
{
	return face->opts.second_common && offset >= FAKE_VIRTIO_PCI_DECOY_COMMON &&
	       offset < FAKE_VIRTIO_PCI_DECOY_COMMON + 0x40u;
}

/* RST-1: while a reset is pending only device_status may be polled. */
static void check_reset(struct fake_virtio *fv, uint32_t offset, bool status_poll)
{
	fake_check_reset_done(fv, offset, offset == FAKE_VIRTIO_PCI_COMMON + CC_DEVICE_STATUS &&
				  status_poll);
}

uint32_t fake_pci_bar4_read(struct fake_virtio_pci *face, uint32_t offset, unsigned width_bytes)
{
	struct fake_virtio *fv = face->fv;
	uint32_t in = offset % FAKE_VIRTIO_PCI_STRUCT_BYTES;
	uint32_t val = 0;

	check_reset(fv, offset, true);
	if (is_decoy(face, offset))
		fake_violation(fv, "PCI-9", "read at BAR4 +%#x: the second COMMON capability", offset);
	else if (offset < FAKE_VIRTIO_PCI_ISR)
		val = read_common(face, in, width_bytes);
	else if (offset < FAKE_VIRTIO_PCI_DEVICE)
		val = read_isr(fv, in, width_bytes);
	else if (offset < FAKE_VIRTIO_PCI_NOTIFY)
		val = fake_cfg_read(fv, in, width_bytes);
	fake_trace_access(fv, offset, width_bytes, false, val);
	fake_at_access_end(fv);
	return val;
}

void fake_pci_bar4_write(struct fake_virtio_pci *face, uint32_t offset, unsigned width_bytes,
			 uint32_t val)
{
	struct fake_virtio *fv = face->fv;
	uint32_t in = offset % FAKE_VIRTIO_PCI_STRUCT_BYTES;

	fake_trace_access(fv, offset, width_bytes, true, val);
	check_reset(fv, offset, val == 0);
	if (is_decoy(face, offset))
		fake_violation(fv, "PCI-9", "write at BAR4 +%#x: the second COMMON capability", offset);
	else if (offset < FAKE_VIRTIO_PCI_ISR)
		write_common(face, in, width_bytes, val);
	else if (offset < FAKE_VIRTIO_PCI_DEVICE)
		fake_violation(fv, "PCI-17", "write of %#x to the ISR", val);
	else if (offset < FAKE_VIRTIO_PCI_NOTIFY)
		fake_cfg_write(fv, in, width_bytes, val);
	else
		write_notify(face, in, width_bytes, val);
	fake_at_access_end(fv);
}
