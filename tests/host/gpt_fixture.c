/* SPDX-License-Identifier: MIT */
/* The GPT tests' shared disk: see gpt_fixture.h. */
#include "gpt_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct fx_disk fx_disk;
struct vblk_gpt fx_gpt;

const struct gpt_image_part fx_three_parts[3] = {
	{ .entry_index = 0, .first_lba = 34, .last_lba = 133, .type = VBLK_GPT_TYPE_EFI_SYSTEM,
	  .name = "boot" },
	{ .entry_index = 1, .first_lba = 134, .last_lba = 1133, .type = VBLK_GPT_TYPE_LINUX_DATA,
	  .name = "kernel" },
	{ .entry_index = 3, .first_lba = 1134, .last_lba = 2013, .type = VBLK_GPT_TYPE_LINUX_DATA,
	  .name = "root" },
};

int fx_read(void *ctx, uint64_t lba, uint32_t nblocks, void *buf)
{
	struct fx_disk *d = ctx;
	assert_true(nblocks > 0);
	assert_true(lba < d->layout.nblocks && nblocks <= d->layout.nblocks - lba);
	d->reads++;
	for (unsigned i = 0; i < d->nfail; i++)
		if (d->fail_lba[i] >= lba && d->fail_lba[i] - lba < nblocks)
			return -VBLK_EIO;
	memcpy(buf, d->mem + lba * d->layout.block_bytes, (size_t)nblocks * d->layout.block_bytes);
	return 0;
}

void fx_new_disk(uint32_t block_bytes, uint64_t nblocks, uint32_t num_entries,
		 uint32_t entry_bytes)
{
	free(fx_disk.mem);
	memset(&fx_disk, 0, sizeof(fx_disk));
	fx_disk.layout = (struct gpt_image_layout){ block_bytes, nblocks, num_entries, entry_bytes };
	fx_disk.mem = calloc(nblocks, block_bytes);
	assert_non_null(fx_disk.mem);
}

void fx_build(const struct gpt_image_part *parts, unsigned nparts)
{
	gpt_image_build(fx_disk.mem, &fx_disk.layout, parts, nparts);
}

void fx_build_three(void)
{
	fx_new_disk(512, FX_NBLOCKS, 0, 0);
	fx_build(fx_three_parts, 3);
}

int fx_parse(void)
{
	return vblk_gpt_parse(&fx_gpt, fx_read, &fx_disk, fx_disk.layout.block_bytes,
			      fx_disk.layout.nblocks);
}

uint8_t *fx_block(uint64_t lba)
{
	return fx_disk.mem + lba * fx_disk.layout.block_bytes;
}

uint64_t fx_last_lba(void)
{
	return fx_disk.layout.nblocks - 1;
}

uint8_t *fx_entry(uint64_t header_lba, uint32_t index)
{
	uint64_t array_lba = header_lba == 1 ? 2
					     : fx_last_lba() - gpt_image_array_blocks(&fx_disk.layout);
	uint32_t entry_bytes = fx_disk.layout.entry_bytes ? fx_disk.layout.entry_bytes : 128;
	return fx_block(array_lba) + (size_t)index * entry_bytes;
}

void fx_fix(uint64_t header_lba)
{
	gpt_image_fix_crcs(fx_disk.mem, &fx_disk.layout, header_lba);
}

void fx_expect_three_parts(void)
{
	assert_int_equal(fx_gpt.nparts, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct gpt_image_part *want = &fx_three_parts[i];
		assert_int_equal(fx_gpt.parts[i].entry_index, want->entry_index);
		assert_int_equal(fx_gpt.parts[i].first_lba, want->first_lba);
		assert_int_equal(fx_gpt.parts[i].last_lba, want->last_lba);
		assert_memory_equal(&fx_gpt.parts[i].type, &want->type, sizeof(want->type));
		assert_ptr_equal(vblk_gpt_find_name(&fx_gpt, want->name), &fx_gpt.parts[i]);
	}
}

int fx_teardown(void **state)
{
	(void)state;
	free(fx_disk.mem);
	fx_disk.mem = NULL;
	return 0;
}
