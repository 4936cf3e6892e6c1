/* SPDX-License-Identifier: MIT */
/*
 * The QEMU test image (build/vblk-test.elf): one test case per boot, chosen
 * by the semihosting command line that tests/qemu/run.sh passes, e.g.
 *
 *   -semihosting-config enable=on,target=native,arg=vblk-test,arg=test=write_pattern,
 *                       arg=seed=7,arg=start=2048,arg=count=4096
 *
 * It drives the disks only through the public API (vblk/vblk.h) and the
 * runtime (vblk/runtime.h), prints what it does, and ends with one line
 *
 *   RESULT <test> PASS          (exit status 0)
 *   RESULT <test> FAIL: reason  (exit status 1)
 *
 * The host side then checks the disk image itself with tools/diskpat, which
 * computes the same per-sector pattern (tools/pattern.h).
 *
 * Arguments every test understands:
 *   test=NAME      the case to run (see test_cases[] at the bottom)
 *   disk=N         which disk (default 0)
 *   disks=N        expect exactly N disks after init
 *   el=N           expect to have been started at exception level N
 *   mmio=V         expect every disk on virtio-mmio version V (1 legacy, 2 modern)
 *   blk=BYTES      expect every disk's logical block size to be BYTES
 *   attach=ADDR    skip the device tree: vblk_attach() the transport at ADDR
 *   seed=S start=SECTOR count=NSECTORS   the pattern and range to use
 *   align=N        round request sizes up to N sectors (a logical block)
 *   gic=V          expect the runtime to drive GICv V (0: no interrupts)
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vblk/runtime.h"
#include "vblk/vblk.h"
#include "tools/pattern.h"
#include "tests/qemu/guest.h"

_Static_assert(SECTOR_BYTES == PATTERN_SECTOR_BYTES, "pattern sector size");

/* Big enough for one request above VBLK_MAX_REQUEST_BYTES (4 MiB), so the
 * driver's splitting is exercised. */
#define IO_BUF_SECTORS 10240u
#define BIGGEST_REQUEST_NSECTORS 9000u
_Static_assert(BIGGEST_REQUEST_NSECTORS <= IO_BUF_SECTORS, "io_buf too small");

#define CMDLINE_BYTES 512
#define MAX_ARGS 24
#define REASON_BYTES 160
#define DEVICE_ID_BYTES 21       /* vblk_get_id(): 20 bytes + NUL */

#define VIRTIO_F_VERSION_1_BIT 32
#define VIRTIO_F_RING_RESET_BIT 40

static uint8_t io_buf[IO_BUF_SECTORS * SECTOR_BYTES] VBLK_ALIGNED;

/* Request sizes in sectors, cycled through by the pattern tests: single
 * sectors, odd sizes that end mid-page, page and megabyte multiples, and
 * one request the driver must split. */
static const uint32_t mixed_nsectors[] = {
	1, 7, 8, 64, 255, 1024, 2048, 4096, BIGGEST_REQUEST_NSECTORS, 3, 2047, 129,
};
#define MIXED_COUNT (sizeof(mixed_nsectors) / sizeof(mixed_nsectors[0]))

/* ---- arguments ------------------------------------------------------- */

static char cmdline[CMDLINE_BYTES];
static struct { const char *key, *value; } args[MAX_ARGS];
static unsigned nargs;

/* Split "k1=v1 k2=v2 ..." in place; words without '=' (argv[0]) are skipped. */
static void parse_cmdline(void)
{
	char *word = cmdline;

	while (*word != '\0' && nargs < MAX_ARGS) {
		char *end = word, *eq;

		while (*end != '\0' && *end != ' ')
			end++;
		if (*end == ' ')
			*end++ = '\0';
		eq = strchr(word, '=');
		if (eq != NULL) {
			*eq = '\0';
			args[nargs].key = word;
			args[nargs].value = eq + 1;
			nargs++;
		}
		word = end;
		while (*word == ' ')
			word++;
	}
}

const char *arg_str(const char *key)
{
	for (unsigned i = 0; i < nargs; i++)
		if (strcmp(args[i].key, key) == 0)
			return args[i].value;
	return NULL;
}

/* A numeric argument (decimal or 0x hex), or `fallback` when absent.
 * A malformed number is reported and ends the run. */
uint64_t arg_u64(const char *key, uint64_t fallback)
{
	const char *text = arg_str(key);
	char *end;
	unsigned long long value;

	if (text == NULL)
		return fallback;
	value = strtoull(text, &end, 0);
	if (end == text || *end != '\0') {
		printf("RESULT %s FAIL: bad argument %s=%s\n",
		       arg_str("test") ? arg_str("test") : "?", key, text);
		rt_exit(EXIT_FAIL);
	}
	return (uint64_t)value;
}

/* ---- failure reporting ----------------------------------------------- */

static char fail_reason[REASON_BYTES];

/* Record why the test failed (the first reason wins) and return -1. */
int fail(const char *fmt, ...)
{
	va_list ap;

	if (fail_reason[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A call that must return exactly `want`. */
int expect_rc(const char *call, int got, int want)
{
	if (got == want)
		return 0;
	return fail("%s returned %d (%s), expected %d (%s)", call, got,
		    vblk_strerror(got), want, vblk_strerror(want));
}

/* ---- pattern helpers ------------------------------------------------- */

void fill_pattern(uint8_t *buf, uint64_t seed, uint64_t first_sector,
		  uint32_t nsectors)
{
	for (uint32_t i = 0; i < nsectors; i++)
		pattern_fill_sector(buf + (size_t)i * SECTOR_BYTES, seed, first_sector + i);
}

/* Check buf against the pattern; on a mismatch record the first bad sector
 * and byte and how many sectors are bad. */
int check_pattern(const uint8_t *buf, uint64_t seed, uint64_t first_sector,
		  uint32_t nsectors)
{
	uint32_t nbad = 0;
	uint64_t first_bad_sector = 0;
	int first_bad_byte = 0;
	const uint8_t *bad;

	for (uint32_t i = 0; i < nsectors; i++) {
		int bad_byte = pattern_check_sector(buf + (size_t)i * SECTOR_BYTES,
						    seed, first_sector + i);
		if (bad_byte < 0)
			continue;
		if (nbad++ == 0) {
			first_bad_sector = first_sector + i;
			first_bad_byte = bad_byte;
		}
	}
	if (nbad == 0)
		return 0;
	/* The header of a wrong sector says where its data came from. */
	bad = buf + (first_bad_sector - first_sector) * SECTOR_BYTES;
	return fail("%lu of %lu sectors wrong from sector %lu: first sector %lu "
		    "byte %d (holds sector %lu seed %lu)",
		    (unsigned long)nbad, (unsigned long)nsectors,
		    (unsigned long)first_sector, (unsigned long)first_bad_sector,
		    first_bad_byte, (unsigned long)pattern_get_le64(bad),
		    (unsigned long)pattern_get_le64(bad + 8));
}

/* Request sizes are rounded up to whole logical blocks (align=, in
 * sectors), as a disk whose blk_size is above 512 needs (virtio 1.2 §5.2.4). */
static uint32_t aligned_nsectors(uint32_t nsectors, uint64_t left)
{
	uint32_t align = (uint32_t)arg_u64("align", 1);

	if (align == 0)
		align = 1;

	nsectors = (nsectors + align - 1) / align * align;
	if (nsectors > IO_BUF_SECTORS)
		nsectors = IO_BUF_SECTORS / align * align;
	return left < nsectors ? (uint32_t)left : nsectors;
}

static uint32_t next_request_nsectors(unsigned *turn, uint64_t left)
{
	uint32_t nsectors = mixed_nsectors[*turn % MIXED_COUNT];

	(*turn)++;
	return aligned_nsectors(nsectors, left);
}

int write_range(struct vblk_disk *disk, uint64_t seed, uint64_t start, uint64_t count,
		unsigned *nrequests)
{
	unsigned turn = 0;

	for (uint64_t done = 0; done < count;) {
		uint32_t nsectors = next_request_nsectors(&turn, count - done);
		int rc;

		fill_pattern(io_buf, seed, start + done, nsectors);
		rc = vblk_write(disk, start + done, io_buf, nsectors);
		if (rc != 0)
			return fail("vblk_write(sector %lu, %lu sectors) returned %d (%s)",
				    (unsigned long)(start + done), (unsigned long)nsectors,
				    rc, vblk_strerror(rc));
		done += nsectors;
	}
	*nrequests = turn;
	return 0;
}

/* Reads walk the size table backwards, so they do not line up with the
 * requests that wrote the data. */
int read_and_check_range(struct vblk_disk *disk, uint64_t seed, uint64_t start, uint64_t count,
			 unsigned *nrequests)
{
	unsigned turn = 0;

	for (uint64_t done = 0; done < count; turn++) {
		uint32_t nsectors = aligned_nsectors(
			mixed_nsectors[MIXED_COUNT - 1 - turn % MIXED_COUNT], count - done);
		int rc;

		memset(io_buf, POISON_BYTE, (size_t)nsectors * SECTOR_BYTES);
		rc = vblk_read(disk, start + done, io_buf, nsectors);
		if (rc != 0)
			return fail("vblk_read(sector %lu, %lu sectors) returned %d (%s)",
				    (unsigned long)(start + done), (unsigned long)nsectors,
				    rc, vblk_strerror(rc));
		if (check_pattern(io_buf, seed, start + done, nsectors) != 0)
			return -1;
		done += nsectors;
	}
	*nrequests = turn;
	return 0;
}

/* ---- disks ----------------------------------------------------------- */

struct vblk_disk *chosen_disk(void)
{
	unsigned index = (unsigned)arg_u64("disk", 0);
	struct vblk_disk *disk = vblk_disk(index);

	if (disk == NULL)
		fail("no disk %u (%u found)", index, vblk_disk_count());
	return disk;
}

/* The range [start, start+count) from the arguments, checked against the
 * disk so a wrong run.sh setting reads as such. */
int chosen_range(struct vblk_disk *disk, uint64_t *start, uint64_t *count)
{
	uint64_t capacity = vblk_capacity(disk);

	*start = arg_u64("start", 0);
	*count = arg_u64("count", capacity - (*start < capacity ? *start : capacity));
	if (*count == 0 || *start >= capacity || *count > capacity - *start)
		return fail("range %lu+%lu does not fit capacity %lu",
			    (unsigned long)*start, (unsigned long)*count,
			    (unsigned long)capacity);
	return 0;
}

static void print_disk(unsigned index, const struct vblk_disk *disk)
{
	const struct vblk_info *info = vblk_disk_info(disk);
	char names[256];

	vblk_feature_names(info->features, names, sizeof(names));
	if (info->transport == VBLK_TRANSPORT_PCI)
		printf("disk %u: pci %02x:%02x.%u ", index, (unsigned)info->pci.bus,
		       (unsigned)info->pci.dev, (unsigned)info->pci.fn);
	else
		printf("disk %u: mmio 0x%08lx v%lu ", index, (unsigned long)info->mmio_base,
		       (unsigned long)info->mmio_version);
	printf("intid %lu: %lu sectors (%lu KiB), "
	       "block %lu B, seg_max %lu, size_max %lu B, queue %u %s, %s%s\n",
	       (unsigned long)info->intid, (unsigned long)info->capacity_sectors,
	       (unsigned long)(info->capacity_sectors / 2),
	       (unsigned long)info->block_size_bytes, (unsigned long)info->seg_max,
	       (unsigned long)info->size_max_bytes, (unsigned)info->queue_size, info->ring_packed ? "packed" : "split",
	       info->read_only ? "read-only" : "read-write",
	       info->has_flush ? ", flush" : "");
	printf("disk %u: features 0x%lx: %s\n", index, (unsigned long)info->features, names);
}

static void print_probe_report(void)
{
	const struct vblk_probe_entry *entries;
	unsigned nentries = vblk_probe_report(&entries);

	for (unsigned i = 0; i < nentries; i++) {
		const struct vblk_probe_entry *entry = &entries[i];

		if (entry->device_id == 0)
			continue;       /* an empty slot */
		if (entry->transport == VBLK_TRANSPORT_PCI)
			printf("probe: pci %02x:%02x.%u %04x:%04x", (unsigned)entry->pci.bus,
			       (unsigned)entry->pci.dev, (unsigned)entry->pci.fn,
			       (unsigned)entry->pci_vendor_id, (unsigned)entry->pci_device_id);
		else
			printf("probe: 0x%08lx version %lu", (unsigned long)entry->mmio_base,
			       (unsigned long)entry->version);
		printf(" device %lu: %d (%s)\n", (unsigned long)entry->device_id, entry->result,
		       vblk_strerror(entry->result));
	}
}

/* Bring the disks up from the device tree, from attach=ADDR, or from
 * attach_pci=BUS:DEV.FN. */
static int init_disks(void)
{
	const char *attach = arg_str("attach");
	int rc;

	if (arg_str("attach_pci") != NULL)
		return attach_pci_as_firmware(arg_str("attach_pci"));

	if (attach != NULL) {
		uint64_t base = arg_u64("attach", 0);

		rc = vblk_attach(base, (uint32_t)arg_u64("intid", 0));
		printf("vblk_attach(0x%lx): %d\n", (unsigned long)base, rc);
		if (rc < 0)
			return fail("vblk_attach(0x%lx) returned %d (%s)",
				    (unsigned long)base, rc, vblk_strerror(rc));
		return 0;
	}
	if (rt_dtb() == NULL)
		return fail("no device tree found at boot");
	rc = vblk_init_from_dt(rt_dtb(), rt_dtb_max_bytes());
	printf("vblk_init_from_dt: %d disk(s)\n", rc);
	print_probe_report();
	if (rc < 0)
		return fail("vblk_init_from_dt returned %d (%s)", rc, vblk_strerror(rc));
	return 0;
}

static void print_disks(void)
{
	for (unsigned i = 0; i < vblk_disk_count(); i++)
		print_disk(i, vblk_disk(i));
}

static unsigned count_pci_disks(void)
{
	unsigned count = 0;

	for (unsigned i = 0; i < vblk_disk_count(); i++)
		count += vblk_disk_info(vblk_disk(i))->transport == VBLK_TRANSPORT_PCI;
	return count;
}

/* The expectations every case shares: el=, disks=, mmio= (every MMIO
 * disk's version), pci= (how many disks are on PCI), packed=0|1 (every
 * disk's ring format), blk=. */
static int check_environment(void)
{
	uint64_t want_el = arg_u64("el", 0), want_disks = arg_u64("disks", 0);
	uint64_t want_version = arg_u64("mmio", 0), want_block = arg_u64("blk", 0);
	const char *want_pci = arg_str("pci"), *want_packed = arg_str("packed");

	if (want_el != 0 && rt_boot_el() != want_el)
		return fail("booted at EL%u, expected EL%lu", rt_boot_el(),
			    (unsigned long)want_el);
	if (want_disks != 0 && vblk_disk_count() != want_disks)
		return fail("%u disk(s) found, expected %lu", vblk_disk_count(),
			    (unsigned long)want_disks);
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		const struct vblk_info *info = vblk_disk_info(vblk_disk(i));

		if (want_version != 0 && info->transport == VBLK_TRANSPORT_MMIO &&
		    info->mmio_version != want_version)
			return fail("disk %u is virtio-mmio v%lu, expected v%lu", i,
				    (unsigned long)info->mmio_version,
				    (unsigned long)want_version);
		if (want_packed != NULL && info->ring_packed != (want_packed[0] == '1'))
			return fail("disk %u uses the %s ring, expected packed=%s", i,
				    info->ring_packed ? "packed" : "split", want_packed);
		if (want_block != 0 && info->block_size_bytes != want_block)
			return fail("disk %u has %lu-byte blocks, expected %lu", i,
				    (unsigned long)info->block_size_bytes,
				    (unsigned long)want_block);
	}
	if (want_pci != NULL && count_pci_disks() != arg_u64("pci", 0))
		return fail("%u disk(s) on PCI, expected %s", count_pci_disks(), want_pci);
	return 0;
}

/* ---- test cases ------------------------------------------------------ */

/* probe: list the disks and check what the device offered was negotiated
 * sensibly; capacity=N checks disk 0's size, ro=0|1 its read-only flag. */
static int test_probe(void)
{
	uint64_t want_capacity = arg_u64("capacity", 0);
	const char *want_ro = arg_str("ro");

	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		const struct vblk_info *info = vblk_disk_info(vblk_disk(i));
		bool version_1 = (info->features >> VIRTIO_F_VERSION_1_BIT) & 1;

		bool modern = info->transport == VBLK_TRANSPORT_PCI || info->mmio_version == 2;

		/* virtio 1.2 §4.2.3.1.1 / §6.1: a modern transport needs
		 * VERSION_1; a legacy one cannot negotiate bits above 31.
		 * vblk drives PCI devices through the modern interface. */
		if (version_1 != modern)
			return fail("disk %u: VERSION_1 %snegotiated on %s", i,
				    version_1 ? "" : "not ",
				    modern ? "a modern transport" : "a legacy one");
		/* QEMU 7.2 offers RING_RESET without the QueueReset register. */
		if ((info->features >> VIRTIO_F_RING_RESET_BIT) & 1)
			return fail("disk %u: RING_RESET accepted", i);
		if (info->capacity_sectors == 0 || info->block_size_bytes < SECTOR_BYTES)
			return fail("disk %u: capacity %lu, block size %lu", i,
				    (unsigned long)info->capacity_sectors,
				    (unsigned long)info->block_size_bytes);
	}
	if (vblk_disk_count() == 0)
		return fail("no disks found");
	if (want_capacity != 0 && vblk_capacity(vblk_disk(0)) != want_capacity)
		return fail("disk 0 has %lu sectors, expected %lu",
			    (unsigned long)vblk_capacity(vblk_disk(0)),
			    (unsigned long)want_capacity);
	if (want_ro != NULL && vblk_disk_info(vblk_disk(0))->read_only != (want_ro[0] == '1'))
		return fail("disk 0 read-only flag is %d, expected %s",
			    vblk_disk_info(vblk_disk(0))->read_only, want_ro);
	return 0;
}

/* With align=N > 1 (blk_size above 512), a request that is not whole
 * logical blocks is refused: the sector before the range (which the host
 * checks is untouched) and a block-sized range starting one sector late. */
static int check_partial_blocks_refused(struct vblk_disk *disk, uint64_t start)
{
	uint32_t align = (uint32_t)arg_u64("align", 1);

	if (align <= 1 || align > IO_BUF_SECTORS)
		return 0;
	if (start == 0)
		return fail("align=%lu needs start > 0", (unsigned long)align);
	fill_pattern(io_buf, arg_u64("seed", 1), start - 1, align);
	if (expect_rc("write of 1 sector before the range",
		      vblk_write(disk, start - 1, io_buf, 1), -VBLK_EALIGN) ||
	    expect_rc("write of a block from a mid-block sector",
		      vblk_write(disk, start - 1, io_buf, align), -VBLK_EALIGN) ||
	    expect_rc("read of a block from a mid-block sector",
		      vblk_read(disk, start + 1, io_buf, align), -VBLK_EALIGN))
		return -1;
	return 0;
}

/* write_pattern: write pattern `seed` over the range with mixed request
 * sizes; the host checks the image afterwards. */
static int test_write_pattern(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start, count;
	unsigned nrequests = 0;
	uint64_t t0;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0)
		return -1;
	if (check_partial_blocks_refused(disk, start) != 0)
		return -1;
	t0 = rt_time_us();
	if (write_range(disk, seed, start, count, &nrequests) != 0)
		return -1;
	printf("wrote %lu sectors from %lu (seed %lu) in %u requests, %lu us\n",
	       (unsigned long)count, (unsigned long)start, (unsigned long)seed,
	       nrequests, (unsigned long)(rt_time_us() - t0));
	return 0;
}

/* verify_pattern: the host filled the range with pattern `seed`; read it
 * back with mixed sizes and compare every byte. */
static int test_verify_pattern(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start, count;
	unsigned nrequests = 0;
	uint64_t t0;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0)
		return -1;
	t0 = rt_time_us();
	if (read_and_check_range(disk, seed, start, count, &nrequests) != 0)
		return -1;
	printf("read and checked %lu sectors from %lu (seed %lu) in %u requests, %lu us\n",
	       (unsigned long)count, (unsigned long)start, (unsigned long)seed,
	       nrequests, (unsigned long)(rt_time_us() - t0));
	return 0;
}

/* readonly: on a readonly=on drive, writes fail with -VBLK_EROFS before
 * reaching the device (the host checks the image is byte-identical) and
 * reads still return the host's pattern. */
static int test_readonly(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start, count;
	unsigned nrequests = 0;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0)
		return -1;
	if (!vblk_disk_info(disk)->read_only)
		return fail("disk does not report read-only");
	fill_pattern(io_buf, seed + 1, 0, 8);
	if (expect_rc("vblk_write(0, 1)", vblk_write(disk, 0, io_buf, 1), -VBLK_EROFS) ||
	    expect_rc("vblk_write(start, 8)", vblk_write(disk, start, io_buf, 8), -VBLK_EROFS))
		return -1;
	if (read_and_check_range(disk, seed, start, count, &nrequests) != 0)
		return -1;
	printf("writes refused; read %lu sectors in %u requests\n",
	       (unsigned long)count, nrequests);
	return 0;
}

/* range: every bad argument is refused with its own code and nothing is
 * submitted (the host checks the image is byte-identical); the disk still
 * works afterwards. */
static int test_range(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t capacity;
	int rc;

	if (disk == NULL)
		return -1;
	capacity = vblk_capacity(disk);
	fill_pattern(io_buf, arg_u64("seed", 1), capacity - 8, 16);

	if (expect_rc("write past the end", vblk_write(disk, capacity, io_buf, 1), -VBLK_ERANGE) ||
	    expect_rc("write across the end", vblk_write(disk, capacity - 1, io_buf, 2), -VBLK_ERANGE) ||
	    expect_rc("write of 16 ending 8 past", vblk_write(disk, capacity - 8, io_buf, 16), -VBLK_ERANGE) ||
	    expect_rc("write at UINT64_MAX", vblk_write(disk, UINT64_MAX, io_buf, 1), -VBLK_ERANGE) ||
	    expect_rc("write wrapping past 2^64", vblk_write(disk, UINT64_MAX - 1, io_buf, 4), -VBLK_ERANGE) ||
	    expect_rc("write of UINT32_MAX sectors", vblk_write(disk, 0, io_buf, UINT32_MAX), -VBLK_ERANGE) ||
	    expect_rc("read past the end", vblk_read(disk, capacity, io_buf, 1), -VBLK_ERANGE) ||
	    expect_rc("read across the end", vblk_read(disk, capacity - 1, io_buf, 2), -VBLK_ERANGE))
		return -1;
	if (expect_rc("write of 0 sectors", vblk_write(disk, 0, io_buf, 0), -VBLK_EINVAL) ||
	    expect_rc("read of 0 sectors", vblk_read(disk, 0, io_buf, 0), -VBLK_EINVAL) ||
	    expect_rc("write from NULL", vblk_write(disk, 0, NULL, 1), -VBLK_EINVAL) ||
	    expect_rc("read into NULL", vblk_read(disk, 0, NULL, 1), -VBLK_EINVAL))
		return -1;
	if (expect_rc("write from buf+1", vblk_write(disk, 0, io_buf + 1, 1), -VBLK_EALIGN) ||
	    expect_rc("write from buf+8", vblk_write(disk, 0, io_buf + 8, 1), -VBLK_EALIGN) ||
	    expect_rc("read into buf+32", vblk_read(disk, 0, io_buf + 32, 1), -VBLK_EALIGN))
		return -1;
	rc = vblk_write(NULL, 0, io_buf, 1);
	if (rc != -VBLK_EINVAL && rc != -VBLK_ENODEV)
		return expect_rc("write to a NULL disk", rc, -VBLK_EINVAL);
	rc = vblk_flush(NULL);
	if (rc != -VBLK_EINVAL && rc != -VBLK_ENODEV)
		return expect_rc("flush of a NULL disk", rc, -VBLK_EINVAL);
	if (vblk_disk(VBLK_MAX_DISKS) != NULL || vblk_disk(vblk_disk_count()) != NULL)
		return fail("vblk_disk() returned a disk past the last one");
	if (vblk_capacity(NULL) != 0)
		return fail("vblk_capacity(NULL) is not 0");

	/* Nothing above may have left the queue or the device unusable. */
	memset(io_buf, POISON_BYTE, 2 * SECTOR_BYTES);
	if (expect_rc("read of the last sector", vblk_read(disk, capacity - 1, io_buf, 1), 0) ||
	    expect_rc("read of sector 0", vblk_read(disk, 0, io_buf + SECTOR_BYTES, 1), 0))
		return -1;
	printf("all bad requests refused; disk still answers\n");
	return 0;
}

/* flush: write a pattern, then flush; without VIRTIO_BLK_F_FLUSH the disk
 * writes through and the flush has nothing to do: 0 all the same
 * (vblk/vblk.h). The host checks the pattern. */
static int test_flush(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), start, count;
	unsigned nrequests = 0;

	if (disk == NULL || chosen_range(disk, &start, &count) != 0)
		return -1;
	if (expect_rc("vblk_flush on a clean disk", vblk_flush(disk), 0) ||
	    write_range(disk, seed, start, count, &nrequests) != 0 ||
	    expect_rc("vblk_flush after writes", vblk_flush(disk), 0))
		return -1;
	printf("flush %s after %u write requests\n",
	       vblk_disk_info(disk)->has_flush ? "sent" : "not needed (write-through)", nrequests);
	return 0;
}

/* get_id: the device id equals serial= (empty when QEMU has none) and is
 * NUL-terminated within the 21-byte buffer. */
static int test_get_id(void)
{
	struct vblk_disk *disk = chosen_disk();
	const char *want = arg_str("serial");
	char id[DEVICE_ID_BYTES];

	if (disk == NULL)
		return -1;
	if (want == NULL)
		want = "";
	memset(id, 0x7f, sizeof(id));
	if (expect_rc("vblk_get_id", vblk_get_id(disk, id), 0))
		return -1;
	if (memchr(id, '\0', sizeof(id)) == NULL)
		return fail("device id is not NUL-terminated");
	printf("device id '%s'\n", id);
	if (strcmp(id, want) != 0)
		return fail("device id '%s', expected '%s'", id, want);
	return 0;
}

/* last_sector: the last sector alone, then the last three in one request,
 * written and read back; one sector further is out of range. capacity=N
 * checks the disk size first (run.sh gives an odd-sized disk). */
static int test_last_sector(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), want_capacity = arg_u64("capacity", 0);
	uint64_t last;

	if (disk == NULL)
		return -1;
	if (want_capacity != 0 && vblk_capacity(disk) != want_capacity)
		return fail("capacity %lu, expected %lu",
			    (unsigned long)vblk_capacity(disk), (unsigned long)want_capacity);
	last = vblk_capacity(disk) - 1;

	fill_pattern(io_buf, seed, last, 1);
	if (expect_rc("write of the last sector", vblk_write(disk, last, io_buf, 1), 0))
		return -1;
	memset(io_buf, POISON_BYTE, SECTOR_BYTES);
	if (expect_rc("read of the last sector", vblk_read(disk, last, io_buf, 1), 0) ||
	    check_pattern(io_buf, seed, last, 1) != 0)
		return -1;

	fill_pattern(io_buf, seed, last - 2, 3);
	if (expect_rc("write of the last 3 sectors", vblk_write(disk, last - 2, io_buf, 3), 0))
		return -1;
	memset(io_buf, POISON_BYTE, 3 * SECTOR_BYTES);
	if (expect_rc("read of the last 3 sectors", vblk_read(disk, last - 2, io_buf, 3), 0) ||
	    check_pattern(io_buf, seed, last - 2, 3) != 0)
		return -1;

	if (expect_rc("read of 2 from the last", vblk_read(disk, last, io_buf, 2), -VBLK_ERANGE) ||
	    expect_rc("write after the last", vblk_write(disk, last + 1, io_buf, 1), -VBLK_ERANGE))
		return -1;
	printf("last sector %lu written and read back\n", (unsigned long)last);
	return 0;
}

/* Which disk has device id `serial`? */
static struct vblk_disk *disk_with_serial(const char *serial, size_t len)
{
	for (unsigned i = 0; i < vblk_disk_count(); i++) {
		char id[DEVICE_ID_BYTES];

		if (vblk_get_id(vblk_disk(i), id) == 0 && strlen(id) == len &&
		    memcmp(id, serial, len) == 0)
			return vblk_disk(i);
	}
	return NULL;
}

/*
 * two_disks irq=1|2: disk A's handler is registered (and only A's), A
 * runs on interrupts, and B is polled (1) or on interrupts too (2). The
 * rows that ask for it put both on one PCI INTx line (slots 2 and 6 of
 * QEMU virt), where A's handler must take B's interrupts as well: a line
 * B leaves up would be taken again for ever (blk/interrupt.c).
 */
static int two_disks_on_one_line(struct vblk_disk *const disk[2], unsigned irq)
{
	const struct vblk_info *a = vblk_disk_info(disk[0]), *b = vblk_disk_info(disk[1]);

	if (rt_irq_controller() == 0)
		return fail("irq=%u but the runtime has no interrupt controller", irq);
	if (a->intid != b->intid)
		return fail("the disks do not share an INTID (%u, %u)", (unsigned)a->intid,
			    (unsigned)b->intid);
	printf("one line: INTID %u (%s-triggered), disk B %s\n", (unsigned)a->intid,
	       a->irq_edge ? "edge" : "level", irq == 2 ? "on interrupts too" : "polled");
	if (expect_rc("rt_irq_register(disk A)",
		      rt_irq_register(a->intid, a->irq_edge, vblk_irq_handler, disk[0]), 0) ||
	    expect_rc("vblk_use_interrupts(disk A)", vblk_use_interrupts(disk[0], true), 0))
		return -1;
	if (irq == 2)
		return expect_rc("vblk_use_interrupts(disk B)", vblk_use_interrupts(disk[1], true), 0);
	return 0;
}

/* With irq=2, disk B's interrupts came through A's handler, and none went
 * missing. */
static int expect_b_heard(struct vblk_disk *disk_b, unsigned irq)
{
	struct vblk_stats stats;

	if (irq != 2)
		return 0;
	vblk_stats(disk_b, &stats);
	printf("disk B: %llu interrupts, %llu missed\n", (unsigned long long)stats.interrupts,
	       (unsigned long long)stats.missed_interrupts);
	if (stats.interrupts == 0 || stats.missed_interrupts != 0)
		return fail("disk B's interrupts did not all come through disk A's handler");
	return 0;
}

/* two_disks serials=A:B seeds=SA:SB start= count= [irq=1|2]: write both
 * disks in alternating requests (each disk found by its serial), then
 * read both back. The host checks both images. */
static int test_two_disks(void)
{
	const char *serials = arg_str("serials"), *seeds = arg_str("seeds");
	const char *colon_serial = serials ? strchr(serials, ':') : NULL;
	const char *colon_seed = seeds ? strchr(seeds, ':') : NULL;
	struct vblk_disk *disk[2];
	uint64_t seed[2], start = arg_u64("start", 0), count = arg_u64("count", 0);
	unsigned turn = 0, nrequests = 0, irq = (unsigned)arg_u64("irq", 0);

	if (colon_serial == NULL || colon_seed == NULL || count == 0)
		return fail("needs serials=A:B seeds=SA:SB count=N");
	disk[0] = disk_with_serial(serials, (size_t)(colon_serial - serials));
	disk[1] = disk_with_serial(colon_serial + 1, strlen(colon_serial + 1));
	seed[0] = strtoull(seeds, NULL, 0);
	seed[1] = strtoull(colon_seed + 1, NULL, 0);
	if (disk[0] == NULL || disk[1] == NULL || disk[0] == disk[1])
		return fail("disks with serials %s not found", serials);
	for (unsigned d = 0; d < 2; d++)
		if (start + count > vblk_capacity(disk[d]))
			return fail("range %lu+%lu does not fit disk %u",
				    (unsigned long)start, (unsigned long)count, d);
	if (irq != 0 && two_disks_on_one_line(disk, irq) != 0)
		return -1;

	for (uint64_t done = 0; done < count;) {
		uint32_t nsectors = next_request_nsectors(&turn, count - done);

		for (unsigned d = 0; d < 2; d++) {
			int rc;

			fill_pattern(io_buf, seed[d], start + done, nsectors);
			rc = vblk_write(disk[d], start + done, io_buf, nsectors);
			if (rc != 0)
				return fail("disk %u: vblk_write(%lu, %lu) returned %d (%s)", d,
					    (unsigned long)(start + done),
					    (unsigned long)nsectors, rc, vblk_strerror(rc));
		}
		done += nsectors;
	}
	for (unsigned d = 0; d < 2; d++)
		if (read_and_check_range(disk[d], seed[d], start, count, &nrequests) != 0)
			return -1;
	printf("both disks written in %u interleaved rounds and read back\n", turn);
	return expect_b_heard(disk[1], irq);
}

/* many_small count=N: N single-sector reads of a host-filled pattern (seed)
 * at scattered sectors; more than 65536 of them wrap the 16-bit ring
 * indexes (virtio 1.2 §2.7.6, §2.7.8; they wrap at 2^16, §2.7.13). */
static int test_many_small(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1), nreads = arg_u64("count", 70000);
	uint64_t capacity, state = 1, t0;

	if (disk == NULL)
		return -1;
	capacity = vblk_capacity(disk);
	t0 = rt_time_us();
	for (uint64_t i = 0; i < nreads; i++) {
		uint64_t sector = pattern_next(&state) % capacity;
		int rc;

		memset(io_buf, POISON_BYTE, SECTOR_BYTES);
		rc = vblk_read(disk, sector, io_buf, 1);
		if (rc != 0)
			return fail("read %lu (sector %lu) returned %d (%s)", (unsigned long)i,
				    (unsigned long)sector, rc, vblk_strerror(rc));
		if (check_pattern(io_buf, seed, sector, 1) != 0)
			return -1;
	}
	printf("%lu single-sector reads in %lu us\n", (unsigned long)nreads,
	       (unsigned long)(rt_time_us() - t0));
	return 0;
}

/* io_error rsector=R wsector=W: QEMU (blkdebug) fails reads of R and writes
 * of W. Each failure is -VBLK_EIO, and the disk keeps working: neighbours
 * read back the host's pattern `seed`, and a write next to W lands (the
 * host checks W+1 holds pattern seed+1 and nothing else changed). */
static int test_io_error(void)
{
	struct vblk_disk *disk = chosen_disk();
	uint64_t seed = arg_u64("seed", 1);
	uint64_t rsector = arg_u64("rsector", 0), wsector = arg_u64("wsector", 0);

	if (disk == NULL)
		return -1;
	if (rsector < 4 || wsector + 1 >= vblk_capacity(disk))
		return fail("needs rsector >= 4 and wsector + 1 < capacity");
	if (expect_rc("read of the failing sector", vblk_read(disk, rsector, io_buf, 1), -VBLK_EIO) ||
	    expect_rc("read of 8 around it", vblk_read(disk, rsector - 4, io_buf, 8), -VBLK_EIO))
		return -1;
	memset(io_buf, POISON_BYTE, SECTOR_BYTES);
	if (expect_rc("read after the failing sector", vblk_read(disk, rsector + 1, io_buf, 1), 0) ||
	    check_pattern(io_buf, seed, rsector + 1, 1) != 0)
		return -1;

	fill_pattern(io_buf, seed + 1, wsector, 2);
	if (expect_rc("write of the failing sector", vblk_write(disk, wsector, io_buf, 1), -VBLK_EIO) ||
	    expect_rc("write after it", vblk_write(disk, wsector + 1, io_buf + SECTOR_BYTES, 1), 0))
		return -1;
	memset(io_buf, POISON_BYTE, SECTOR_BYTES);
	if (expect_rc("read of the failed write's sector", vblk_read(disk, wsector, io_buf, 1), 0) ||
	    check_pattern(io_buf, seed, wsector, 1) != 0)
		return -1;
	printf("read error on %lu and write error on %lu reported; disk still works\n",
	       (unsigned long)rsector, (unsigned long)wsector);
	return 0;
}

/* exception: touch an address nothing is mapped at. The runtime's vector
 * must print the fault (class, ESR, ELR, FAR) and end QEMU with a failure
 * status; run.sh checks both. Returning from here is the failure. */
#define UNMAPPED_ADDRESS 0x7f0000000000ull   /* beyond every RAM and MMIO map */
static int test_exception(void)
{
	volatile uint32_t *nowhere = (volatile uint32_t *)(uintptr_t)UNMAPPED_ADDRESS;

	printf("reading 0x%llx\n", UNMAPPED_ADDRESS);
	(void)*nowhere;
	return fail("the read of an unmapped address did not fault");
}


static const struct test_case {
	const char *name;
	int (*run)(void);
} test_cases[] = {
	{ "probe", test_probe },
	{ "write_pattern", test_write_pattern },
	{ "verify_pattern", test_verify_pattern },
	{ "readonly", test_readonly },
	{ "range", test_range },
	{ "flush", test_flush },
	{ "get_id", test_get_id },
	{ "last_sector", test_last_sector },
	{ "two_disks", test_two_disks },
	{ "many_small", test_many_small },
	{ "io_error", test_io_error },
	{ "interrupts", test_interrupts },
	{ "virtio_irq", test_virtio_irq },
	{ "async_io", test_async_io },
	{ "merge_equal", test_merge_equal },
	{ "integrity", test_integrity },
	{ "exception", test_exception },
	{ "fault_merged", test_fault_merged },
	{ "flush_error", test_flush_error },
	{ "resize", test_resize },
	{ "timeout", test_timeout },
	{ "outside_ram", test_outside_ram },
	{ "discard", test_discard },
	{ "pci_map", test_pci_map },
	{ "reinit", test_reinit },
	{ "wait_in_irq_callback", test_wait_in_irq_callback },
};
#define TEST_CASE_COUNT (sizeof(test_cases) / sizeof(test_cases[0]))

static int run_test(const struct test_case *test)
{
	if (init_disks() != 0)
		return -1;
	print_disks();
	if (check_environment() != 0)
		return -1;
	return test->run();
}

int main(void)
{
	const struct test_case *test = NULL;
	const char *name;
	int len = rt_cmdline(cmdline, sizeof(cmdline));
	uint64_t t0 = rt_time_us();

	if (len < 0) {
		printf("RESULT ? FAIL: no semihosting command line\n");
		rt_exit(EXIT_FAIL);
	}
	cmdline[sizeof(cmdline) - 1] = '\0';
	printf("vblk-test: booted at EL%u, args '%s'\n", rt_boot_el(), cmdline);
	parse_cmdline();
	name = arg_str("test");
	for (unsigned i = 0; name != NULL && i < TEST_CASE_COUNT; i++)
		if (strcmp(test_cases[i].name, name) == 0)
			test = &test_cases[i];
	if (test == NULL) {
		printf("RESULT %s FAIL: unknown test\n", name ? name : "?");
		rt_exit(EXIT_FAIL);
	}

	if (run_test(test) == 0) {
		printf("%s took %lu us\n", test->name, (unsigned long)(rt_time_us() - t0));
		printf("RESULT %s PASS\n", test->name);
		rt_exit(EXIT_PASS);
	}
	printf("RESULT %s FAIL: %s\n", test->name,
	       fail_reason[0] ? fail_reason : "(no reason recorded)");
	rt_exit(EXIT_FAIL);
}
