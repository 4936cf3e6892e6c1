/* SPDX-License-Identifier: MIT */
/*
 * diskpat — write and check deterministic sector patterns in a disk image,
 * so the QEMU tests can prove on the host what the guest wrote (and that it
 * wrote nothing else).
 *
 *   diskpat fill FILE SEED [START COUNT]     pattern SEED over the whole file
 *                                            or over sectors START..START+COUNT-1
 *   diskpat verify FILE SEED START COUNT     check those sectors hold pattern SEED
 *   diskpat check-unchanged FILE REF [START COUNT]
 *                                            every sector outside START..+COUNT
 *                                            equals the same sector of REF
 *
 * Sectors are 512 bytes; numbers accept 0x prefixes. Exit status: 0 ok,
 * 1 mismatch (the first bad sector, its byte offset and the number of bad
 * sectors are printed), 2 usage or I/O error. The pattern is tools/pattern.h,
 * the same code the guest tests run.
 */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/pattern.h"

#define SECTOR_BYTES PATTERN_SECTOR_BYTES
#define CHUNK_SECTORS 2048u          /* 1 MiB per read or write */
#define CHUNK_BYTES (CHUNK_SECTORS * SECTOR_BYTES)

enum { EXIT_OK = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2 };

static const char *prog = "diskpat";

struct range {
	uint64_t start_sector;
	uint64_t nsectors;
};

/* What a run of comparisons found: how many sectors differ, and the first. */
struct mismatch {
	uint64_t nbad_sectors;
	uint64_t first_sector;
	unsigned first_byte;
};

static _Noreturn void usage(void)
{
	fprintf(stderr,
		"usage: %s fill FILE SEED [START COUNT]\n"
		"       %s verify FILE SEED START COUNT\n"
		"       %s check-unchanged FILE REF [START COUNT]\n",
		prog, prog, prog);
	exit(EXIT_USAGE);
}

static _Noreturn void die(const char *what, const char *path)
{
	fprintf(stderr, "%s: %s: %s\n", prog, path, what);
	exit(EXIT_USAGE);
}

static _Noreturn void die_errno(const char *what, const char *path)
{
	fprintf(stderr, "%s: %s %s: %s\n", prog, what, path, strerror(errno));
	exit(EXIT_USAGE);
}

static uint64_t parse_u64(const char *text, const char *name)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(text, &end, 0);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
		fprintf(stderr, "%s: bad %s '%s'\n", prog, name, text);
		exit(EXIT_USAGE);
	}
	return (uint64_t)value;
}

static int open_image(const char *path, int flags, uint64_t *nsectors)
{
	struct stat st;
	int fd = open(path, flags);

	if (fd < 0)
		die_errno("cannot open", path);
	if (fstat(fd, &st) != 0)
		die_errno("cannot stat", path);
	if (st.st_size % SECTOR_BYTES != 0)
		die("size is not a multiple of 512 bytes", path);
	*nsectors = (uint64_t)st.st_size / SECTOR_BYTES;
	return fd;
}

/* The optional "START COUNT" pair at argv[0..1]; the whole disk if absent. */
static struct range parse_range(int argc, char **argv, uint64_t disk_nsectors,
				const char *path)
{
	struct range range = { 0, disk_nsectors };

	if (argc == 0)
		return range;
	if (argc != 2)
		usage();
	range.start_sector = parse_u64(argv[0], "START");
	range.nsectors = parse_u64(argv[1], "COUNT");
	if (range.start_sector > disk_nsectors ||
	    range.nsectors > disk_nsectors - range.start_sector) {
		fprintf(stderr, "%s: %s: sectors %" PRIu64 "+%" PRIu64
			" pass the end of the disk (%" PRIu64 " sectors)\n",
			prog, path, range.start_sector, range.nsectors, disk_nsectors);
		exit(EXIT_USAGE);
	}
	return range;
}

static void read_exact(int fd, void *buf, size_t len_bytes, uint64_t sector,
		       const char *path)
{
	ssize_t got = pread(fd, buf, len_bytes, (off_t)(sector * SECTOR_BYTES));

	if (got < 0)
		die_errno("cannot read", path);
	if ((size_t)got != len_bytes)
		die("short read", path);
}

static void write_exact(int fd, const void *buf, size_t len_bytes, uint64_t sector,
			const char *path)
{
	ssize_t put = pwrite(fd, buf, len_bytes, (off_t)(sector * SECTOR_BYTES));

	if (put < 0)
		die_errno("cannot write", path);
	if ((size_t)put != len_bytes)
		die("short write", path);
}

static uint32_t chunk_nsectors(uint64_t done, uint64_t total)
{
	uint64_t left = total - done;

	return left < CHUNK_SECTORS ? (uint32_t)left : CHUNK_SECTORS;
}

static void note_mismatch(struct mismatch *mm, uint64_t sector, unsigned byte)
{
	if (mm->nbad_sectors == 0) {
		mm->first_sector = sector;
		mm->first_byte = byte;
	}
	mm->nbad_sectors++;
}

/* Say what a bad sector holds instead: another pattern sector (misplaced or
 * stale data), zeros (never written), or something else. */
static void describe_sector(const uint8_t *sector_buf)
{
	uint64_t claimed_sector = pattern_get_le64(sector_buf);
	uint64_t claimed_seed = pattern_get_le64(sector_buf + 8);
	bool all_zero = true;

	for (unsigned off = 0; off < SECTOR_BYTES; off++)
		if (sector_buf[off] != 0)
			all_zero = false;
	if (all_zero)
		printf("  it holds all zeros\n");
	else if (pattern_check_sector(sector_buf, claimed_seed, claimed_sector) < 0)
		printf("  it holds the pattern of sector %" PRIu64 " seed %" PRIu64 "\n",
		       claimed_sector, claimed_seed);
	else
		printf("  it holds no pattern sector\n");
}

static int cmd_fill(int argc, char **argv)
{
	static uint8_t chunk[CHUNK_BYTES];
	uint64_t disk_nsectors, seed;
	struct range range;
	int fd;

	if (argc < 2)
		usage();
	fd = open_image(argv[0], O_RDWR, &disk_nsectors);
	seed = parse_u64(argv[1], "SEED");
	range = parse_range(argc - 2, argv + 2, disk_nsectors, argv[0]);

	for (uint64_t done = 0; done < range.nsectors;) {
		uint32_t nsectors = chunk_nsectors(done, range.nsectors);
		uint64_t sector = range.start_sector + done;

		for (uint32_t i = 0; i < nsectors; i++)
			pattern_fill_sector(chunk + (size_t)i * SECTOR_BYTES, seed, sector + i);
		write_exact(fd, chunk, (size_t)nsectors * SECTOR_BYTES, sector, argv[0]);
		done += nsectors;
	}
	/* No fsync: QEMU and the checks read the file through the same page
	 * cache, and the images are scratch files. */
	if (close(fd) != 0)
		die_errno("cannot close", argv[0]);
	return EXIT_OK;
}

static int cmd_verify(int argc, char **argv)
{
	static uint8_t chunk[CHUNK_BYTES];
	uint8_t first_bad[SECTOR_BYTES];
	struct mismatch mm = { 0, 0, 0 };
	uint64_t disk_nsectors, seed;
	struct range range;
	int fd;

	if (argc != 4)
		usage();
	fd = open_image(argv[0], O_RDONLY, &disk_nsectors);
	seed = parse_u64(argv[1], "SEED");
	range = parse_range(argc - 2, argv + 2, disk_nsectors, argv[0]);

	for (uint64_t done = 0; done < range.nsectors;) {
		uint32_t nsectors = chunk_nsectors(done, range.nsectors);
		uint64_t sector = range.start_sector + done;

		read_exact(fd, chunk, (size_t)nsectors * SECTOR_BYTES, sector, argv[0]);
		for (uint32_t i = 0; i < nsectors; i++) {
			const uint8_t *got = chunk + (size_t)i * SECTOR_BYTES;
			int bad_byte = pattern_check_sector(got, seed, sector + i);

			if (bad_byte < 0)
				continue;
			if (mm.nbad_sectors == 0)
				memcpy(first_bad, got, SECTOR_BYTES);
			note_mismatch(&mm, sector + i, (unsigned)bad_byte);
		}
		done += nsectors;
	}
	close(fd);
	if (mm.nbad_sectors == 0)
		return EXIT_OK;
	printf("%s: %s: %" PRIu64 " of %" PRIu64 " sectors do not hold pattern seed %"
	       PRIu64 "; first: sector %" PRIu64 " byte %u (file offset %" PRIu64 ")\n",
	       prog, argv[0], mm.nbad_sectors, range.nsectors, seed, mm.first_sector,
	       mm.first_byte, mm.first_sector * SECTOR_BYTES + mm.first_byte);
	describe_sector(first_bad);
	return EXIT_MISMATCH;
}

static int cmd_check_unchanged(int argc, char **argv)
{
	static uint8_t chunk[CHUNK_BYTES], ref_chunk[CHUNK_BYTES];
	struct mismatch mm = { 0, 0, 0 };
	uint64_t disk_nsectors, ref_nsectors;
	struct range skip;
	int fd, ref_fd;

	if (argc != 2 && argc != 4)
		usage();
	fd = open_image(argv[0], O_RDONLY, &disk_nsectors);
	ref_fd = open_image(argv[1], O_RDONLY, &ref_nsectors);
	if (disk_nsectors != ref_nsectors) {
		printf("%s: %s has %" PRIu64 " sectors, %s has %" PRIu64 "\n",
		       prog, argv[0], disk_nsectors, argv[1], ref_nsectors);
		return EXIT_MISMATCH;
	}
	skip = parse_range(argc - 2, argv + 2, disk_nsectors, argv[0]);
	if (argc == 2)
		skip.nsectors = 0;      /* nothing excluded: the whole file */

	for (uint64_t sector = 0; sector < disk_nsectors;) {
		uint32_t nsectors = chunk_nsectors(sector, disk_nsectors);

		read_exact(fd, chunk, (size_t)nsectors * SECTOR_BYTES, sector, argv[0]);
		read_exact(ref_fd, ref_chunk, (size_t)nsectors * SECTOR_BYTES, sector, argv[1]);
		for (uint32_t i = 0; i < nsectors; i++) {
			uint64_t this_sector = sector + i;
			size_t base = (size_t)i * SECTOR_BYTES;

			if (this_sector >= skip.start_sector &&
			    this_sector - skip.start_sector < skip.nsectors)
				continue;
			for (unsigned off = 0; off < SECTOR_BYTES; off++) {
				if (chunk[base + off] != ref_chunk[base + off]) {
					note_mismatch(&mm, this_sector, off);
					break;
				}
			}
		}
		sector += nsectors;
	}
	close(fd);
	close(ref_fd);
	if (mm.nbad_sectors == 0)
		return EXIT_OK;
	printf("%s: %s: %" PRIu64 " sectors differ from %s", prog, argv[0],
	       mm.nbad_sectors, argv[1]);
	if (skip.nsectors != 0)
		printf(" outside sectors %" PRIu64 "+%" PRIu64, skip.start_sector,
		       skip.nsectors);
	printf("; first: sector %" PRIu64 " byte %u (file offset %" PRIu64 ")\n",
	       mm.first_sector, mm.first_byte,
	       mm.first_sector * SECTOR_BYTES + mm.first_byte);
	return EXIT_MISMATCH;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "fill") == 0)
		return cmd_fill(argc - 2, argv + 2);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 2, argv + 2);
	if (strcmp(argv[1], "check-unchanged") == 0)
		return cmd_check_unchanged(argc - 2, argv + 2);
	usage();
	return EXIT_USAGE;
}
