/* SPDX-License-Identifier: MIT */
/*
 * vblk — a virtio-blk driver for bare-metal aarch64 (QEMU `virt`).
 *
 * The synchronous API (the bios are vblk/bio.h). All sizes are in 512-byte sectors, the unit
 * virtio-blk uses for `sector` and `capacity` whatever the logical block
 * size (virtio 1.2 §5.2.4).
 *
 *   struct vblk_disk *disk;
 *   if (vblk_init_from_dt(dtb, dtb_max_bytes) > 0 && (disk = vblk_disk(0)))
 *           err = vblk_read(disk, 0, buf, 8);   // 8 sectors into buf
 *
 * Buffers must be VBLK_DMA_ALIGN-aligned (use VBLK_ALIGNED). Every function
 * returns 0 (or a count) on success, or a negative code from vblk/error.h.
 * A call refused for its arguments or the disk's state submits nothing and
 * changes nothing; one that fails on the device may have done part of its
 * work (vblk/error.h says what each error leaves behind).
 */
#ifndef VBLK_VBLK_H
#define VBLK_VBLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vblk/version.h"
#include "vblk/config.h"
#include "vblk/error.h"
#include "vblk/platform.h"
#include "vblk/bio.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VBLK_SECTOR_SIZE 512u
#define VBLK_ALIGNED __attribute__((aligned(VBLK_DMA_ALIGN)))


struct vblk_disk;

/* How the driver reaches a device (virtio 1.2 §4.1, §4.2). */
enum vblk_transport {
	VBLK_TRANSPORT_MMIO = 0,
	VBLK_TRANSPORT_PCI,
};

/* A PCI function: bus, device (slot) and function numbers. */
struct vblk_pci_address {
	uint8_t bus, dev, fn;
};

/* What a disk is, as the device reported it at init (or at the last
 * config-change). */
struct vblk_info {
	uint64_t capacity_sectors; /* 512-byte sectors */
	uint32_t block_size_bytes; /* logical block size (blk_size), >= 512 */
	uint32_t seg_max;          /* data segments per request as the device
				      gave it (0: none given; a device that
				      offers SEG_MAX with 0 is held to 1, as
				      Linux does: vblk_max_bio_segs is the
				      limit in force) */
	uint32_t size_max_bytes;   /* bytes per segment (0: no limit given) */
	bool read_only;            /* VIRTIO_BLK_F_RO negotiated */
	bool has_flush;            /* VIRTIO_BLK_F_FLUSH negotiated */
	/* DISCARD and WRITE_ZEROES (virtio 1.2 §5.2.4), as the device gave
	 * them (0: no limit given). vblk_discard and vblk_write_zeroes split
	 * a range to them; a bio must fit one request (vblk_max_range_sectors).
	 * Negotiated is not usable: limits that leave no whole aligned block
	 * (max_*_sectors below discard_sector_alignment or the logical block)
	 * make vblk_max_range_sectors 0, and the calls -VBLK_EUNSUPP. */
	bool has_discard;                  /* VIRTIO_BLK_F_DISCARD negotiated */
	uint32_t max_discard_sectors;      /* sectors per segment */
	uint32_t max_discard_seg;          /* segments per request */
	uint32_t discard_sector_alignment; /* a discard starts and ends on a
					      multiple of it (and of the
					      logical block) */
	bool has_write_zeroes;             /* VIRTIO_BLK_F_WRITE_ZEROES negotiated */
	uint32_t max_write_zeroes_sectors; /* sectors per segment */
	uint32_t max_write_zeroes_seg;     /* segments per request */
	bool write_zeroes_may_unmap;       /* VBLK_WZ_UNMAP may deallocate */
	uint64_t features;         /* negotiated feature bits */
	enum vblk_transport transport;
	uint32_t mmio_version;     /* virtio-mmio: 1 legacy, 2 modern; 0 on PCI */
	uint64_t mmio_base;        /* virtio-mmio: the register window; 0 on PCI */
	struct vblk_pci_address pci; /* virtio-pci: where the function is */
	uint32_t intid;            /* GIC interrupt ID from the DT, 0 if unknown */
	bool irq_edge;             /* the DT calls it edge-triggered (QEMU does;
				      its line stays high until acknowledged,
				      so level works as well) */
	uint16_t queue_size;       /* the request queue's size in descriptors,
				      as set up (a fixed size, not how many
				      are in use now) */
	bool ring_packed;          /* the packed ring (VIRTIO_F_RING_PACKED,
				      virtio 1.2 §2.8), else the split one */
};

/* Find every virtio-mmio node in the device tree, and every virtio-blk
 * function behind its PCI host (pci-host-ecam-generic: buses enumerated,
 * BARs nobody assigned placed in the host's windows), and initialise each
 * block device found: MMIO disks first, in the tree's order, then PCI
 * ones by bus, device and function. Returns the number of disks ready (>= 0) or a negative error
 * (-VBLK_EINVAL for a NULL dtb, -VBLK_EBADDT for a malformed one, and
 * -VBLK_ESTATE from a bio callback, vblk/bio.h; the disks attached
 * before are then kept). Devices that fail init are skipped and
 * remembered in the probe report (vblk_probe_report). */
int vblk_init_from_dt(const void *dtb, size_t dtb_max_bytes);

/* Initialise the virtio-mmio device at `mmio_base` (for firmware without a
 * device tree); `intid` is its interrupt (0 if unknown), taken as
 * level-triggered. Returns the new disk's index or a negative error, e.g.
 * -VBLK_EINVAL for address 0 or one off a 4-byte boundary, -VBLK_ESTATE if that device is a disk
 * already, -VBLK_ENODEV if no block device answers there, -VBLK_ENOMEM if
 * vblk_max_disks() disks hold memory already (the device is not touched). */
int vblk_attach(uint64_t mmio_base, uint32_t intid);

/* Static memory (vblk/config.h): the bytes one disk takes from the pool
 * (VBLK_POOL_BYTES) while it is attached, and the most disks attached at
 * once (what the pool holds, at most VBLK_MAX_DISKS). */
size_t vblk_disk_bytes(void);
unsigned vblk_max_disks(void);

/* Initialise the virtio-pci block device at bus:dev.fn behind the ECAM
 * window whose bus 0 configuration space is at `ecam_base` (for firmware
 * without a device tree). Every memory BAR it has must have been assigned
 * already (by the firmware), the ones vblk does not use (an MSI-X table)
 * too: turning on memory decoding makes the function answer at every
 * one of them, so, as Linux does, vblk enables no function with one left
 * unassigned. CPU addresses must equal PCI addresses, as on QEMU virt;
 * vblk turns on memory decoding and bus mastering, and turns off what
 * would keep the device from raising INTx (Command's Interrupt Disable,
 * MSI and MSI-X Enable, as firmware may leave them). `intid` is its
 * INTx interrupt (0 if unknown; polled mode needs none), taken as
 * level-triggered. Returns the new disk's index or a negative error:
 * -VBLK_ENODEV if no virtio-blk function answers there, -VBLK_EUNSUPP for
 * a legacy-only device (no virtio capabilities), -VBLK_ESTATE if a memory BAR
 * is unassigned or the function is a disk already, -VBLK_EBROKEN
 * for capabilities that do not fit their BARs, -VBLK_ENOMEM if
 * vblk_max_disks() disks hold memory already (the virtio device is not
 * touched, but the function is left decoding its BARs, as enabled for
 * the attach). */
int vblk_attach_pci(uint64_t ecam_base, uint8_t bus, uint8_t dev, uint8_t fn, uint32_t intid);

/* The memory a device may read and write: physical (bus) addresses, as
 * plat_virt_to_phys gives them, usually the platform's RAM. Once ranges
 * are given, a read, write or bio with a byte of a buffer outside them
 * all is refused with -VBLK_EFAULT and nothing is sent: QEMU takes
 * such an address as a broken driver (the disk stops, or on a packed ring
 * QEMU 7.2 hangs in the notification), and one in a device's registers
 * would have the disk's data written into them. Until then (or after
 * count 0) every address is taken. The vblk runtime gives the device
 * tree's /memory at boot; firmware with its own boot code should give its
 * RAM. The ranges are copied; bios accepted before are not looked at
 * again. Returns 0, or -VBLK_EINVAL (more than
 * VBLK_MAX_DMA_RANGES, NULL with count > 0, an empty or wrapping range:
 * the ranges in force are kept). */
#define VBLK_MAX_DMA_RANGES 8
struct vblk_dma_range {
	uint64_t base;
	uint64_t size_bytes;
};
int vblk_set_dma_ranges(const struct vblk_dma_range *ranges, unsigned count);

/* What the last probe saw in each virtio-mmio slot and at each virtio PCI
 * function, for diagnostics: one entry a place, however often it was
 * probed (vblk_attach again after a failure, say). vblk_init_from_dt
 * scans at most PCI_MAX_FUNCTIONS (64) PCI functions and follows bridges
 * PCI_MAX_BRIDGE_DEPTH (8) deep (both -D tunables of the library's
 * build): a virtio disk on a bus the scan reached but past its table is
 * listed with -VBLK_ENOMEM; one behind a bridge the scan did not follow
 * (past the table itself, or too deep) is not seen at all. The report
 * holds 32 virtio-mmio slots and PCI_MAX_FUNCTIONS functions; when it is
 * full, a disk takes the place of the last entry that is not one. */
#define VBLK_DEVICE_ID_BLOCK 2u   /* device_id of a block device (virtio 1.2 §5) */
struct vblk_probe_entry {
	enum vblk_transport transport;
	uint64_t mmio_base;  /* virtio-mmio */
	uint32_t version;    /* virtio-mmio: 0 if the magic value was wrong */
	uint32_t device_id;  /* virtio device ID (2 block); 0: empty slot */
	struct vblk_pci_address pci;        /* virtio-pci */
	uint16_t pci_vendor_id, pci_device_id;
	uint64_t pci_bar[6];  /* CPU address of each memory BAR; 0: none, or
				 one nobody assigned (no room in the windows) */
	int result;          /* 0 attached as a disk, or the error that stopped it */
};
unsigned vblk_probe_report(const struct vblk_probe_entry **entries);

/* Finish with every disk: wait for what is queued, flush each disk that
 * has a volatile write cache (VIRTIO_BLK_F_FLUSH, e.g. a qcow2 image on
 * QEMU: writes completed but not flushed can be lost when QEMU exits),
 * reset the device so it lets go of all buffers (virtio 1.2 §3.3.1) and
 * forget it. Call it before handing memory to another program (e.g. an
 * OS kernel) or before probing again; the vblk runtime calls it when
 * main() returns and in rt_exit(). From the moment it begins, every
 * disk refuses new bios (vblk_submit: -VBLK_ESTATE), so callbacks that
 * resubmit cannot keep its wait from ending. Returns 0, or the first
 * error: a wait or flush that failed (the data may not be durable) or
 * -VBLK_EHELD for a device that has still not confirmed its reset when
 * asked once more at the end, which outranks the others (that device may
 * still use memory the caller is about to hand on). Every disk is
 * forgotten either way; except from a bio callback, where it is refused
 * with -VBLK_ESTATE and does nothing (vblk/bio.h). */
int vblk_shutdown(void);

unsigned vblk_disk_count(void);
struct vblk_disk *vblk_disk(unsigned index);    /* NULL if out of range */
const struct vblk_info *vblk_disk_info(const struct vblk_disk *disk);
/* The capacity in sectors (0 if NULL). A resize is seen when the device
 * says its configuration changed: at once in interrupt mode, at the next
 * vblk_poll when polled (the synchronous calls do not look). A request
 * that reaches past a new, smaller end fails: -VBLK_ERANGE if it had not
 * left the queue yet, else the device's answer (QEMU's: -VBLK_EIO); bios
 * merged into one request fail together. */
uint64_t vblk_capacity(const struct vblk_disk *disk);

/* Synchronous I/O: returns once the data is moved or the request failed
 * (polling the used ring, or sleeping for the interrupt after
 * vblk_use_interrupts; the disk's timeout bounds both).
 * Requests larger than the device accepts are split transparently. Of
 * several errors, -VBLK_EHELD is the one returned: the device did not
 * confirm a reset while it held part of the buffer, so do not reuse it. */
int vblk_read(struct vblk_disk *disk, uint64_t sector, void *buf, uint32_t nsectors);
int vblk_write(struct vblk_disk *disk, uint64_t sector, const void *buf, uint32_t nsectors);
/* Make completed writes durable. A disk without VIRTIO_BLK_F_FLUSH
 * (has_flush false) writes through (virtio 1.2 §5.2.5.1): nothing to do,
 * 0 at once. A read-only disk: -VBLK_EROFS. */
int vblk_flush(struct vblk_disk *disk);

/* Free (DISCARD) or zero (WRITE_ZEROES) `nsectors` sectors from `sector`,
 * in as many requests as the device's limits need. The range must be
 * whole logical blocks and, for a discard, multiples of
 * discard_sector_alignment: -VBLK_EALIGN. Also -VBLK_EINVAL (0 sectors,
 * a flag other than VBLK_WZ_UNMAP), -VBLK_ERANGE (past the capacity or
 * wrapping), -VBLK_EROFS, -VBLK_EUNSUPP (the feature was not offered);
 * then nothing is sent. After a discard the range reads back as anything
 * (virtio 1.2 §5.2.6.2); after a write-zeroes, as zeros. A failure part
 * way leaves the range's state unknown. */
int vblk_discard(struct vblk_disk *disk, uint64_t sector, uint64_t nsectors);
int vblk_write_zeroes(struct vblk_disk *disk, uint64_t sector, uint64_t nsectors,
		      unsigned flags);
/* Device id string (virtio-blk GET_ID, e.g. QEMU's serial=): up to 20 bytes,
 * NUL-terminated into id[21]. */
int vblk_get_id(struct vblk_disk *disk, char id[21]);

/* Per-request timeout in microseconds (0 restores VBLK_TIMEOUT_US): the
 * disk is stopped (-VBLK_ETIMEDOUT) when the device completes nothing for
 * that long, or when it keeps completing newer requests and leaves an
 * older one undone that long after the first wait or vblk_poll that
 * found it passed over (they look every VBLK_STATUS_CHECK_US). Only waits
 * and vblk_poll stop a disk: an interrupt handler alone never does.
 * A wait gives up only after it has itself watched the device for a
 * grace (a quarter of the timeout, at most 100 ms) since it began, or
 * since a stall of the whole machine it saw (two of its clock reads far
 * apart): a host that stops the machine, vCPU and device alike (the QEMU
 * process stopped, frozen or starved), for longer than the timeout does
 * not turn a working disk into -VBLK_ETIMEDOUT. Stalls count up to the
 * timeout, so a wait still ends within about twice it. */
void vblk_set_timeout_us(struct vblk_disk *disk, uint32_t timeout_us);

/* After -VBLK_EBROKEN, -VBLK_ETIMEDOUT or -VBLK_EHELD: reset and
 * re-initialise the device. Bios still queued or in flight complete with
 * -VBLK_ECANCELED first (a write the device held may have been carried
 * out: vblk/error.h). The disk keeps its interrupt mode, timeout and
 * statistics. Returns 0 or a negative error: -VBLK_EHELD if the device
 * still does not confirm the reset (its memory stays set aside), an error
 * of the initialisation (e.g. -VBLK_EFEATURES: the disk then answers
 * -VBLK_EBROKEN, and vblk_reset may be tried again), -VBLK_ESTATE for a
 * disk that vblk_shutdown has forgotten, or when called from one of this
 * disk's bio callbacks (nothing is done then).
 *
 * One attach, probe (vblk_init_from_dt), reset or shutdown runs at a
 * time: each polls a device with IRQs open, and one called meanwhile
 * from an interrupt-driven bio callback is refused with -VBLK_ESTATE,
 * nothing done. */
int vblk_reset(struct vblk_disk *disk);

/* Names of the negotiated feature bits, space-separated, into buf.
 * Returns the string's length; a short buffer ends the list before the
 * first name that does not fit. */
size_t vblk_feature_names(uint64_t features, char *buf, size_t len);

/* Print the disk's queue and ring as they are now, through vblk_printf
 * (vblk/platform.h; the vblk runtime prints to the console): its
 * transport and negotiated features; the queue's pending requests and
 * waiting bios; the virtqueue in the spec's words (split: avail idx and
 * the driver's shadow, used idx and last_used, each chain in flight
 * descriptor by descriptor, the last used entries; packed: the wrap
 * counters, the buffer IDs in flight, the slots in the device's hands).
 * For students and for debugging (docs/trace.md); it changes nothing.
 * Returns 0, or -VBLK_EINVAL for NULL, -VBLK_ESTATE for a disk whose
 * ring was never laid out. */
int vblk_dump(const struct vblk_disk *disk);

#ifdef __cplusplus
}
#endif

#endif
