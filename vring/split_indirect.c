/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, indirect descriptors (virtio 1.2 §2.7.5.3): a chain
 * written into a table of the driver's memory, with one ring descriptor
 * pointing at it, so a short ring takes long chains. Apart from
 * vring/split.c, the ring itself, which a request's direct chain goes
 * through alone.
 */
#include "vring/virtqueue.h"
#include "vring/chain.h"

#include "vblk/error.h"
#include "plat/platform.h"
#include "vring/describe.h"

/* Say whether VIRTIO_F_INDIRECT_DESC was negotiated (after vq_init, which
 * starts without it): §2.7.5.3.1 allows the INDIRECT flag only then. */
void vq_use_indirect(struct virtqueue *vq, bool negotiated)
{
	vq->indirect = negotiated;
}

/* The longest chain vq_add_indirect() takes with a table of
 * `table_entries` descriptors: 0 without the feature, and never more than
 * the queue size (§2.7.5.3.1). */
unsigned vq_indirect_max(const struct virtqueue *vq, unsigned table_entries)
{
	return vring_indirect_max(vq->indirect, vq->num, table_entries);
}

/*
 * Put one chain of `nbufs` buffers in the ring as an indirect table
 * (§2.7.5.3): the buffers go into `table` (table_entries descriptors of
 * the caller's memory, 16-byte aligned like the ring's own table, §2.7),
 * and one ring descriptor points at it. Returns 0; -VQ_EAGAIN when no
 * ring descriptor is free (nothing is changed); -VBLK_ETOOBIG when the
 * chain is longer than the table or the queue; -VBLK_EUNSUPP when the
 * feature was not negotiated; -VBLK_EINVAL for a NULL or misaligned
 * table; the other errors as vq_add().
 */
int vq_add_indirect(struct virtqueue *vq, const struct vring_buf *bufs, unsigned nbufs,
		    struct vring_desc *table, unsigned table_entries, void *token)
{
	uint32_t writable_bytes;

	/* §2.7.5.3.1: no INDIRECT flag unless the feature was negotiated. */
	int err = vring_check_indirect(vq->broken, vq->num, vq->num_free, vq->indirect, bufs, nbufs,
				       table, table_entries, token, &writable_bytes);
	if (err)
		return err;

	/* §2.7.5.3: the table's own chain starts at entry 0 and follows
	 * `next`; its entries never carry INDIRECT (§2.7.5.3.1: one table
	 * per descriptor, no nesting). */
	for (unsigned i = 0; i < nbufs; i++) {
		bool more = i + 1 < nbufs;
		table[i] = (struct vring_desc){
			.addr = bufs[i].addr, .len = bufs[i].len_bytes,
			.flags = (uint16_t)((bufs[i].device_writes ? VRING_DESC_F_WRITE : 0) |
					    (more ? VRING_DESC_F_NEXT : 0)),
			.next = more ? (uint16_t)(i + 1) : 0,
		};
	}
	/* Driver-written memory the device reads, like the ring itself:
	 * clean it before it can be published (a no-op when coherent). */
	plat_dma_clean(table, sizeof(*table) * nbufs);

	if (vq_free_listed(vq) == 0)
		vq_unpark(vq, 1, VQ_FRAMES);
	uint16_t head = vq->free_head;
	/* §2.7.5.3.1: INDIRECT and NEXT never together; the device ignores
	 * WRITE here, so it stays clear. len is the table's size in bytes. */
	vq->desc[head] = (struct vring_desc){
		.addr = plat_virt_to_phys(table),
		.len = (uint32_t)(sizeof(*table) * nbufs),
		.flags = VRING_DESC_F_INDIRECT,
		.next = 0,
	};
	vq->free_head = vq->next[head];
	vq->num_free--;
	/* The device writes only through the table's WRITE entries, so
	 * used.len is checked against their bytes at harvest (§2.7.8.3). As
	 * in vq_add, the head goes in the next avail slot. */
	vq->chain[head] = (struct vq_chain){ token, 1, head, writable_bytes };
	vq->avail->ring[vq->avail_idx++ & (vq->num - 1)] = head;
	vq->in_flight++;
	VQ_TRACE_CHAIN(vq, head, table);
	return 0;
}
