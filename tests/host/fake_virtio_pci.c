/* SPDX-License-Identifier: MIT */
/*
 * The fake virtio-blk device as a PCI function (fake_virtio_pci.h): its
 * configuration header and capability list, what its BARs decode, and
 * what Command lets it do. BAR4's structures are fake_virtio_pci_common.c.
 */
#include <stdlib.h>

#include "fake_virtio_internal.h"

#define VIRTIO_SUBSYSTEM_MODERN  0x1100u  /* QEMU: modern-only's subsystem ID */
#define LEGACY_IO_BAR_BYTES      128u
#define LEGACY_IO_ADDR           0x1000u  /* where "firmware" puts BAR0 */
#define INTX_PIN_A               1u
#define MSIX_VECTORS             2u       /* QEMU's default (PCI-49) */
#define MSIX_PBA_OFFSET          0x800u

/* PCI 3.0 §6.1, §6.7: the header fields the capability list hangs on. */
#define CFG_COMMAND              0x04u
#define CFG_STATUS               0x06u
#define CFG_BAR0                 0x10u
#define CFG_CAP_PTR              0x34u
#define STATUS_CAP_LIST          0x0010u
#define COMMAND_MEMORY           0x0002u
#define COMMAND_IO               0x0001u
#define COMMAND_MASTER           0x0004u
#define COMMAND_INTX_DISABLE     0x0400u
#define MSIX_CONTROL             0x2u     /* Message Control, in the cap */
#define MSIX_CONTROL_ENABLE      0x8000u

/* Where each capability sits: QEMU's offsets (it fills config space
 * upwards from 0x40 and links each new capability at the head, so the
 * list runs backwards), the hostile extras above them. */
#define CAP_AT_COMMON            0x40u
#define CAP_AT_ISR               0x50u
#define CAP_AT_DEVICE            0x60u
#define CAP_AT_NOTIFY            0x70u
#define CAP_AT_PCI_CFG           0x84u
#define CAP_AT_MSIX              0x98u
#define CAP_AT_BAR6              0xa4u
#define CAP_AT_RESERVED_7        0xb4u
#define CAP_AT_RESERVED_42       0xc4u
#define CAP_AT_SECOND_COMMON     0xd4u
#define CAP_LIST_MAX             10

/* struct virtio_pci_cap (virtio 1.2 §4.1.4): 16 bytes, 20 for NOTIFY
 * (notify_off_multiplier) and PCI_CFG (pci_cfg_data). */
#define VCAP_BYTES               16u
#define VCAP_BYTES_LONG          20u
#define RESERVED_BAR             6u

struct cap_list {
	uint8_t at[CAP_LIST_MAX];   /* config offsets in walk order */
	unsigned count;
};

static void put_le(uint8_t *p, uint32_t val, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(val >> (8 * i));
}

/* One virtio vendor capability, its cap_next filled in later. */
static void put_vcap(struct fake_virtio_pci *face, struct cap_list *list, uint8_t at,
		     uint8_t cfg_type, uint8_t bar, uint32_t offset, uint32_t length)
{
	bool is_long = cfg_type == FAKE_PCI_CAP_NOTIFY_CFG || cfg_type == FAKE_PCI_CAP_PCI_CFG;
	uint8_t cap[VCAP_BYTES_LONG] = { FAKE_PCI_CAP_ID_VENDOR, 0,
					 is_long ? VCAP_BYTES_LONG : VCAP_BYTES, cfg_type, bar };

	put_le(&cap[8], offset, 4);
	put_le(&cap[12], length, 4);
	if (cfg_type == FAKE_PCI_CAP_NOTIFY_CFG)
		put_le(&cap[16], face->opts.notify_off_multiplier, 4);
	fake_pci_cfg_set(face->bus, face->fn_index, at, cap, cap[2]);
	list->at[list->count++] = at;
}

/* MSI-X (PCI 3.0 §6.8.2): table in BAR1 at 0, PBA at 0x800; Message
 * Control says table size - 1, and its enable bit is the one the bus may
 * change. */
static void put_msix_cap(struct fake_virtio_pci *face, struct cap_list *list)
{
	uint8_t cap[12] = { FAKE_PCI_CAP_ID_MSIX, 0 };
	uint8_t enable_only[2];

	put_le(&cap[2], MSIX_VECTORS - 1, 2);
	put_le(&cap[4], FAKE_VIRTIO_PCI_MSIX_BAR, 4);
	put_le(&cap[8], MSIX_PBA_OFFSET | FAKE_VIRTIO_PCI_MSIX_BAR, 4);
	fake_pci_cfg_set(face->bus, face->fn_index, CAP_AT_MSIX, cap, sizeof(cap));
	put_le(enable_only, MSIX_CONTROL_ENABLE, 2);
	fake_pci_cfg_writable(face->bus, face->fn_index, CAP_AT_MSIX + MSIX_CONTROL, enable_only,
			      sizeof(enable_only));
	list->at[list->count++] = CAP_AT_MSIX;
}

static void link_caps(struct fake_virtio_pci *face, const struct cap_list *list)
{
	uint8_t head = list->at[0];
	uint8_t last_next = face->opts.cap_loop ? head : face->opts.last_cap_next;
	uint16_t status = STATUS_CAP_LIST;

	fake_pci_cfg_set(face->bus, face->fn_index, CFG_CAP_PTR, &head, 1);
	for (unsigned i = 0; i < list->count; i++) {
		uint8_t next = i + 1 < list->count ? list->at[i + 1] : last_next;
		fake_pci_cfg_set(face->bus, face->fn_index, list->at[i] + 1u, &next, 1);
	}
	fake_pci_cfg_set(face->bus, face->fn_index, CFG_STATUS, &status, sizeof(status));
}

/* The list a driver walks from 0x34 (virtio 1.2 §4.1.4; QEMU's order,
 * PCI-9), with the knobs' extras where they do harm. */
static void build_caps(struct fake_virtio_pci *face)
{
	const struct fake_virtio_pci_opts *o = &face->opts;
	struct cap_list list = { .count = 0 };
	uint8_t bar = FAKE_VIRTIO_PCI_BAR;

	put_msix_cap(face, &list);
	if (o->bar6_cap_first)
		put_vcap(face, &list, CAP_AT_BAR6, FAKE_PCI_CAP_COMMON_CFG, RESERVED_BAR,
			 FAKE_VIRTIO_PCI_COMMON, FAKE_VIRTIO_PCI_STRUCT_BYTES);
	if (o->reserved_types_first) {
		put_vcap(face, &list, CAP_AT_RESERVED_7, 7, bar, FAKE_VIRTIO_PCI_DECOY_COMMON, 0x40);
		put_vcap(face, &list, CAP_AT_RESERVED_42, 0x42, bar, FAKE_VIRTIO_PCI_DECOY_COMMON, 0x40);
	}
	put_vcap(face, &list, CAP_AT_PCI_CFG, FAKE_PCI_CAP_PCI_CFG, 0, 0, 0);
	put_vcap(face, &list, CAP_AT_NOTIFY, FAKE_PCI_CAP_NOTIFY_CFG, bar,
		 FAKE_VIRTIO_PCI_NOTIFY, FAKE_VIRTIO_PCI_STRUCT_BYTES);
	put_vcap(face, &list, CAP_AT_DEVICE, FAKE_PCI_CAP_DEVICE_CFG, bar,
		 FAKE_VIRTIO_PCI_DEVICE, o->device_length);
	put_vcap(face, &list, CAP_AT_ISR, FAKE_PCI_CAP_ISR_CFG, bar,
		 FAKE_VIRTIO_PCI_ISR, FAKE_VIRTIO_PCI_STRUCT_BYTES);
	put_vcap(face, &list, CAP_AT_COMMON, FAKE_PCI_CAP_COMMON_CFG, bar,
		 FAKE_VIRTIO_PCI_COMMON, o->common_length);
	if (o->second_common)
		put_vcap(face, &list, CAP_AT_SECOND_COMMON, FAKE_PCI_CAP_COMMON_CFG, bar,
			 FAKE_VIRTIO_PCI_DECOY_COMMON, 0x40);
	link_caps(face, &list);
}

/* ---- the function as the bus sees it -------------------------------- */

static uint32_t bar_read(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes)
{
	if (bar != FAKE_VIRTIO_PCI_BAR)
		return 0;   /* the MSI-X table: never enabled, reads 0 */
	return fake_pci_bar4_read(ctx, offset, width_bytes);
}

static void bar_write(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	if (bar == FAKE_VIRTIO_PCI_BAR)
		fake_pci_bar4_write(ctx, offset, width_bytes, val);
}

/* Bus Master Enable gates every ring access (PCI-16). QEMU 7.2 clears
 * DRIVER_OK when it goes off, stops serving the queue, and does not give
 * DRIVER_OK back when it returns (VIRTIO-CHECKLIST PCI-16). */
static void command_changed(void *ctx, uint16_t old_command, uint16_t new_command)
{
	struct fake_virtio_pci *face = ctx;
	struct fake_virtio *fv = face->fv;

	face->bus_master = (new_command & COMMAND_MASTER) != 0;
	if ((old_command & COMMAND_MASTER) && !face->bus_master &&
	    (fv->status & STATUS_DRIVER_OK)) {
		fake_violation(fv, "PCI-16", "Bus Master Enable cleared after DRIVER_OK");
		fv->status &= ~STATUS_DRIVER_OK;
	}
}

/* Time passes for the device only while it may use the rings; the INTx
 * line is not DMA and is delivered regardless. */
static void face_relax(void *ctx)
{
	struct fake_virtio_pci *face = ctx;

	if (face->bus_master) {
		fake_ring_relax(face->fv);
		return;
	}
	face->fv->relax_steps++;
	fake_ring_deliver_interrupt(face->fv);
}

static void face_deliver(void *ctx)
{
	struct fake_virtio_pci *face = ctx;

	fake_ring_deliver_interrupt(face->fv);
}

static void face_release(void *ctx)
{
	struct fake_virtio_pci *face = ctx;

	fake_virtio_destroy(face->fv);
	free(face);
}

static const struct fake_pci_device_ops face_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.command_changed = command_changed,
	.relax = face_relax,
	.deliver = face_deliver,
	.release = face_release,
};

/* ---- creation ------------------------------------------------------- */

void fake_virtio_pci_default_opts(struct fake_virtio_pci_opts *pci_opts)
{
	*pci_opts = (struct fake_virtio_pci_opts){
		.revision = 1,
		.notify_off_multiplier = 4,
		.queue_notify_off = 0,
		.common_length = FAKE_VIRTIO_PCI_STRUCT_BYTES,
		.device_length = FAKE_VIRTIO_PCI_STRUCT_BYTES,
	};
}

static struct fake_pci_fn_spec function_spec(const struct fake_virtio_pci_opts *o, int parent,
					     uint8_t dev, uint8_t fn)
{
	struct fake_pci_fn_spec spec = {
		.parent = parent, .dev = dev, .fn = fn,
		.vendor_id = FAKE_PCI_VENDOR_VIRTIO,
		.device_id = o->transitional ? FAKE_PCI_DEVICE_BLK_TRANSITIONAL
					     : FAKE_PCI_DEVICE_BLK_MODERN,
		.class_code = FAKE_PCI_CLASS_SCSI_STORAGE,
		.revision = o->revision,
		.subsystem_vendor_id = FAKE_PCI_VENDOR_VIRTIO,
		/* virtio 1.2 §4.1.2.1: a transitional device's subsystem
		 * device ID is its virtio device ID. */
		.subsystem_id = o->transitional ? FAKE_DEVICE_ID_BLOCK : VIRTIO_SUBSYSTEM_MODERN,
		.interrupt_pin = INTX_PIN_A,
	};

	spec.bar[FAKE_VIRTIO_PCI_MSIX_BAR] = (struct fake_pci_bar_spec){
		FAKE_BAR_MEM32, false, FAKE_VIRTIO_PCI_MSIX_BYTES, 0 };
	spec.bar[FAKE_VIRTIO_PCI_BAR] = (struct fake_pci_bar_spec){
		FAKE_BAR_MEM64, true, FAKE_VIRTIO_PCI_BAR_BYTES, o->bar4_mask_override };
	if (o->transitional)
		spec.bar[0] = (struct fake_pci_bar_spec){ FAKE_BAR_IO, false, LEGACY_IO_BAR_BYTES, 0 };
	return spec;
}

struct fake_virtio *fake_virtio_create_pci(struct fake_pci *pci, int parent, uint8_t dev,
					   uint8_t fn, const struct fake_virtio_opts *opts,
					   const struct fake_virtio_pci_opts *pci_opts)
{
	struct fake_virtio_pci *face = calloc(1, sizeof(*face));
	struct fake_pci_fn_spec spec;

	if (face == NULL)
		host_fail("fake virtio-pci: out of memory");
	if (pci_opts != NULL)
		face->opts = *pci_opts;
	else
		fake_virtio_pci_default_opts(&face->opts);
	if (opts != NULL && opts->version != 2)
		host_fail("fake virtio-pci: version %u; a PCI device here is modern (2)",
			  opts->version);
	spec = function_spec(&face->opts, parent, dev, fn);
	face->bus = pci;
	face->dev = dev;
	face->fn = fn;
	face->fn_index = fake_pci_add(pci, &spec);
	face->fv = fake_virtio_alloc(opts);
	face->fv->pci = face;
	build_caps(face);
	fake_pci_set_device(pci, face->fn_index, &face_ops, face);
	return face->fv;
}

static void set_bar64(struct fake_pci *pci, int index, unsigned bar, uint64_t addr)
{
	fake_pci_cfg_write(pci, index, CFG_BAR0 + 4 * bar, 4, (uint32_t)addr);
	fake_pci_cfg_write(pci, index, CFG_BAR0 + 4 * (bar + 1), 4, (uint32_t)(addr >> 32));
}

void fake_virtio_pci_assign_bars(struct fake_virtio *fv, uint64_t mem32_addr,
				 uint64_t mem64_addr, bool enable)
{
	struct fake_virtio_pci *face = fv->pci;
	uint16_t command = enable ? COMMAND_MEMORY : 0;

	fake_pci_cfg_write(face->bus, face->fn_index, CFG_BAR0 + 4 * FAKE_VIRTIO_PCI_MSIX_BAR, 4,
			   (uint32_t)mem32_addr);
	set_bar64(face->bus, face->fn_index, FAKE_VIRTIO_PCI_BAR, mem64_addr);
	if (face->opts.transitional) {
		fake_pci_cfg_write(face->bus, face->fn_index, CFG_BAR0, 4, LEGACY_IO_ADDR);
		command |= enable ? COMMAND_IO : 0;
	}
	fake_pci_cfg_write(face->bus, face->fn_index, CFG_COMMAND, 2, command);
}

void fake_virtio_pci_set_msix(struct fake_virtio *fv, bool on)
{
	struct fake_virtio_pci *face = fv->pci;
	uint32_t control = fake_pci_cfg_read(face->bus, face->fn_index, CAP_AT_MSIX + MSIX_CONTROL, 2);

	control = on ? control | MSIX_CONTROL_ENABLE : control & ~MSIX_CONTROL_ENABLE;
	fake_pci_cfg_write(face->bus, face->fn_index, CAP_AT_MSIX + MSIX_CONTROL, 2, control);
}

bool fake_virtio_pci_msix_on(const struct fake_virtio *fv)
{
	const struct fake_virtio_pci *face = fv->pci;

	return (fake_pci_cfg_read(face->bus, face->fn_index, CAP_AT_MSIX + MSIX_CONTROL, 2) &
		MSIX_CONTROL_ENABLE) != 0;
}

/* PCI 3.0 §6.2.2, §6.8: INTx# is held down by Interrupt Disable, and
 * by MSI-X Enable (QEMU's virtio_pci_notify then signals by message, and
 * with no vector set sends nothing). */
bool fake_pci_face_intx_open(const struct fake_virtio_pci *face)
{
	return !(fake_pci_command(face->bus, face->fn_index) & COMMAND_INTX_DISABLE) &&
	       !fake_virtio_pci_msix_on(face->fv);
}

bool fake_virtio_is_pci(const struct fake_virtio *fv)
{
	return fv->pci != NULL;
}

void fake_virtio_pci_slot(const struct fake_virtio *fv, uint8_t *dev, uint8_t *fn)
{
	*dev = fv->pci->dev;
	*fn = fv->pci->fn;
}

int fake_virtio_pci_fn_index(const struct fake_virtio *fv)
{
	return fv->pci->fn_index;
}

int fake_virtio_pci_bus(const struct fake_virtio *fv)
{
	return fake_pci_bus_of(fv->pci->bus, fv->pci->fn_index);
}

struct fake_pci *fake_virtio_pci_host(const struct fake_virtio *fv)
{
	return fv->pci->bus;
}
