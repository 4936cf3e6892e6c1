/* SPDX-License-Identifier: MIT */
/*
 * The ring in words (vring/describe.h): what vblk_dump() and the trace
 * mode print. The words are the spec's (virtio 1.2 §2.7 split, §2.8
 * packed) and docs/design.md's: descriptor, chain, head, avail idx, used
 * idx, buffer ID, wrap counter.
 */
#include "vring/describe.h"

#include "vblk/platform.h"

/* Reads of memory the device may be writing right now: one access each,
 * printed as found. */
static uint16_t peek16(const uint16_t *field)
{
	return *(const volatile uint16_t *)field;
}

static uint32_t peek32(const uint32_t *field)
{
	return *(const volatile uint32_t *)field;
}

/* "NEXT|WRITE" and so on; "-" for none. */
static const char *desc_flag_names(uint16_t flags)
{
	static const char *const names[8] = {
		"-", "NEXT", "WRITE", "NEXT|WRITE", "INDIRECT", "INDIRECT|NEXT",
		"INDIRECT|WRITE", "INDIRECT|NEXT|WRITE",
	};
	return names[flags & 7u];
}

/* R: the device reads the buffer, W: it writes it (§2.7.5 WRITE). */
static char direction(uint16_t flags)
{
	return flags & VRING_DESC_F_WRITE ? 'W' : 'R';
}

/* An indirect table's entries, continuing the current line. */
static void print_split_table(const struct vring_desc *table, uint32_t len_bytes)
{
	uint32_t entries = len_bytes / (uint32_t)sizeof(*table);

	for (uint32_t i = 0; i < entries && i < VBLK_INDIRECT_MAX; i++)
		vblk_printf(" -> t%u %uB %c", (unsigned)i, (unsigned)table[i].len,
			    direction(table[i].flags));
}

void vq_describe_chain(const char *prefix, const struct virtqueue *vq, uint16_t head,
		       const struct vring_desc *table)
{
	uint16_t index = head, ndescs = vq->chain[head].ndescs;

	vblk_printf("%shead %u:", prefix, (unsigned)head);
	for (uint16_t i = 0; i < ndescs && index < vq->num; i++) {
		const struct vring_desc *desc = &vq->desc[index];
		if (desc->flags & VRING_DESC_F_INDIRECT) {
			vblk_printf("%s #%u INDIRECT %uB", i ? " ->" : "", (unsigned)index,
				    (unsigned)desc->len);
			if (table != NULL)
				print_split_table(table, desc->len);
		} else {
			vblk_printf("%s #%u %uB %c", i ? " ->" : "", (unsigned)index,
				    (unsigned)desc->len, direction(desc->flags));
		}
		index = vq->next[index];   /* the driver's own link */
	}
	vblk_printf("\n");
}

/* The AVAIL and USED bits of a packed descriptor's flags (§2.8.1). */
static unsigned bit_avail(uint16_t flags)
{
	return flags & VRING_PACKED_DESC_F_AVAIL ? 1u : 0u;
}

static unsigned bit_used(uint16_t flags)
{
	return flags & VRING_PACKED_DESC_F_USED ? 1u : 0u;
}

/* A slot's flags as the driver means them: the head of a batch not yet
 * published has its flags held back in the ring's private copy. */
static uint16_t packed_flags(const struct vq_packed *vq, uint16_t slot)
{
	if (vq->batch_head_flags != 0 && slot == vq->batch_head)
		return vq->batch_head_flags;
	return peek16(&vq->desc[slot].flags);
}

void vqp_describe_chain(const char *prefix, const struct vq_packed *vq, uint16_t slot,
			uint16_t nslots, const struct vring_packed_desc *table)
{
	uint16_t flags = packed_flags(vq, slot);

	vblk_printf("%sid %u at slot %u (avail wrap %u):", prefix, (unsigned)vq->desc[slot].id,
		    (unsigned)slot, bit_avail(flags));
	for (uint16_t i = 0; i < nslots && slot < vq->num; i++) {
		const struct vring_packed_desc *desc = &vq->desc[slot];
		flags = packed_flags(vq, slot);
		if (flags & VRING_DESC_F_INDIRECT) {
			vblk_printf("%s #%u INDIRECT %uB", i ? " ->" : "", (unsigned)slot,
				    (unsigned)desc->len);
			for (uint32_t t = 0; table != NULL && t < desc->len / sizeof(*table) &&
					     t < VBLK_INDIRECT_MAX; t++)
				vblk_printf(" -> t%u %uB %c", (unsigned)t, (unsigned)table[t].len,
					    direction(table[t].flags));
		} else {
			vblk_printf("%s #%u %uB %c", i ? " ->" : "", (unsigned)slot,
				    (unsigned)desc->len, direction(flags));
		}
		slot = (uint16_t)(slot + 1 == vq->num ? 0 : slot + 1);
	}
	vblk_printf("\n");
}

/* ---- the whole ring ------------------------------------------------------ */

static void describe_split_desc(const char *prefix, const struct virtqueue *vq, uint16_t index)
{
	const struct vring_desc *desc = &vq->desc[index];

	vblk_printf("%s    desc %u: addr 0x%llx len %u flags %s", prefix, (unsigned)index,
		    (unsigned long long)desc->addr, (unsigned)desc->len,
		    desc_flag_names(desc->flags));
	if (desc->flags & VRING_DESC_F_NEXT)
		vblk_printf(" next %u", (unsigned)desc->next);
	vblk_printf("\n");
}

static void describe_table(const char *prefix, const union vring_indirect_desc *table,
			   uint32_t len_bytes, bool packed)
{
	uint32_t entries = len_bytes / (uint32_t)sizeof(*table);

	for (uint32_t i = 0; i < entries && i < VBLK_INDIRECT_MAX; i++) {
		uint64_t addr = packed ? table[i].packed.addr : table[i].split.addr;
		uint32_t len = packed ? table[i].packed.len : table[i].split.len;
		uint16_t flags = packed ? table[i].packed.flags : table[i].split.flags;
		vblk_printf("%s      table %u: addr 0x%llx len %u flags %s", prefix, (unsigned)i,
			    (unsigned long long)addr, (unsigned)len, desc_flag_names(flags));
		if (!packed && (flags & VRING_DESC_F_NEXT))
			vblk_printf(" next %u", (unsigned)table[i].split.next);
		vblk_printf("\n");
	}
}

void vq_describe(const char *prefix, const struct virtqueue *vq, unsigned last_used,
		 vring_table_of_fn *table_of)
{
	uint16_t used_idx = peek16(&vq->used->idx);

	vblk_printf("%ssplit ring: %u descriptors, %u free (free head %u), %u chain(s) in "
		    "flight%s%s%s\n", prefix, (unsigned)vq->num, (unsigned)vq->num_free,
		    (unsigned)vq->free_head, (unsigned)vq->in_flight,
		    vq->event_idx ? ", EVENT_IDX" : "", vq->indirect ? ", INDIRECT_DESC" : "",
		    vq->broken ? ", BROKEN" : "");
	if (vq->broken)
		vblk_printf("%s  broken: %s\n", prefix, vq->broken_reason);
	if (vq->num_parked != 0)   /* vring/split_frame.c */
		vblk_printf("%s  %u of the free descriptors parked in request slots' frames\n",
			    prefix, (unsigned)vq->num_parked);
	vblk_printf("%s  avail idx %u (driver's shadow %u), flags 0x%x, used_event %u\n", prefix,
		    (unsigned)peek16(&vq->avail->idx), (unsigned)vq->avail_idx,
		    (unsigned)peek16(&vq->avail->flags), (unsigned)peek16(vq->used_event));
	vblk_printf("%s  used idx %u (last_used %u, %u to harvest), flags 0x%x, avail_event %u\n",
		    prefix, (unsigned)used_idx, (unsigned)vq->last_used_idx,
		    (unsigned)(uint16_t)(used_idx - vq->last_used_idx),
		    (unsigned)peek16(&vq->used->flags), (unsigned)peek16(vq->avail_event));
	for (uint16_t head = 0; head < vq->num; head++) {
		const struct vq_chain *chain = &vq->chain[head];
		if (chain->token == NULL)
			continue;
		vblk_printf("%s  in flight: head %u, %u descriptor(s), device may write %u bytes\n",
			    prefix, (unsigned)head, (unsigned)chain->ndescs,
			    (unsigned)chain->writable_bytes);
		uint16_t index = head;
		for (uint16_t i = 0; i < chain->ndescs && index < vq->num; i++) {
			describe_split_desc(prefix, vq, index);
			const union vring_indirect_desc *table = table_of ? table_of(chain->token) : 0;
			if ((vq->desc[index].flags & VRING_DESC_F_INDIRECT) && table != NULL)
				describe_table(prefix, table, vq->desc[index].len, false);
			index = vq->next[index];
		}
	}
	/* The entries before last_used, newest first: what was harvested. */
	for (unsigned i = 1; i <= last_used && i <= vq->num; i++) {
		uint16_t pos = (uint16_t)(vq->last_used_idx - i);
		const struct vring_used_elem *elem = &vq->used->ring[pos & (vq->num - 1)];
		vblk_printf("%s  used[%u] (idx %u): id %u len %u\n", prefix,
			    (unsigned)(pos & (vq->num - 1)), (unsigned)pos,
			    (unsigned)peek32(&elem->id), (unsigned)peek32(&elem->len));
	}
}

static const char *event_flag_name(uint16_t flags)
{
	return flags == VRING_PACKED_EVENT_ENABLE    ? "ENABLE"
	       : flags == VRING_PACKED_EVENT_DISABLE ? "DISABLE"
	       : flags == VRING_PACKED_EVENT_DESC    ? "DESC"
						     : "?";
}

static void describe_packed_slot(const char *prefix, const struct vq_packed *vq, uint16_t slot)
{
	const struct vring_packed_desc *desc = &vq->desc[slot];
	uint16_t flags = packed_flags(vq, slot);

	vblk_printf("%s    slot %u: id %u addr 0x%llx len %u flags %s AVAIL=%u USED=%u%s\n", prefix,
		    (unsigned)slot, (unsigned)peek16(&desc->id), (unsigned long long)desc->addr,
		    (unsigned)peek32(&desc->len), desc_flag_names(flags), bit_avail(flags),
		    bit_used(flags),
		    vq->batch_head_flags != 0 && slot == vq->batch_head ? " (held until publish)" : "");
}

void vqp_describe(const char *prefix, const struct vq_packed *vq, unsigned last_used,
		  vring_table_of_fn *table_of)
{
	uint16_t busy = (uint16_t)(vq->num - vq->num_free);

	vblk_printf("%spacked ring: %u slots, %u free, %u chain(s) in flight%s%s%s\n", prefix,
		    (unsigned)vq->num, (unsigned)vq->num_free, (unsigned)vq->in_flight,
		    vq->event_idx ? ", EVENT_IDX" : "", vq->indirect ? ", INDIRECT_DESC" : "",
		    vq->broken ? ", BROKEN" : "");
	if (vq->broken)
		vblk_printf("%s  broken: %s\n", prefix, vq->broken_reason);
	vblk_printf("%s  driver: next_avail %u, avail wrap counter %u, %u slot(s) added and not "
		    "yet published\n", prefix, (unsigned)vq->next_avail, (unsigned)vq->avail_wrap,
		    (unsigned)vqp_batch_slots(vq));
	vblk_printf("%s  device: last_used %u, used wrap counter %u\n", prefix,
		    (unsigned)vq->last_used, (unsigned)vq->used_wrap);
	vblk_printf("%s  driver event: %s off_wrap 0x%x; device event: %s off_wrap 0x%x\n", prefix,
		    event_flag_name(peek16(&vq->driver->flags)), (unsigned)peek16(&vq->driver->off_wrap),
		    event_flag_name(peek16(&vq->device->flags)),
		    (unsigned)peek16(&vq->device->off_wrap));
	for (uint16_t id = 0; id < vq->num; id++) {
		const struct vqp_chain *chain = &vq->chain[id];
		if (chain->token != NULL)
			vblk_printf("%s  in flight: buffer id %u, %u slot(s), device may write %u bytes\n",
				    prefix, (unsigned)id, (unsigned)chain->nslots,
				    (unsigned)chain->writable_bytes);
	}
	/* The slots in the device's hands, from last_used on in ring order. */
	if (busy != 0)
		vblk_printf("%s  slots from last_used (%u in the device's hands):\n", prefix,
			    (unsigned)busy);
	for (uint16_t i = 0, slot = vq->last_used; i < busy; i++) {
		describe_packed_slot(prefix, vq, slot);
		uint16_t flags = packed_flags(vq, slot);
		uint16_t id = peek16(&vq->desc[slot].id);
		if ((flags & VRING_DESC_F_INDIRECT) && table_of != NULL && id < vq->num &&
		    vq->chain[id].token != NULL) {
			const union vring_indirect_desc *table = table_of(vq->chain[id].token);
			if (table != NULL)
				describe_table(prefix, table, vq->desc[slot].len, true);
		}
		slot = (uint16_t)(slot + 1 == vq->num ? 0 : slot + 1);
	}
	/* Going back from last_used, the used descriptors harvested last: a
	 * chain's used descriptor sits in its first slot, so they are as far
	 * apart as their chains were long. */
	unsigned shown = 0;
	for (unsigned i = 1; shown < last_used && i <= vq->num; i++) {
		uint16_t slot = (uint16_t)((vq->last_used + vq->num - i) % vq->num);
		uint16_t flags = peek16(&vq->desc[slot].flags);
		if (bit_avail(flags) != bit_used(flags))
			continue;
		vblk_printf("%s  used slot %u: id %u len %u (wrap %u)\n", prefix, (unsigned)slot,
			    (unsigned)peek16(&vq->desc[slot].id),
			    (unsigned)peek32(&vq->desc[slot].len), bit_used(flags));
		shown++;
	}
}

void vq_describe_notify(const char *prefix, const struct virtqueue *vq, bool sent)
{
	const char *verdict = sent ? "sent" : "suppressed";

	if (vq->event_idx) {
		vblk_printf("%s%s (EVENT_IDX: avail_event %u)\n", prefix, verdict,
			    (unsigned)peek16(vq->avail_event));
	} else {
		uint16_t flags = peek16(&vq->used->flags);
		vblk_printf("%s%s (used flags 0x%x%s)\n", prefix, verdict, (unsigned)flags,
			    flags & VRING_USED_F_NO_NOTIFY ? ": NO_NOTIFY" : "");
	}
}

void vqp_describe_notify(const char *prefix, const struct vq_packed *vq, bool sent)
{
	vblk_printf("%s%s (device event %s off_wrap 0x%x)\n", prefix, sent ? "sent" : "suppressed",
		    event_flag_name(peek16(&vq->device->flags)),
		    (unsigned)peek16(&vq->device->off_wrap));
}
