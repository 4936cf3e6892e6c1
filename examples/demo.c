/* SPDX-License-Identifier: MIT */
/*
 * The vblk demo (`make run`): find the virtio-mmio devices, describe each
 * disk, then prove the data path on a small scratch region at the end of
 * the first writable disk: once with the synchronous API, once as a burst
 * of small asynchronous bios that the request queue merges (taking the
 * disk's interrupt when there is an interrupt controller). The region's
 * old contents are saved first and written back afterwards, so the demo
 * leaves the disk as it found it.
 */
#include <stdio.h>
#include <string.h>

#include "vblk/runtime.h"
#include "vblk/vblk.h"

#define SCRATCH_SECTORS 128u   /* 64 KiB at the end of the disk */
#define SCRATCH_BYTES (SCRATCH_SECTORS * VBLK_SECTOR_SIZE)
#define BURST_BIO_SECTORS 2u   /* 1 KiB bios: 64 of them fill the region */
#define BURST_MAX_BIOS (SCRATCH_SECTORS / BURST_BIO_SECTORS)

static uint8_t saved[SCRATCH_BYTES] VBLK_ALIGNED;
static uint8_t pattern[SCRATCH_BYTES] VBLK_ALIGNED;
static uint8_t readback[SCRATCH_BYTES] VBLK_ALIGNED;

static struct vblk_seg burst_segs[BURST_MAX_BIOS];
static struct vblk_bio burst_bios[BURST_MAX_BIOS];
static struct vblk_bio *burst_ptrs[BURST_MAX_BIOS];

static const char *device_name(uint32_t device_id)
{
	switch (device_id) {
	case 1: return "network";
	case 2: return "block";
	case 3: return "console";
	case 4: return "entropy";
	case 5: return "balloon";
	case 9: return "9p";
	case 16: return "gpu";
	case 18: return "input";
	default: return "other";
	}
}

static void print_probe_line(unsigned slot, const struct vblk_probe_entry *entry)
{
	if (entry->transport == VBLK_TRANSPORT_PCI) {
		printf("virtio-pci %02x:%02x.%u %04x:%04x: device id %u (%s)",
		       (unsigned)entry->pci.bus, (unsigned)entry->pci.dev, (unsigned)entry->pci.fn,
		       (unsigned)entry->pci_vendor_id, (unsigned)entry->pci_device_id,
		       (unsigned)entry->device_id, device_name(entry->device_id));
		for (unsigned bar = 0; bar < 6; bar++) {
			if (entry->pci_bar[bar])
				printf(", BAR%u @ 0x%llx", bar,
				       (unsigned long long)entry->pci_bar[bar]);
		}
	} else {
		printf("virtio-mmio slot %2u @ 0x%08llx: version %u (%s), device id %u (%s)",
		       slot, (unsigned long long)entry->mmio_base, (unsigned)entry->version,
		       entry->version == 1 ? "legacy" : "modern", (unsigned)entry->device_id,
		       device_name(entry->device_id));
	}
	/* -VBLK_ENOMEM with the pool full: one disk too many; else another
	 * table was full (PCI_MAX_FUNCTIONS functions on the bus). */
	if (entry->result == -VBLK_ENOMEM && vblk_disk_count() >= vblk_max_disks())
		printf(": not used: more disks than vblk_max_disks() (%u: VBLK_POOL_BYTES, "
		       "VBLK_MAX_DISKS)\n", vblk_max_disks());
	else if (entry->result)
		printf(": not used: %s\n", vblk_strerror(entry->result));
	else
		printf("\n");
}

/* Block devices the probe saw, used or not. */
static unsigned block_devices_seen(void)
{
	const struct vblk_probe_entry *entries;
	unsigned count = vblk_probe_report(&entries), blocks = 0;

	for (unsigned i = 0; i < count; i++)
		blocks += entries[i].device_id == VBLK_DEVICE_ID_BLOCK;
	return blocks;
}

static void list_devices(void)
{
	const struct vblk_probe_entry *entries;
	unsigned count = vblk_probe_report(&entries), mmio_slots = 0, mmio_found = 0, pci_found = 0;

	for (unsigned i = 0; i < count; i++) {
		const struct vblk_probe_entry *entry = &entries[i];
		bool pci = entry->transport == VBLK_TRANSPORT_PCI;

		mmio_slots += !pci;
		if (entry->device_id == 0)
			continue;   /* an empty transport slot */
		if (pci)
			pci_found++;
		else
			mmio_found++;
		print_probe_line(i, entry);
	}
	printf("%u virtio-mmio device(s) present in %u slots\n", mmio_found, mmio_slots);
	if (pci_found)
		printf("%u virtio-pci device(s)\n", pci_found);
}

static void describe_disk(unsigned index, struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	char features[256];
	char id[21];

	vblk_feature_names(info->features, features, sizeof(features));
	printf("disk %u: %llu sectors (%llu bytes), block size %u, %s, queue size %u, %s ring\n", index,
	       (unsigned long long)info->capacity_sectors,
	       (unsigned long long)info->capacity_sectors * VBLK_SECTOR_SIZE,
	       (unsigned)info->block_size_bytes, info->read_only ? "read-only" : "read-write",
	       (unsigned)info->queue_size, info->ring_packed ? "packed" : "split");
	printf("disk %u: features: %s\n", index, features);
	if (info->has_discard)
		printf("disk %u: discard: up to %u sectors a segment, %u segment(s) a request, "
		       "aligned to %u sector(s)\n", index, (unsigned)info->max_discard_sectors,
		       (unsigned)info->max_discard_seg, (unsigned)info->discard_sector_alignment);
	if (info->has_write_zeroes)
		printf("disk %u: write-zeroes: up to %u sectors a segment, %u segment(s) a request, "
		       "%s\n", index, (unsigned)info->max_write_zeroes_sectors,
		       (unsigned)info->max_write_zeroes_seg,
		       info->write_zeroes_may_unmap ? "may unmap" : "never unmaps");
	if (vblk_get_id(disk, id) == 0 && id[0] != '\0')
		printf("disk %u: id \"%s\"\n", index, id);
}

static void fill_pattern(uint64_t first_sector, uint8_t salt)
{
	for (uint32_t i = 0; i < SCRATCH_BYTES; i++) {
		uint64_t sector = first_sector + i / VBLK_SECTOR_SIZE;
		pattern[i] = (uint8_t)(sector * 31u + (i % VBLK_SECTOR_SIZE) * 7u + salt);
	}
	/* Each sector starts with a readable tag, for anyone with a hex dump. */
	for (uint32_t s = 0; s < SCRATCH_SECTORS; s++)
		memcpy(&pattern[s * VBLK_SECTOR_SIZE], "vblk-demo", 9);
}

static int check(const char *step, int err)
{
	if (err)
		printf("  %s: FAILED: %s\n", step, vblk_strerror(err));
	return err;
}

/* Completions by interrupt when the runtime has a GIC and the device tree
 * gave the disk an interrupt; otherwise the waits poll. */
static const char *use_interrupts(struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);

	if (rt_irq_controller() == 0 || info->intid == 0)
		return "polled";
	if (rt_irq_register(info->intid, info->irq_edge, vblk_irq_handler, disk) != 0 ||
	    vblk_use_interrupts(disk, true) != 0)
		return "polled (interrupt not available)";
	return "interrupt-driven";
}

static void stop_interrupts(struct vblk_disk *disk)
{
	vblk_use_interrupts(disk, false);
	rt_irq_unregister(vblk_disk_info(disk)->intid);
}

/* Submit `buf` over [first, first + nsectors) as adjacent bios of
 * `bio_sectors` each, plugged so the queue can merge them, and wait. */
static int burst(struct vblk_disk *disk, enum vblk_op op, uint64_t first, uint8_t *buf,
		 uint32_t nsectors, uint32_t bio_sectors)
{
	unsigned nbios = nsectors / bio_sectors;

	vblk_plug(disk);
	for (unsigned i = 0; i < nbios; i++) {
		burst_segs[i] = (struct vblk_seg){ buf + i * bio_sectors * VBLK_SECTOR_SIZE,
						   bio_sectors * VBLK_SECTOR_SIZE };
		burst_bios[i] = (struct vblk_bio){ .op = op, .sector = first + i * bio_sectors,
						   .segs = &burst_segs[i], .nsegs = 1 };
		burst_ptrs[i] = &burst_bios[i];
		int err = vblk_submit(disk, &burst_bios[i]);
		if (err) {
			vblk_unplug(disk);
			vblk_wait_bios(disk, burst_ptrs, i);
			return err;
		}
	}
	vblk_unplug(disk);
	return vblk_wait_bios(disk, burst_ptrs, nbios);
}

static void print_burst(unsigned index, const char *what, unsigned nbios, uint32_t bio_bytes,
			const struct vblk_stats *stats)
{
	printf("disk %u: %u %s bios of %u bytes -> %llu request(s): %llu merged, "
	       "%llu descriptors, %llu notification(s), %llu interrupt(s)\n",
	       index, nbios, what, (unsigned)bio_bytes, (unsigned long long)stats->requests,
	       (unsigned long long)(stats->back_merges + stats->front_merges),
	       (unsigned long long)stats->descriptors, (unsigned long long)stats->notifications,
	       (unsigned long long)stats->interrupts);
}

/* The asynchronous API: write the region as a burst of small adjacent
 * bios, read it back the same way, compare; show what merging did. */
static int exercise_async(unsigned index, struct vblk_disk *disk, uint64_t first,
			  uint32_t nsectors)
{
	uint32_t block_sectors = vblk_disk_info(disk)->block_size_bytes / VBLK_SECTOR_SIZE;
	uint32_t bio_sectors = block_sectors > BURST_BIO_SECTORS ? block_sectors : BURST_BIO_SECTORS;
	/* A region smaller than one bio (a tiny disk) is one bio; nsectors
	 * is whole blocks, so that bio is too. The burst covers what whole
	 * bios cover, and only that is compared. */
	if (bio_sectors > nsectors)
		bio_sectors = nsectors;
	unsigned nbios = nsectors / bio_sectors;
	size_t burst_bytes = (size_t)nbios * bio_sectors * VBLK_SECTOR_SIZE;
	struct vblk_stats stats;

	printf("disk %u: asynchronous bios, %s\n", index, use_interrupts(disk));
	fill_pattern(first, 0xa7);
	memset(readback, 0, sizeof(readback));

	vblk_reset_stats(disk);
	int err = burst(disk, VBLK_OP_WRITE, first, pattern, nsectors, bio_sectors);
	vblk_stats(disk, &stats);
	if (!err) {
		print_burst(index, "write", nbios, bio_sectors * VBLK_SECTOR_SIZE, &stats);
		vblk_reset_stats(disk);
		err = burst(disk, VBLK_OP_READ, first, readback, nsectors, bio_sectors);
		vblk_stats(disk, &stats);
	}
	if (!err)
		print_burst(index, "read", nbios, bio_sectors * VBLK_SECTOR_SIZE, &stats);
	stop_interrupts(disk);
	if (check("async burst", err))
		return 1;
	int same = memcmp(pattern, readback, burst_bytes) == 0;
	printf("disk %u: burst read back: %s\n", index, same ? "identical" : "MISMATCH");
	return same ? 0 : 1;
}

/* A disk without one whole block (an empty image): nothing to write, but
 * a read of its first block must be refused as beyond its end. */
static int exercise_empty(unsigned index, struct vblk_disk *disk)
{
	uint32_t block_sectors = vblk_disk_info(disk)->block_size_bytes / VBLK_SECTOR_SIZE;
	int err = vblk_read(disk, 0, readback, block_sectors);

	printf("disk %u: no whole block to test; a read of block 0 is refused: %s\n", index,
	       err == -VBLK_ERANGE ? "yes" : vblk_strerror(err));
	return err == -VBLK_ERANGE ? 0 : 1;
}

/* Write the saved sectors back. A disk stopped by a failure before (a
 * timeout, a device that broke the protocol) answers -VBLK_EBROKEN until
 * it is reset: it is reset once and the write tried again. */
static int restore(struct vblk_disk *disk, uint64_t first, uint32_t nsectors)
{
	int err = vblk_write(disk, first, saved, nsectors);

	if (err == -VBLK_EBROKEN && vblk_reset(disk) == 0)
		err = vblk_write(disk, first, saved, nsectors);
	return !check("restore", err) && !check("flush", vblk_flush(disk));
}

/* Save, write a pattern, read it back, compare; the same with bios;
 * restore. */
static int exercise(unsigned index, struct vblk_disk *disk)
{
	uint64_t capacity = vblk_capacity(disk);
	uint32_t nsectors = capacity < SCRATCH_SECTORS ? (uint32_t)capacity : SCRATCH_SECTORS;
	uint32_t block_sectors = vblk_disk_info(disk)->block_size_bytes / VBLK_SECTOR_SIZE;
	if (block_sectors > SCRATCH_SECTORS) {
		printf("disk %u: its blocks are larger than the demo's %u-byte scratch buffers, "
		       "write test skipped\n", index, (unsigned)SCRATCH_BYTES);
		return 0;
	}
	nsectors -= nsectors % block_sectors;
	uint64_t first = capacity - nsectors;
	first -= first % block_sectors;
	if (nsectors == 0)
		return exercise_empty(index, disk);

	printf("disk %u: scratch region: sectors %llu..%llu (saved and restored)\n", index,
	       (unsigned long long)first, (unsigned long long)(first + nsectors - 1));
	fill_pattern(first, 0x5a);
	if (check("save", vblk_read(disk, first, saved, nsectors)))
		return 1;   /* nothing written yet */
	/* From the write on, the region may hold the pattern, whole or in
	 * part: whatever fails after it, the saved sectors go back. */
	int same = !check("write", vblk_write(disk, first, pattern, nsectors)) &&
		   !check("flush", vblk_flush(disk)) &&
		   !check("read back", vblk_read(disk, first, readback, nsectors));
	if (same) {
		same = memcmp(pattern, readback, (size_t)nsectors * VBLK_SECTOR_SIZE) == 0;
		printf("disk %u: wrote %u sectors, read them back: %s\n", index,
		       (unsigned)nsectors, same ? "identical" : "MISMATCH");
	}
	int async_failed = same ? exercise_async(index, disk, first, nsectors) : 0;
	int restored = restore(disk, first, nsectors);
	return same && !async_failed && restored ? 0 : 1;
}

/* How long from reset (the generic counter starts at 0 with the machine)
 * to the first sector in memory: boot, device tree, probe, one read of
 * the disk's first block (a sector, unless it has larger blocks).
 * Returns 1 if that read failed. */
static int report_first_read(struct vblk_disk *disk)
{
	uint32_t block_bytes = vblk_disk_info(disk)->block_size_bytes;

	if (block_bytes > sizeof(readback)) {
		printf("disk 0: first read skipped: %u-byte blocks are larger than the demo's "
		       "buffer\n", (unsigned)block_bytes);
		return 0;
	}
	if (vblk_capacity(disk) < block_bytes / VBLK_SECTOR_SIZE) {
		printf("disk 0: first read skipped: the disk holds no whole block\n");
		return 0;
	}
	int err = vblk_read(disk, 0, readback, block_bytes / VBLK_SECTOR_SIZE);
	uint64_t now_us = rt_time_us();

	if (err)
		printf("disk 0: first read failed: %s\n", vblk_strerror(err));
	else
		printf("first sector read %llu us after reset\n", (unsigned long long)now_us);
	return err ? 1 : 0;
}

int main(void)
{
	uint64_t start_us = rt_time_us();
	const struct rt_boot_times *boot = rt_boot_times();
	printf("vblk demo: booted at EL%u, device tree at %p\n", rt_boot_el(), rt_dtb());
	printf("boot: first instruction %llu us, RAM checked %llu us, .bss zeroed %llu us, "
	       "device tree read %llu us, MMU on %llu us, main %llu us after reset\n",
	       (unsigned long long)boot->entry_us, (unsigned long long)boot->zeroing_us,
	       (unsigned long long)boot->c_us, (unsigned long long)boot->dt_us,
	       (unsigned long long)boot->mmu_us, (unsigned long long)boot->main_us);

	int ndisks = vblk_init_from_dt(rt_dtb(), rt_dtb_max_bytes());
	list_devices();
	if (ndisks < 0) {
		printf("cannot read the device tree: %s\n", vblk_strerror(ndisks));
		return 2;
	}
	if (ndisks == 0 && block_devices_seen() > 0) {
		printf("no virtio-blk disk could be used (the list above says why)\n");
		return 1;
	}
	if (ndisks == 0) {
		printf("no virtio-blk disk found: attach one with\n"
		       "  -drive if=none,id=d0,format=raw,file=disk.img -device virtio-blk-device,drive=d0\n");
		return 1;
	}
	printf("%d disk(s) ready %llu us after main\n", ndisks,
	       (unsigned long long)(rt_time_us() - start_us));
	int failures = report_first_read(vblk_disk(0)), tested = 0;
	for (unsigned i = 0; i < (unsigned)ndisks; i++) {
		struct vblk_disk *disk = vblk_disk(i);
		describe_disk(i, disk);
		if (vblk_disk_info(disk)->read_only) {
			printf("disk %u: read-only, write test skipped\n", i);
			continue;
		}
		if (!tested++)
			failures += exercise(i, disk);
	}
	printf("demo %s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
