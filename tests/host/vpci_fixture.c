/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci transport's test function (vpci_fixture.h): the fake
 * function, its capability bytes, the register model behind its BARs, and
 * the logging config window the probe reads through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "host_platform.h"
#include "vpci_fixture.h"

#define KIB               1024u
#define PROBE_ECAM_BYTES  (1u << PCI_ECAM_BUS_SHIFT)   /* bus 0 */
#define MSIX_CAP_ID       0x11u

static void put_le(uint8_t *p, uint32_t val, unsigned width_bytes)
{
	for (unsigned i = 0; i < width_bytes; i++)
		p[i] = (uint8_t)(val >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, unsigned width_bytes)
{
	uint32_t val = 0;

	for (unsigned i = 0; i < width_bytes; i++)
		val |= (uint32_t)p[i] << (8 * i);
	return val;
}

/* ---- the register model behind the BARs ------------------------------ */

/* The structure an access falls in (its cfg_type), with the offset into
 * it; every access must fall wholly inside one, at its own alignment.
 * Counts every access. */
static unsigned region_of(struct vpci_model *m, unsigned bar, uint32_t offset,
			  unsigned width_bytes, uint32_t *rel)
{
	m->bar_accesses++;
	if (offset % width_bytes != 0)
		host_fail("PCI-5: BAR%u +0x%x: misaligned %u-byte access", bar, offset, width_bytes);
	for (unsigned type = VIRTIO_PCI_CAP_COMMON_CFG; type < VPCI_CFG_TYPES; type++) {
		const struct vpci_region *r = &m->region[type];

		if (r->length != 0 && r->bar == bar && offset >= r->offset &&
		    (uint64_t)offset - r->offset + width_bytes <= r->length) {
			*rel = offset - r->offset;
			return type;
		}
	}
	host_fail("BAR%u +0x%x (%u bytes): outside every structure", bar, offset, width_bytes);
}

static uint32_t common_read(struct vpci_model *m, uint32_t rel, unsigned width_bytes)
{
	if (rel + width_bytes > sizeof(m->common))
		host_fail("PCI-5: common +0x%x is no field the transport uses", rel);
	switch (rel) {
	case VIRTIO_PCI_COMMON_DF: {
		uint32_t select = get_le(&m->common[VIRTIO_PCI_COMMON_DFSELECT], 4);
		return select < 2 ? m->device_features[select] : 0;
	}
	case VIRTIO_PCI_COMMON_NUMQ:    return m->num_queues;
	case VIRTIO_PCI_COMMON_Q_SIZE:  return m->queue_size;
	case VIRTIO_PCI_COMMON_Q_NOFF:  return m->queue_notify_off;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_Q_MSIX:  return 0xffffu;   /* NO_VECTOR */
	}
	return get_le(&m->common[rel], width_bytes);
}

static void common_write(struct vpci_model *m, uint32_t rel, unsigned width_bytes, uint32_t val)
{
	if (rel + width_bytes > sizeof(m->common))
		host_fail("PCI-5: common +0x%x is no field the transport uses", rel);
	switch (rel) {
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		host_fail("PCI-17: read-only common field +0x%x written", rel);
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		m->queue_enable_writes++;
		break;
	}
	put_le(&m->common[rel], val, width_bytes);
}

static uint32_t model_read(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes)
{
	struct vpci_model *m = ctx;
	uint32_t rel, val = 0;

	switch (region_of(m, bar, offset, width_bytes, &rel)) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		return common_read(m, rel, width_bytes);
	case VIRTIO_PCI_CAP_ISR_CFG:       /* §4.1.4.5: the read clears it */
		m->isr_reads++;
		val = m->isr;
		m->isr = 0;
		return val;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		m->device_cfg_reads++;
		for (unsigned i = 0; i < width_bytes; i++)
			if (rel + i < sizeof(m->device_cfg))
				val |= (uint32_t)m->device_cfg[rel + i] << (8 * i);
		return val;
	default:
		host_fail("notify structure read at +0x%x", rel);
	}
}

static void model_write(void *ctx, unsigned bar, uint32_t offset, unsigned width_bytes,
			uint32_t val)
{
	struct vpci_model *m = ctx;
	uint32_t rel;

	switch (region_of(m, bar, offset, width_bytes, &rel)) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		common_write(m, rel, width_bytes, val);
		return;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		m->notify_writes++;
		m->notify_offset = rel;
		m->notify_value = val;
		m->notify_width = width_bytes;
		return;
	default:
		host_fail("read-only structure written at +0x%x", rel);
	}
}

static const struct fake_pci_device_ops model_ops = {
	.bar_read = model_read,
	.bar_write = model_write,
};

static void qemu_model(struct vpci_model *m)
{
	*m = (struct vpci_model){
		.region = {
			[VIRTIO_PCI_CAP_COMMON_CFG] = { 4, 0x0000, 0x1000 },
			[VIRTIO_PCI_CAP_ISR_CFG] = { 4, 0x1000, 0x1000 },
			[VIRTIO_PCI_CAP_DEVICE_CFG] = { 4, 0x2000, 0x1000 },
			[VIRTIO_PCI_CAP_NOTIFY_CFG] = { 4, 0x3000, 0x1000 },
		},
		.device_features = { 0, 1u << (VIRTIO_F_VERSION_1 - 32) },
		.num_queues = 1, .queue_size = 256,
	};
	put_le(m->device_cfg, 32768, 4);   /* capacity: 16 MiB */
}

/* ---- the config window the probe reads through ------------------------ */

static uint32_t probe_ecam_read(void *ctx, uint32_t offset, unsigned width_bytes)
{
	struct vpci_fixture *fx = ctx;
	uint32_t reg = offset & (PCI_CFG_SPACE_BYTES - 1);

	if (offset >> PCI_ECAM_FN_SHIFT != VPCI_DEV * PCI_FNS_PER_DEV)
		host_fail("probe read config of another function (ECAM +0x%x)", offset);
	if (reg >= PCI_CFG_LEGACY_BYTES)
		host_fail("PCI-7: probe read config +0x%x, past the capabilities", reg);
	fx->probe_cfg_reads++;
	return fake_pci_cfg_read(fx->pci, fx->index, reg, width_bytes);
}

static void probe_ecam_write(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	(void)ctx;
	(void)width_bytes;
	host_fail("PCI-14: probe wrote config +0x%x = 0x%x", offset, val);
}

static const struct host_mmio_ops probe_ecam_ops = {
	.read = probe_ecam_read,
	.write = probe_ecam_write,
};

/* ---- the function ------------------------------------------------------ */

void vpci_init(struct vpci_fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->pci = fake_pci_create(VPCI_ECAM_BASE, VPCI_ECAM_BYTES, 0);
	host_mmio_map((uintptr_t)VPCI_PROBE_ECAM_BASE, PROBE_ECAM_BYTES, &probe_ecam_ops, fx);
	fx->index = -1;
	fx->spec = (struct fake_pci_fn_spec){
		.parent = -1, .dev = VPCI_DEV, .vendor_id = 0x1af4, .device_id = 0x1001,
		.class_code = 0x010000, .subsystem_vendor_id = 0x1af4, .subsystem_id = 2,
		.interrupt_pin = 1,
		.bar = { [0] = { FAKE_BAR_IO, false, 128, 0 },
			 [1] = { FAKE_BAR_MEM32, false, 4 * KIB, 0 },
			 [4] = { FAKE_BAR_MEM64, true, 16 * KIB, 0 } },
	};
	fx->host = (struct pci_host){
		.ecam_base = VPCI_ECAM_BASE, .ecam_size_bytes = VPCI_ECAM_BYTES,
		.bus_first = 0, .bus_last = 0xff,
		.io = { 0, 0x3eff0000, 0x10000 },
		.mem32 = { VPCI_MEM32_BASE, VPCI_MEM32_BASE, VPCI_MEM32_BYTES },
		.mem64 = { VPCI_MEM64_BASE, VPCI_MEM64_BASE, VPCI_MEM64_BYTES },
	};
	qemu_model(&fx->model);
}

void vpci_add_function(struct vpci_fixture *fx)
{
	fx->index = fake_pci_add(fx->pci, &fx->spec);
	fake_pci_set_device(fx->pci, fx->index, &model_ops, &fx->model);
}

void vpci_cfg_byte(struct vpci_fixture *fx, uint32_t offset, uint8_t val)
{
	fake_pci_cfg_set(fx->pci, fx->index, offset, &val, 1);
}

void vpci_cap_list(struct vpci_fixture *fx, int has_list, uint8_t first)
{
	uint8_t status_low = has_list ? PCI_STATUS_CAP_LIST : 0;

	fake_pci_cfg_set(fx->pci, fx->index, PCI_STATUS, &status_low, 1);
	vpci_cfg_byte(fx, PCI_CAP_POINTER, first);
}

static void put_cap(struct vpci_fixture *fx, uint8_t pos, uint8_t next, uint8_t cap_len,
		    uint8_t cfg_type, uint8_t bar, uint32_t offset, uint32_t length)
{
	uint8_t cap[VIRTIO_PCI_CAP_BYTES] = { PCI_CAP_ID_VENDOR, next, cap_len, cfg_type, bar };

	put_le(&cap[VIRTIO_PCI_CAP_OFFSET], offset, 4);
	put_le(&cap[VIRTIO_PCI_CAP_LENGTH], length, 4);
	fake_pci_cfg_set(fx->pci, fx->index, pos, cap, sizeof(cap));
}

void vpci_cap(struct vpci_fixture *fx, uint8_t pos, uint8_t next, uint8_t cfg_type, uint8_t bar,
	      uint32_t offset, uint32_t length)
{
	put_cap(fx, pos, next, VIRTIO_PCI_CAP_BYTES, cfg_type, bar, offset, length);
}

void vpci_notify_cap(struct vpci_fixture *fx, uint8_t pos, uint8_t next, uint8_t bar,
		     uint32_t offset, uint32_t length, uint32_t multiplier)
{
	uint8_t mult[4];

	put_cap(fx, pos, next, VIRTIO_PCI_NOTIFY_CAP_BYTES, VIRTIO_PCI_CAP_NOTIFY_CFG, bar, offset,
		length);
	put_le(mult, multiplier, 4);
	fake_pci_cfg_set(fx->pci, fx->index, pos + VIRTIO_PCI_NOTIFY_CAP_MULT, mult, 4);
}

void vpci_four_caps(struct vpci_fixture *fx, uint8_t pos, uint8_t last_next)
{
	vpci_cap(fx, pos, pos + 0x14, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000);
	vpci_cap(fx, pos + 0x14, pos + 0x28, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000);
	vpci_cap(fx, pos + 0x28, pos + 0x3c, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
	vpci_notify_cap(fx, pos + 0x3c, last_next, 4, 0x3000, 0x1000, 4);
}

void vpci_qemu_caps(struct vpci_fixture *fx)
{
	/* MSI-X: 2 vectors, table at BAR1 + 0, PBA at BAR1 + 0x800. */
	const uint8_t msix[12] = { MSIX_CAP_ID, 0x84, 0x01, 0x00, 0x01, 0, 0, 0, 0x01, 0x08, 0, 0 };

	vpci_cap_list(fx, 1, 0x98);
	fake_pci_cfg_set(fx->pci, fx->index, 0x98, msix, sizeof(msix));
	put_cap(fx, 0x84, 0x70, VIRTIO_PCI_NOTIFY_CAP_BYTES, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
	vpci_notify_cap(fx, 0x70, 0x60, 4, 0x3000, 0x1000, 4);
	vpci_cap(fx, 0x60, 0x50, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
	vpci_cap(fx, 0x50, 0x40, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000);
	vpci_cap(fx, 0x40, 0x00, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000);
}

/* ---- probing ---------------------------------------------------------- */

/* The probe's view of the host: bus 0 through the logging window. */
static struct pci_host probe_host(void)
{
	return (struct pci_host){ .ecam_base = VPCI_PROBE_ECAM_BASE,
				  .ecam_size_bytes = PROBE_ECAM_BYTES,
				  .bus_first = 0, .bus_last = 0 };
}

static const struct pci_function *scanned_function(struct vpci_fixture *fx, unsigned *index)
{
	for (unsigned i = 0; i < fx->scan.count; i++) {
		const struct pci_bdf *bdf = &fx->scan.fn[i].bdf;

		if (bdf->bus == 0 && bdf->dev == VPCI_DEV && bdf->fn == 0) {
			*index = i;
			return &fx->scan.fn[i];
		}
	}
	host_fail("00:01.0 not found by pci_scan");
}

int vpci_probe_scanned(struct vpci_fixture *fx, struct virtio_dev *dev)
{
	unsigned index;

	if (pci_scan(&fx->scan, &fx->host) < 0)
		host_fail("pci_scan failed");
	const struct pci_function *fn = scanned_function(fx, &index);
	struct pci_host host = probe_host();
	fx->model.bar_accesses = 0;
	fx->probe_cfg_reads = 0;
	fx->enable_err = pci_enable(&fx->scan, index);
	return virtio_pci_probe(dev, &host, fn);
}

int vpci_probe_unassigned(struct vpci_fixture *fx, struct virtio_dev *dev)
{
	struct pci_host host = probe_host();

	fx->model.bar_accesses = 0;
	fx->probe_cfg_reads = 0;
	pci_read_function(&fx->host, (struct pci_bdf){ 0, VPCI_DEV, 0 }, -1, &fx->unassigned);
	return virtio_pci_probe(dev, &host, &fx->unassigned);
}

uint64_t vpci_bar_addr(const struct vpci_fixture *fx, unsigned bar)
{
	return fake_pci_bar_mapped_at(fx->pci, fx->index, bar);
}

struct vpci_fixture fx;
struct virtio_dev dev;

int vpci_setup(void **state)
{
	(void)state;
	vpci_init(&fx);
	dev = (struct virtio_dev){ 0 };
	return 0;
}

int vpci_teardown(void **state)
{
	(void)state;
	host_platform_reset();
	return 0;
}

int vpci_probe_qemu(void)
{
	vpci_add_function(&fx);
	vpci_qemu_caps(&fx);
	return vpci_probe_scanned(&fx, &dev);
}

void vpci_assert_untouched(int err, int expected)
{
	assert_int_equal(err, expected);
	assert_int_equal(fx.model.bar_accesses, 0);
}
