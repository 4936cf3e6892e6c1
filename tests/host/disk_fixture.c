/*
 * One fake device with the driver attached, reset around every test: see
 * disk_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "disk_fixture.h"

struct fake_virtio *fv;
struct vblk_disk *disk;

uint32_t test_version(void **state)
{
	return (uint32_t)(uintptr_t)*state;
}

struct fake_virtio *make_device(uint32_t version, opts_tweak_fn *tweak)
{
	struct fake_virtio_opts opts;

	fake_virtio_default_opts(&opts, version);
	if (tweak)
		tweak(&opts);
	return fake_virtio_create(&opts);
}

int attach_with(void **state, opts_tweak_fn *tweak)
{
	fv = make_device(test_version(state), tweak);
	int index = vblk_attach(fake_virtio_base(fv), TEST_INTID);
	disk = index >= 0 ? vblk_disk((unsigned)index) : NULL;
	return index < 0 ? index : 0;
}

void attach_ok(void **state, opts_tweak_fn *tweak)
{
	assert_int_equal(attach_with(state, tweak), 0);
	assert_non_null(disk);
}

uint8_t *load_test_dtb(const char *name, long keep_bytes, size_t *len_bytes)
{
	const char *dir = getenv("VBLK_DTB_DIR");
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/host/dtb", name);
	FILE *file = fopen(path, "rb");
	if (file == NULL)
		fail_msg("cannot open %s (run from the repository root or set VBLK_DTB_DIR)", path);
	fseek(file, 0, SEEK_END);
	long file_bytes = ftell(file);
	rewind(file);
	*len_bytes = (size_t)(keep_bytes > 0 ? keep_bytes : file_bytes + keep_bytes);
	uint8_t *blob = malloc(*len_bytes);
	assert_non_null(blob);
	assert_int_equal(fread(blob, 1, *len_bytes, file), *len_bytes);
	fclose(file);
	return blob;
}

void read_only(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_RO);
}

void block_4k(struct fake_virtio_opts *opts)
{
	opts->features |= FAKE_BIT(FAKE_F_BLK_BLK_SIZE);
	opts->blk_size_bytes = 4096;
}

void no_flush(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_BLK_FLUSH);
}

void no_queue(struct fake_virtio_opts *opts)
{
	opts->queue_num_max = 0;
}

void without_indirect(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_INDIRECT_DESC);
}

void without_event_idx(struct fake_virtio_opts *opts)
{
	opts->features &= ~FAKE_BIT(FAKE_F_EVENT_IDX);
}

int disk_setup(void **state)
{
	(void)state;
	vblk_shutdown();
	host_platform_reset();
	fv = NULL;
	disk = NULL;
	return 0;
}

int disk_teardown(void **state)
{
	(void)state;
	if (fv) {
		fake_virtio_assert_clean(fv);
		/* A device left with a stalled reset holds its disk's memory
		 * (VBLK_EHELD) until it resets: let it, so the next test
		 * starts with every slot free. */
		fake_virtio_set_reset_delay(fv, 0);
	}
	vblk_shutdown();
	host_platform_reset();
	return 0;
}
