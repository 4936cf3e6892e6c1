/* SPDX-License-Identifier: MIT */
/*
 * Lab 2's check (docs/labs/lab2.md, "The check"), shared by the exercise
 * and its solution: used rings a faulty device could leave, played on
 * your harvest() before the device is live. Included after harvest(),
 * which it calls.
 */
#ifndef LAB2_CHECK_H
#define LAB2_CHECK_H

/* What a faulty device could leave in the used ring, and what harvest
 * must make of it. Played on the ring before the device is given it:
 * `last_used` starts at `start`, the device's used idx is `idx_step`
 * ahead of it and its entry sits where that index puts it; afterwards
 * last_used must have moved past the entry if `consumed` says so, and
 * stayed where it was otherwise. */
struct fault_case {
	const char *what;
	uint16_t start;
	uint16_t idx_step;
	uint32_t id, len;
	uint8_t status;
	enum harvest want;
	bool consumed;
};

static const struct fault_case cases[] = {
	{ "nothing new", 0, 0, 0, 513, 0, HARVEST_NOT_YET, false },
	{ "a good completion", 0, 1, 0, 513, VIRTIO_BLK_S_OK, HARVEST_OK, true },
	{ "an I/O error", 0, 1, 0, 513, VIRTIO_BLK_S_IOERR, HARVEST_IOERR, true },
	{ "an unsupported request", 0, 1, 0, 513, VIRTIO_BLK_S_UNSUPP, HARVEST_UNSUPP, true },
	{ "used idx two ahead", 0, 2, 0, 513, 0, HARVEST_BROKEN, false },
	{ "an id never made available", 0, 1, 5, 513, 0, HARVEST_BROKEN, false },
	{ "an id past the ring", 0, 1, 4096, 513, 0, HARVEST_BROKEN, false },
	{ "len past the writable bytes", 0, 1, 0, 9999, 0, HARVEST_BROKEN, false },
	{ "a status byte none of virtio-blk's", 0, 1, 0, 513, 7, HARVEST_BROKEN, true },
	{ "len short of the status byte", 0, 1, 0, 100, 0, HARVEST_IOERR, true },
	{ "a completion past the ring's last entry", 9, 1, 0, 513, 0, HARVEST_OK, true },
	{ "used idx wrapping from 65535 to 0", 0xffff, 1, 0, 513, 0, HARVEST_OK, true },
	{ "used idx two ahead across the wrap", 0xffff, 2, 0, 513, 0, HARVEST_BROKEN, false },
};

static const char *harvest_name(enum harvest verdict)
{
	static const char *const names[] = { "HARVEST_OK", "HARVEST_IOERR", "HARVEST_UNSUPP",
					     "HARVEST_NOT_YET", "HARVEST_BROKEN" };
	return (unsigned)verdict < sizeof(names) / sizeof(names[0]) ? names[verdict] : "?";
}

static unsigned play_cases(struct lab_dev *dev)
{
	unsigned right = 0, count = sizeof(cases) / sizeof(cases[0]);

	for (unsigned i = 0; i < count; i++) {
		const struct fault_case *c = &cases[i];
		memset(dev->used, 0, sizeof(*dev->used));
		dev->last_used = c->start;
		dev->used->idx = (uint16_t)(c->start + c->idx_step);
		dev->used->ring[c->start % LAB_QSIZE] = (struct virtq_used_elem){ c->id, c->len };
		dev->status = c->status;
		enum harvest got = harvest(dev, 0, SECTOR_BYTES + 1);
		uint16_t want_last_used = (uint16_t)(c->start + c->consumed);
		if (got != c->want)
			printf("lab: case %u, %s: WRONG (harvest said %s, want %s)\n", i + 1, c->what,
			       harvest_name(got), harvest_name(c->want));
		else if (dev->last_used != want_last_used)
			printf("lab: case %u, %s: WRONG (last_used %u, want %u)\n", i + 1, c->what,
			       dev->last_used, want_last_used);
		else
			printf("lab: case %u, %s: right\n", i + 1, c->what);
		right += got == c->want && dev->last_used == want_last_used;
	}
	memset(dev->used, 0, sizeof(*dev->used));   /* as the device must find it */
	dev->last_used = 0;
	printf("lab: checks: %u of %u cases right\n", right, count);
	return right == count ? 0 : 1;
}

#endif
