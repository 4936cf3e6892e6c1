/* SPDX-License-Identifier: MIT */
/*
 * What the fake block device does with one request (virtio 1.2 §5.2.6).
 *
 * Like QEMU, the device sees a chain as two byte streams: everything
 * device-readable (16-byte header {le32 type, le32 reserved, le64 sector},
 * then the data of a write) and everything device-writable (the data of a
 * read, then the 1-byte status at the very end). Descriptor boundaries do
 * not matter, except that a legacy driver without ANY_LAYOUT must put the
 * header and the status in descriptors of their own (BLK-27).
 *
 * used.len is the size of the writable stream whatever the outcome, as on
 * QEMU: data + 1 for IN and GET_ID, 1 for OUT, FLUSH, DISCARD and
 * WRITE_ZEROES.
 */
#include "fake_virtio_internal.h"

#define BLK_HDR_BYTES        16u
#define BLK_STATUS_BYTES     1u
#define BLK_T_FLUSH_OUT_LEGACY 5u  /* legacy name for FLUSH (BLK-26) */

struct blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* ---- the two byte streams ------------------------------------------- */

/* Copy between `buf` and bytes [offset, offset + len) of the chain's
 * readable (writable = false) or writable stream. */
static void stream_copy(const struct fake_request *req, bool writable, uint64_t offset,
			void *buf, uint64_t len, bool into_chain)
{
	uint8_t *cursor = buf;

	for (unsigned i = 0; i < req->nsegs && len > 0; i++) {
		const struct fake_virtio_seg *seg = &req->segs[i];
		uint64_t chunk;

		if (((seg->flags & FAKE_DESC_F_WRITE) != 0) != writable)
			continue;
		if (offset >= seg->len_bytes) {
			offset -= seg->len_bytes;
			continue;
		}
		chunk = seg->len_bytes - offset;
		chunk = chunk < len ? chunk : len;
		if (into_chain)
			memcpy((uint8_t *)fake_mem(seg->addr) + offset, cursor, chunk);
		else
			memcpy(cursor, (uint8_t *)fake_mem(seg->addr) + offset, chunk);
		cursor += chunk;
		len -= chunk;
		offset = 0;
	}
}

static struct blk_header read_header(const struct fake_request *req)
{
	struct blk_header hdr;

	stream_copy(req, false, 0, &hdr, sizeof(hdr), false);
	return hdr;
}

void fake_blk_read_header_bytes(const struct fake_request *req, uint8_t header[16])
{
	memset(header, 0, BLK_HDR_BYTES);
	stream_copy(req, false, 0, header, BLK_HDR_BYTES, false);
}

static void write_status_byte(const struct fake_request *req, uint8_t status)
{
	stream_copy(req, true, req->writable_bytes - BLK_STATUS_BYTES, &status,
		    BLK_STATUS_BYTES, true);
}

/* ---- framing, checked when the device takes the chain --------------- */

static void check_legacy_framing(struct fake_virtio *fv, const struct fake_request *req)
{
	const struct fake_virtio_seg *first = &req->segs[0];
	const struct fake_virtio_seg *last = &req->segs[req->nsegs - 1];

	if ((first->flags & FAKE_DESC_F_WRITE) || first->len_bytes != BLK_HDR_BYTES)
		fake_violation(fv, "BLK-27", "head %u: legacy header not alone in a 16-byte descriptor",
			       req->head);
	if (!(last->flags & FAKE_DESC_F_WRITE) || last->len_bytes != BLK_STATUS_BYTES)
		fake_violation(fv, "BLK-27", "head %u: legacy status not alone in a 1-byte descriptor",
			       req->head);
}

/* QEMU refuses a chain without room for the header and the status
 * ("virtio-blk missing headers") and breaks the device. */
int fake_blk_validate(struct fake_virtio *fv, const struct fake_request *req)
{
	if (req->readable_bytes < BLK_HDR_BYTES || req->writable_bytes < BLK_STATUS_BYTES) {
		fake_device_error(fv, "BLK-19", "head %u: %u readable / %u writable bytes: "
				  "no room for header and status", req->head,
				  req->readable_bytes, req->writable_bytes);
		return -1;
	}
	if (fake_is_legacy(fv) && !fake_negotiated(fv, FAKE_F_ANY_LAYOUT))
		check_legacy_framing(fv, req);
	return 0;
}

/* ---- the disk ------------------------------------------------------- */

/* Sector `sector` of the disk, or NULL past the part kept in memory. */
static uint8_t *backed_sector(struct fake_virtio *fv, uint64_t sector)
{
	return sector < fv->disk_sectors ? fv->disk + sector * FAKE_SECTOR_BYTES : NULL;
}

/* Disk -> the writable stream, from its start. */
static void disk_to_chain(struct fake_virtio *fv, const struct fake_request *req,
			  uint64_t sector, uint64_t nsectors)
{
	static uint8_t zero_sector[FAKE_SECTOR_BYTES];

	for (uint64_t i = 0; i < nsectors; i++) {
		uint8_t *src = backed_sector(fv, sector + i);
		stream_copy(req, true, i * FAKE_SECTOR_BYTES, src ? src : zero_sector,
			    FAKE_SECTOR_BYTES, true);
	}
}

/* The readable stream after the header -> disk. */
static void chain_to_disk(struct fake_virtio *fv, const struct fake_request *req,
			  uint64_t sector, uint64_t nsectors)
{
	for (uint64_t i = 0; i < nsectors; i++) {
		uint8_t *dst = backed_sector(fv, sector + i);
		if (dst != NULL)
			stream_copy(req, false, BLK_HDR_BYTES + i * FAKE_SECTOR_BYTES, dst,
				    FAKE_SECTOR_BYTES, false);
	}
}

/* ---- the operations ------------------------------------------------- */

/* IN/OUT: whole sectors inside the disk (BLK-9, BLK-5); QEMU answers IOERR. */
static bool data_range_ok(struct fake_virtio *fv, const struct blk_header *hdr,
			  uint64_t data_bytes)
{
	uint64_t nsectors = data_bytes / FAKE_SECTOR_BYTES;
	uint64_t capacity = fv->opts.capacity_sectors;

	if (data_bytes % FAKE_SECTOR_BYTES != 0) {
		fake_violation(fv, "BLK-9", "%llu data bytes: not whole sectors",
			       (unsigned long long)data_bytes);
		return false;
	}
	if (hdr->sector > capacity || nsectors > capacity - hdr->sector) {
		fake_violation(fv, "BLK-5", "sectors %llu+%llu past capacity %llu",
			       (unsigned long long)hdr->sector, (unsigned long long)nsectors,
			       (unsigned long long)capacity);
		return false;
	}
	return true;
}

static uint8_t do_read(struct fake_virtio *fv, const struct fake_request *req,
		       const struct blk_header *hdr)
{
	uint64_t data_bytes = req->writable_bytes - BLK_STATUS_BYTES;

	fv->stats.reads++;
	if (req->readable_bytes > BLK_HDR_BYTES)
		fake_violation(fv, "BLK-19", "head %u: IN request with device-readable data",
			       req->head);
	if (!data_range_ok(fv, hdr, data_bytes))
		return FAKE_BLK_S_IOERR;
	disk_to_chain(fv, req, hdr->sector, data_bytes / FAKE_SECTOR_BYTES);
	return FAKE_BLK_S_OK;
}

static uint8_t do_write(struct fake_virtio *fv, const struct fake_request *req,
			const struct blk_header *hdr)
{
	uint64_t data_bytes = req->readable_bytes - BLK_HDR_BYTES;

	fv->stats.writes++;
	if (req->writable_bytes > BLK_STATUS_BYTES)
		fake_violation(fv, "BLK-19", "head %u: OUT request with device-writable data",
			       req->head);
	if (!data_range_ok(fv, hdr, data_bytes))
		return FAKE_BLK_S_IOERR;
	/* BLK-6: a driver refuses writes to a read-only disk itself. */
	if (fake_offered(fv, FAKE_F_BLK_RO)) {
		fake_violation(fv, "BLK-6", "write to a read-only disk");
		return FAKE_BLK_S_IOERR;
	}
	chain_to_disk(fv, req, hdr->sector, data_bytes / FAKE_SECTOR_BYTES);
	return FAKE_BLK_S_OK;
}

/* The RAM disk has no cache: a flush only checks its framing. */
static uint8_t do_flush(struct fake_virtio *fv, const struct fake_request *req,
			const struct blk_header *hdr)
{
	fv->stats.flushes++;
	if (hdr->sector != 0)     /* BLK-7 */
		fake_violation(fv, "BLK-7", "FLUSH with sector %llu", (unsigned long long)hdr->sector);
	if (req->readable_bytes > BLK_HDR_BYTES || req->writable_bytes > BLK_STATUS_BYTES)
		fake_violation(fv, "BLK-8", "FLUSH with a data buffer");
	return FAKE_BLK_S_OK;
}

/* GET_ID: the serial, zero-padded to 20 bytes, not NUL-terminated when it
 * fills them (virtio 1.2 §5.2.6, BLK-11). */
static uint8_t do_get_id(struct fake_virtio *fv, const struct fake_request *req)
{
	uint8_t id[FAKE_BLK_ID_BYTES] = { 0 };
	uint64_t data_bytes = req->writable_bytes - BLK_STATUS_BYTES;

	fv->stats.get_ids++;
	if (data_bytes != FAKE_BLK_ID_BYTES)
		fake_violation(fv, "BLK-11", "GET_ID buffer of %llu bytes, not 20",
			       (unsigned long long)data_bytes);
	for (unsigned i = 0; i < FAKE_BLK_ID_BYTES && fv->opts.serial[i] != '\0'; i++)
		id[i] = (uint8_t)fv->opts.serial[i];
	stream_copy(req, true, 0, id, data_bytes < sizeof(id) ? data_bytes : sizeof(id), true);
	return FAKE_BLK_S_OK;
}

/* ---- DISCARD and WRITE_ZEROES (§5.2.6) ------------------------------ */

struct blk_range_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

#define BLK_RANGE_SEG_BYTES 16u

/* One segment against the rules of its command; false after recording
 * the first it breaks. */
static bool range_seg_ok(struct fake_virtio *fv, bool discard, const struct blk_range_seg *seg)
{
	const struct fake_virtio_opts *o = &fv->opts;
	uint32_t max = discard ? o->max_discard_sectors : o->max_write_zeroes_sectors;
	uint32_t block = o->blk_size_bytes / FAKE_SECTOR_BYTES;
	uint32_t align = discard && o->discard_sector_alignment ? o->discard_sector_alignment : 1;
	uint64_t capacity = o->capacity_sectors;

	if (!fake_offered(fv, FAKE_F_BLK_BLK_SIZE) || block == 0)
		block = 1;
	if (discard && (seg->flags & FAKE_BLK_WZ_F_UNMAP)) {
		fake_violation(fv, "BLK-16", "DISCARD segment with the unmap flag");
		return false;
	}
	if (seg->flags & ~FAKE_BLK_WZ_F_UNMAP) {
		fake_violation(fv, "BLK-DISCARD-FLAGS", "segment flags %#x: reserved bits set",
			       seg->flags);
		return false;
	}
	if (seg->num_sectors == 0 || (max != 0 && seg->num_sectors > max)) {
		fake_violation(fv, "BLK-DISCARD-SIZE", "segment of %u sectors (max %u)",
			       seg->num_sectors, max);
		return false;
	}
	if (seg->sector % align || seg->num_sectors % align || seg->sector % block ||
	    seg->num_sectors % block) {
		fake_violation(fv, "BLK-DISCARD-ALIGN", "segment %llu+%u off alignment %u / block %u",
			       (unsigned long long)seg->sector, seg->num_sectors, align, block);
		return false;
	}
	if (seg->sector > capacity || seg->num_sectors > capacity - seg->sector) {
		fake_violation(fv, "BLK-DISCARD-RANGE", "segment %llu+%u past capacity %llu",
			       (unsigned long long)seg->sector, seg->num_sectors,
			       (unsigned long long)capacity);
		return false;
	}
	return true;
}

/* The segment array's framing: whole segments (BLK-10), at least one,
 * no more than the device allows (BLK-12, BLK-14), nothing device-writable
 * but the status, sector 0 in the header. */
static bool range_framing_ok(struct fake_virtio *fv, const struct fake_request *req,
			     const struct blk_header *hdr, bool discard, uint64_t nsegs)
{
	uint64_t data_bytes = req->readable_bytes - BLK_HDR_BYTES;
	uint32_t max_seg = discard ? fv->opts.max_discard_seg : fv->opts.max_write_zeroes_seg;

	if (!fake_negotiated(fv, discard ? FAKE_F_BLK_DISCARD : FAKE_F_BLK_WRITE_ZEROES)) {
		fake_violation(fv, "BLK-DISCARD-FEATURE", "%s without its feature bit",
			       discard ? "DISCARD" : "WRITE_ZEROES");
		return false;
	}
	if (data_bytes == 0 || data_bytes % BLK_RANGE_SEG_BYTES != 0) {
		fake_violation(fv, "BLK-10", "%llu bytes of segments: not whole 16-byte segments",
			       (unsigned long long)data_bytes);
		return false;
	}
	if (max_seg != 0 && nsegs > max_seg) {
		fake_violation(fv, discard ? "BLK-12" : "BLK-14", "%llu segments, max %u",
			       (unsigned long long)nsegs, max_seg);
		return false;
	}
	if (req->writable_bytes > BLK_STATUS_BYTES) {
		fake_violation(fv, "BLK-19", "head %u: %s with device-writable data", req->head,
			       discard ? "DISCARD" : "WRITE_ZEROES");
		return false;
	}
	if (hdr->sector != 0) {
		fake_violation(fv, "BLK-DISCARD-SECTOR", "header sector %llu, not 0",
			       (unsigned long long)hdr->sector);
		return false;
	}
	return true;
}

static struct blk_range_seg read_range_seg(const struct fake_request *req, uint64_t index)
{
	struct blk_range_seg seg;

	stream_copy(req, false, BLK_HDR_BYTES + index * BLK_RANGE_SEG_BYTES, &seg, sizeof(seg),
		    false);
	return seg;
}

/* Every segment is checked before any is carried out: a request that
 * breaks a rule changes nothing. A discard zeroes its range too (what a
 * discarded sector reads back as is unspecified, BLK-17). */
static uint8_t do_range(struct fake_virtio *fv, const struct fake_request *req,
			const struct blk_header *hdr, bool discard)
{
	uint64_t nsegs = (req->readable_bytes - BLK_HDR_BYTES) / BLK_RANGE_SEG_BYTES;

	if (discard)
		fv->stats.discards++;
	else
		fv->stats.write_zeroes++;
	if (!range_framing_ok(fv, req, hdr, discard, nsegs))
		return FAKE_BLK_S_IOERR;
	if (fake_offered(fv, FAKE_F_BLK_RO)) {
		fake_violation(fv, "BLK-6", "%s to a read-only disk", discard ? "DISCARD" : "WRITE_ZEROES");
		return FAKE_BLK_S_IOERR;
	}
	for (uint64_t i = 0; i < nsegs; i++) {
		struct blk_range_seg seg = read_range_seg(req, i);
		if (!range_seg_ok(fv, discard, &seg))
			return FAKE_BLK_S_IOERR;
	}
	for (uint64_t i = 0; i < nsegs; i++) {
		struct blk_range_seg seg = read_range_seg(req, i);
		fv->stats.range_segs++;
		for (uint64_t s = 0; s < seg.num_sectors; s++) {
			uint8_t *dst = backed_sector(fv, seg.sector + s);
			if (dst != NULL)
				memset(dst, 0, FAKE_SECTOR_BYTES);
		}
		if (discard || ((seg.flags & FAKE_BLK_WZ_F_UNMAP) && fv->opts.write_zeroes_may_unmap))
			fv->stats.deallocated_sectors += seg.num_sectors;
	}
	return FAKE_BLK_S_OK;
}

/* ---- injected failures ---------------------------------------------- */

static uint64_t request_sectors(const struct fake_request *req, const struct blk_header *hdr)
{
	if (hdr->type == FAKE_BLK_T_IN)
		return (req->writable_bytes - BLK_STATUS_BYTES) / FAKE_SECTOR_BYTES;
	if (hdr->type == FAKE_BLK_T_OUT)
		return (req->readable_bytes - BLK_HDR_BYTES) / FAKE_SECTOR_BYTES;
	return 0;  /* like blkdebug, a flush matches no sector */
}

/* The first sector a request touches: a DISCARD's or WRITE_ZEROES's first
 * segment's, so fail_sector knobs can match them. */
static void request_span(const struct fake_request *req, const struct blk_header *hdr,
			 uint64_t *sector, uint64_t *nsectors)
{
	*sector = hdr->sector;
	*nsectors = request_sectors(req, hdr);
	if ((hdr->type == FAKE_BLK_T_DISCARD || hdr->type == FAKE_BLK_T_WRITE_ZEROES) &&
	    req->readable_bytes >= BLK_HDR_BYTES + BLK_RANGE_SEG_BYTES) {
		struct blk_range_seg seg = read_range_seg(req, 0);
		*sector = seg.sector;
		*nsectors = seg.num_sectors;
	}
}

static bool fault_matches(struct fake_status_fault *fault, uint64_t sector, uint64_t nsectors)
{
	if (!fault->knob.armed)
		return false;
	if (fault->by_sector)
		return fault->sector >= sector && fault->sector - sector < nsectors;
	if (fault->countdown > 0) {
		fault->countdown--;
		return false;
	}
	return true;
}

/* The status a fail_request/fail_sector knob imposes, or -1. Every armed
 * request-count knob sees every request, so their counts stay true. */
static int injected_status(struct fake_virtio *fv, const struct fake_request *req,
			   const struct blk_header *hdr)
{
	uint64_t sector, nsectors;
	int status = -1;

	request_span(req, hdr, &sector, &nsectors);
	for (unsigned i = 0; i < FAKE_MAX_STATUS_FAULTS; i++) {
		struct fake_status_fault *fault = &fv->status_faults[i];
		if (fault_matches(fault, sector, nsectors) && status < 0) {
			fake_knob_fire(&fault->knob);
			status = fault->status;
		}
	}
	return status;
}

/* ---- one request ---------------------------------------------------- */

static uint8_t dispatch(struct fake_virtio *fv, const struct fake_request *req,
			const struct blk_header *hdr)
{
	switch (hdr->type) {
	case FAKE_BLK_T_IN:     return do_read(fv, req, hdr);
	case FAKE_BLK_T_OUT:    return do_write(fv, req, hdr);
	case FAKE_BLK_T_FLUSH:  return do_flush(fv, req, hdr);
	case FAKE_BLK_T_GET_ID: return do_get_id(fv, req);
	case FAKE_BLK_T_DISCARD: return do_range(fv, req, hdr, true);
	case FAKE_BLK_T_WRITE_ZEROES: return do_range(fv, req, hdr, false);
	}
	if (hdr->type == BLK_T_FLUSH_OUT_LEGACY && fake_is_legacy(fv))
		return do_flush(fv, req, hdr);
	fv->stats.unsupported++;
	return FAKE_BLK_S_UNSUPP;
}

uint32_t fake_blk_execute(struct fake_virtio *fv, const struct fake_request *req)
{
	struct blk_header hdr = read_header(req);
	int injected = injected_status(fv, req, &hdr);
	uint8_t status;

	fv->stats.requests++;
	if (injected >= 0) {
		fv->stats.failed_by_knob++;
		status = (uint8_t)injected;
	} else {
		status = dispatch(fv, req, &hdr);
	}
	write_status_byte(req, status);
	return req->writable_bytes;
}
