/* SPDX-License-Identifier: MIT */
/*
 * The fake device's configuration space: struct virtio_blk_config
 * (virtio 1.2 §5.2.4) at register offset 0x100.
 *
 * Each field is read at its own width, a 64-bit field as two 32-bit
 * halves (virtio 1.2 §4.2.2.2 MMIO-3; on PCI §4.1.3.1 PCI-5). A field
 * that belongs to a feature is read only if the feature is offered
 * (§2.5.1, CFG-2). Like QEMU, bytes past the config size read as
 * all-ones.
 */
#include <stddef.h>

#include "fake_virtio_internal.h"

#define CFG_IMAGE_BYTES 0x60u      /* through the zoned fields */
#define NO_FEATURE      (-1)
#define NOT_MODELLED    SIZE_MAX   /* a field the fake keeps at 0 */

struct cfg_field {
	uint32_t offset;
	uint8_t width_bytes;
	int8_t feature;            /* offered bit the field depends on */
	bool writable;
	size_t opts_offset;        /* where struct fake_virtio_opts holds it */
	const char *name;
};

#define OPT(member) offsetof(struct fake_virtio_opts, member)

static const struct cfg_field cfg_fields[] = {
	{ 0x00, 4, NO_FEATURE, false, OPT(capacity_sectors), "capacity (low)" },
	{ 0x04, 4, NO_FEATURE, false, OPT(capacity_sectors) + 4, "capacity (high)" },
	{ 0x08, 4, FAKE_F_BLK_SIZE_MAX, false, OPT(size_max_bytes), "size_max" },
	{ 0x0c, 4, FAKE_F_BLK_SEG_MAX, false, OPT(seg_max), "seg_max" },
	{ 0x10, 2, FAKE_F_BLK_GEOMETRY, false, OPT(geo_cylinders), "geometry.cylinders" },
	{ 0x12, 1, FAKE_F_BLK_GEOMETRY, false, OPT(geo_heads), "geometry.heads" },
	{ 0x13, 1, FAKE_F_BLK_GEOMETRY, false, OPT(geo_sectors), "geometry.sectors" },
	{ 0x14, 4, FAKE_F_BLK_BLK_SIZE, false, OPT(blk_size_bytes), "blk_size" },
	{ 0x18, 1, FAKE_F_BLK_TOPOLOGY, false, OPT(physical_block_exp), "physical_block_exp" },
	{ 0x19, 1, FAKE_F_BLK_TOPOLOGY, false, OPT(alignment_offset), "alignment_offset" },
	{ 0x1a, 2, FAKE_F_BLK_TOPOLOGY, false, OPT(min_io_size), "min_io_size" },
	{ 0x1c, 4, FAKE_F_BLK_TOPOLOGY, false, OPT(opt_io_size), "opt_io_size" },
	{ 0x20, 1, FAKE_F_BLK_CONFIG_WCE, true, OPT(writeback), "writeback" },
	{ 0x22, 2, FAKE_F_BLK_MQ, false, OPT(num_queues), "num_queues" },
	{ 0x24, 4, FAKE_F_BLK_DISCARD, false, OPT(max_discard_sectors), "max_discard_sectors" },
	{ 0x28, 4, FAKE_F_BLK_DISCARD, false, OPT(max_discard_seg), "max_discard_seg" },
	{ 0x2c, 4, FAKE_F_BLK_DISCARD, false, OPT(discard_sector_alignment),
	  "discard_sector_alignment" },
	{ 0x30, 4, FAKE_F_BLK_WRITE_ZEROES, false, OPT(max_write_zeroes_sectors),
	  "max_write_zeroes_sectors" },
	{ 0x34, 4, FAKE_F_BLK_WRITE_ZEROES, false, OPT(max_write_zeroes_seg),
	  "max_write_zeroes_seg" },
	{ 0x38, 1, FAKE_F_BLK_WRITE_ZEROES, false, OPT(write_zeroes_may_unmap),
	  "write_zeroes_may_unmap" },
	{ 0x3c, 4, FAKE_F_BLK_SECURE_ERASE, false, NOT_MODELLED, "max_secure_erase_sectors" },
	{ 0x40, 4, FAKE_F_BLK_SECURE_ERASE, false, NOT_MODELLED, "max_secure_erase_seg" },
	{ 0x44, 4, FAKE_F_BLK_SECURE_ERASE, false, NOT_MODELLED, "secure_erase_sector_alignment" },
	{ 0x48, 4, FAKE_F_BLK_ZONED, false, NOT_MODELLED, "zoned.zone_sectors" },
	{ 0x4c, 4, FAKE_F_BLK_ZONED, false, NOT_MODELLED, "zoned.max_open_zones" },
	{ 0x50, 4, FAKE_F_BLK_ZONED, false, NOT_MODELLED, "zoned.max_active_zones" },
	{ 0x54, 4, FAKE_F_BLK_ZONED, false, NOT_MODELLED, "zoned.max_append_sectors" },
	{ 0x58, 4, FAKE_F_BLK_ZONED, false, NOT_MODELLED, "zoned.write_granularity" },
	{ 0x5c, 1, FAKE_F_BLK_ZONED, false, NOT_MODELLED, "zoned.model" },
};

#define CFG_FIELD_COUNT (sizeof(cfg_fields) / sizeof(cfg_fields[0]))

/* The field an access at (offset, width) names, or NULL after recording
 * why the access is wrong. */
static const struct cfg_field *find_field(struct fake_virtio *fv, uint32_t offset,
					  unsigned width_bytes, const char *verb)
{
	for (size_t i = 0; i < CFG_FIELD_COUNT; i++) {
		const struct cfg_field *f = &cfg_fields[i];
		if (offset < f->offset || offset >= f->offset + f->width_bytes)
			continue;
		if (offset == f->offset && width_bytes == f->width_bytes)
			return f;
		fake_violation(fv, fake_rule(fv, "MMIO-3", "PCI-5"),
			       "%u-byte config %s at %#x: %s is %u bytes at %#x",
			       width_bytes, verb, offset, f->name, f->width_bytes, f->offset);
		return NULL;
	}
	fake_violation(fv, fake_rule(fv, "MMIO-1", "PCI-37"), "config %s at %#x, where there is no field",
		       verb, offset);
	return NULL;
}

/* The config space as the device shows it now. */
static void build_image(const struct fake_virtio *fv, uint8_t image[CFG_IMAGE_BYTES])
{
	const uint8_t *opts = (const uint8_t *)&fv->opts;

	memset(image, 0, CFG_IMAGE_BYTES);
	for (size_t i = 0; i < CFG_FIELD_COUNT; i++) {
		const struct cfg_field *f = &cfg_fields[i];
		if (f->opts_offset != NOT_MODELLED)
			memcpy(image + f->offset, opts + f->opts_offset, f->width_bytes);
	}
	if (fv->opts.config_bytes < CFG_IMAGE_BYTES)
		memset(image + fv->opts.config_bytes, 0xff,
		       CFG_IMAGE_BYTES - fv->opts.config_bytes);
}

static uint32_t image_bytes(const struct fake_virtio *fv, uint32_t offset, unsigned width_bytes)
{
	uint8_t image[CFG_IMAGE_BYTES];
	uint32_t val = 0;

	if (offset + width_bytes > CFG_IMAGE_BYTES)
		return width_bytes == 4 ? 0xffffffffu : (1u << (8 * width_bytes)) - 1;
	build_image(fv, image);
	memcpy(&val, image + offset, width_bytes);
	return val;
}

static void check_read_allowed(struct fake_virtio *fv, const struct cfg_field *f)
{
	if (f->feature != NO_FEATURE && !fake_offered(fv, (unsigned)f->feature))
		fake_violation(fv, "CFG-2", "read of %s, whose feature bit %d is not offered",
			       f->name, f->feature);
	/* virtio 1.2 §5.2.5.1 (BLK-3) */
	if (f->feature == FAKE_F_BLK_CONFIG_WCE && !fake_is_legacy(fv) &&
	    !(fv->status & STATUS_FEATURES_OK))
		fake_violation(fv, "BLK-3", "writeback read before FEATURES_OK");
}

static bool is_capacity_half(const struct cfg_field *f)
{
	return f == &cfg_fields[0] || f == &cfg_fields[1];
}

uint32_t fake_cfg_read(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes)
{
	fake_at_access(fv, FAKE_AT_CONFIG_READ);
	const struct cfg_field *f = find_field(fv, offset, width_bytes, "read");
	uint32_t val = image_bytes(fv, offset, width_bytes);

	if (f == NULL)
		return val;
	check_read_allowed(fv, f);
	/* The tear knob: the config changes between the two halves (CFG-1). */
	if (is_capacity_half(f) && fv->tear_capacity) {
		fv->tear_capacity = false;
		fake_virtio_resize(fv, fv->tear_capacity_to);
	}
	return val;
}

/* Only `writeback` is writable, and only with CONFIG_WCE negotiated, after
 * FEATURES_OK (virtio 1.2 §3.1.1 INIT-2, §5.2.5). */
void fake_cfg_write(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes, uint32_t val)
{
	const struct cfg_field *f = find_field(fv, offset, width_bytes, "write");
	uint32_t fixed_bit = fake_is_legacy(fv) ? STATUS_DRIVER : STATUS_FEATURES_OK;

	if (f == NULL)
		return;
	if (!(fv->status & fixed_bit)) {
		fake_violation(fv, "INIT-2", "config write to %s before %s", f->name,
			       fake_is_legacy(fv) ? "DRIVER" : "FEATURES_OK");
		return;
	}
	if (!f->writable) {
		fake_violation(fv, fake_rule(fv, "MMIO-1", "PCI-17"), "write to read-only config field %s",
			       f->name);
		return;
	}
	if (!fake_negotiated(fv, (unsigned)f->feature)) {
		fake_violation(fv, "CFG-2", "write to %s without feature bit %d", f->name, f->feature);
		return;
	}
	fv->opts.writeback = (uint8_t)(val != 0);
}
