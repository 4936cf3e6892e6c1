/* SPDX-License-Identifier: MIT */
/*
 * A fake virtio-mmio block device for the host unit tests.
 *
 * STATUS: usable. Register model for virtio-mmio version 2 (modern) and
 * version 1 (legacy), split and packed virtqueues with direct and indirect
 * descriptors and EVENT_IDX, block requests IN/OUT/FLUSH/GET_ID/DISCARD/WRITE_ZEROES
 * on a RAM disk, rule
 * checking, completion-timing and misbehaviour knobs, inspection.
 *
 * The driver under test runs unchanged: include/vblk/platform.h routes its
 * register accesses through host_platform.c to the fake that owns the
 * address, and its rings and buffers are plain host memory (the 64-bit
 * "physical" addresses it writes are host pointers).
 *
 * The fake is meant to be read as a model of what a device does:
 *   fake_virtio_regs.c  the virtio-mmio register file (virtio 1.2 §4.2.2,
 *                       legacy §4.2.4), device status, features, queue setup
 *   fake_virtio_cfg.c   the virtio-blk configuration space (§5.2.4)
 *   fake_virtio_ring.c  the device side of a split virtqueue (§2.7): take
 *                       chains from the avail ring, publish used entries,
 *                       decide when to interrupt
 *   fake_virtio_packed.c  the device side of a packed virtqueue (§2.8),
 *                       used instead when the driver accepts
 *                       VIRTIO_F_RING_PACKED (offered when opts.features
 *                       has FAKE_F_RING_PACKED, QEMU's packed=on): chains
 *                       of consecutive slots or one indirect table, used
 *                       descriptors at the device's own position, event
 *                       suppression both ways; rules by their PK- IDs
 *                       (fake_virtio_packed_chain.c reads one chain)
 *   fake_virtio_blk.c   what a block device does with one request (§5.2.6)
 *   fake_virtio.c       creation, knobs, rule violations, inspection
 *   fake_virtio_pci.c   the same device as a virtio-pci function behind the
 *                       fake ECAM (fake_virtio_pci.h: IDs, capabilities,
 *                       BARs, Bus Master Enable)
 *   fake_virtio_pci_common.c  its BAR4: common configuration, ISR, device
 *                       configuration, notifications (virtio 1.2 §4.1.4)
 *
 * Rules: a driver mistake the spec forbids is RECORDED as a violation named
 * by its ID in /work/shared/VIRTIO-CHECKLIST.md ("INIT-6: QueueNotify
 * before DRIVER_OK"); tests end with fake_virtio_assert_clean(). A few
 * device-side checks the checklist has no row for are named FAKE-HEAD
 * (avail entry >= queue size), FAKE-NEXT (next index outside its table),
 * FAKE-INDIRECT (bad indirect table), FAKE-ZERO-LEN and FAKE-NULL-ADDR
 * (buffer of 0 bytes / at address 0), FAKE-CHAIN-BYTES (a packed chain
 * of 2^32 bytes or more). Mistakes QEMU treats as fatal (those
 * FAKE-* ones, SPL-5/7/10/12/14, a chain without room for header and
 * status (BLK-19), a head made available twice (CLN-1)) also break the
 * device the way QEMU's virtio_error() does: a modern device sets
 * DEVICE_NEEDS_RESET and raises a config interrupt (InterruptStatus 0x3),
 * and no device touches its rings again until it is reset.
 *
 * DISCARD and WRITE_ZEROES zero their ranges (a discard too, to keep it
 * simple) and check the segment array against §5.2.6 and the limits in
 * the options: BLK-10 (whole 16-byte segments), BLK-12/BLK-14 (no more
 * than max_*_seg), BLK-16 (no unmap on a discard), and BLK-DISCARD-FLAGS
 * (reserved bits), -SIZE (num_sectors 0 or over max_*_sectors), -ALIGN
 * (discard_sector_alignment, logical block), -RANGE (past capacity),
 * -SECTOR (header sector not 0), -FEATURE (not negotiated); a broken rule
 * fails the request with IOERR. fail_sector knobs match the first segment.
 *
 * Not modelled: more than one queue (MQ), IN_ORDER, NOTIFICATION_DATA, NOTIFY_ON_EMPTY, the MMIO-11 read-back
 * of QueueReady after retiring a queue.
 *
 * Typical test:
 *     struct fake_virtio *fv = fake_virtio_create(NULL);   // modern, 1 MiB
 *     ... drive the driver at fake_virtio_base(fv) ...
 *     fake_virtio_assert_clean(fv);
 *     host_platform_reset();                              // in teardown
 */
#ifndef VBLK_TESTS_FAKE_VIRTIO_H
#define VBLK_TESTS_FAKE_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "host_platform.h"

/* Where fake_virtio_create() puts devices: QEMU virt's transport slots. */
#define FAKE_VIRTIO_BASE0        0x0a000000u
#define FAKE_VIRTIO_WINDOW_BYTES 0x200u
#define FAKE_VIRTIO_SLOTS        32u

/* Feature bits the fake knows (virtio 1.2 §5.2.3, §6). Own names so a test
 * can include the driver's headers too. */
#define FAKE_F_BLK_SIZE_MAX      1
#define FAKE_F_BLK_SEG_MAX       2
#define FAKE_F_BLK_GEOMETRY      4
#define FAKE_F_BLK_RO            5
#define FAKE_F_BLK_BLK_SIZE      6
#define FAKE_F_BLK_SCSI          7
#define FAKE_F_BLK_FLUSH         9
#define FAKE_F_BLK_TOPOLOGY      10
#define FAKE_F_BLK_CONFIG_WCE    11
#define FAKE_F_BLK_MQ            12
#define FAKE_F_BLK_DISCARD       13
#define FAKE_F_BLK_WRITE_ZEROES  14
#define FAKE_F_BLK_SECURE_ERASE  16
#define FAKE_F_BLK_ZONED         17
#define FAKE_F_NOTIFY_ON_EMPTY   24
#define FAKE_F_ANY_LAYOUT        27
#define FAKE_F_INDIRECT_DESC     28
#define FAKE_F_EVENT_IDX         29
#define FAKE_F_VERSION_1         32
#define FAKE_F_RING_PACKED       34
#define FAKE_F_RING_RESET        40
#define FAKE_BIT(b)              (1ull << (b))

/* What QEMU 7.2's virtio-blk-device offers (QEMU-FACTS.md). */
#define FAKE_FEATURES_QEMU_LEGACY 0x31006ed4ull
#define FAKE_FEATURES_QEMU_MODERN 0x10130006e54ull

#define FAKE_MAGIC           0x74726976u /* "virt" */
#define FAKE_VENDOR_QEMU     0x554d4551u /* "QEMU" */
#define FAKE_DEVICE_ID_BLOCK 2u

/* Block request types and status bytes (virtio 1.2 §5.2.6). */
#define FAKE_BLK_T_IN     0u
#define FAKE_BLK_T_OUT    1u
#define FAKE_BLK_T_FLUSH  4u
#define FAKE_BLK_T_GET_ID 8u
#define FAKE_BLK_T_DISCARD 11u
#define FAKE_BLK_T_WRITE_ZEROES 13u
#define FAKE_BLK_WZ_F_UNMAP 1u
#define FAKE_BLK_S_OK     0u
#define FAKE_BLK_S_IOERR  1u
#define FAKE_BLK_S_UNSUPP 2u
#define FAKE_BLK_ID_BYTES 20u

/* Descriptor flags as the fake records them (virtio 1.2 §2.7.5). */
#define FAKE_DESC_F_NEXT     1u
#define FAKE_DESC_F_WRITE    2u
#define FAKE_DESC_F_INDIRECT 4u

#define FAKE_SECTOR_BYTES 512u

struct fake_virtio;

/* ---- creation ------------------------------------------------------- */

/* What the device is. fake_virtio_default_opts() fills in QEMU 7.2's
 * virtio-blk-device with a 1 MiB disk; change fields before creating. */
struct fake_virtio_opts {
	uint32_t magic;            /* MagicValue; not FAKE_MAGIC: a bad slot   */
	uint32_t version;          /* 1 legacy, 2 modern                        */
	uint32_t device_id;        /* 2 block, 0 an empty slot                  */
	uint32_t vendor_id;
	uint64_t features;         /* offered; RO (bit 5) makes the disk
				      read-only, FLUSH (9) is just a bit here  */
	uint32_t queue_num_max;    /* QueueNumMax of queue 0 (0: no queue);
				      need not be a power of 2 (try 1000)     */
	uint64_t capacity_sectors; /* disk size in 512-byte sectors (see
				      FAKE_DISK_BACKED_MAX_SECTORS)           */
	/* virtio_blk_config fields (virtio 1.2 §5.2.4) */
	uint32_t size_max_bytes;
	uint32_t seg_max;
	uint16_t geo_cylinders;
	uint8_t geo_heads;
	uint8_t geo_sectors;
	uint32_t blk_size_bytes;
	uint8_t physical_block_exp;
	uint8_t alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint32_t config_bytes;     /* config space size; beyond it reads all-ones
				      as on QEMU (default 0x3c)                */
	char serial[FAKE_BLK_ID_BYTES + 1]; /* GET_ID answer, zero-padded      */
};

/* Defaults for version 1 or 2: QEMU's offered features for that version,
 * QueueNumMax 1024, 2048 sectors, seg_max 254, blk_size 512, writeback 1. */
void fake_virtio_default_opts(struct fake_virtio_opts *opts, uint32_t version);

/* Create a device in the lowest free slot (NULL opts: modern defaults).
 * The disk starts filled with zeroes. */
struct fake_virtio *fake_virtio_create(const struct fake_virtio_opts *opts);
/* Same, at a base address of the test's choosing. */
struct fake_virtio *fake_virtio_create_at(uintptr_t base, const struct fake_virtio_opts *opts);
/* Unmap and free (host_platform_reset() does this for every device). */
void fake_virtio_destroy(struct fake_virtio *fv);

uintptr_t fake_virtio_base(const struct fake_virtio *fv);
/* The device's description; a test may change it while the driver has not
 * yet read it (e.g. before init). For capacity use fake_virtio_resize(). */
struct fake_virtio_opts *fake_virtio_opts(struct fake_virtio *fv);

/* ---- completion timing --------------------------------------------- */

/* The device reads each chain from the avail ring when notified (or on
 * every relax, see poll_avail); the mode says when it executes and
 * completes the requests it holds. */
enum fake_virtio_completion {
	FAKE_COMPLETE_IMMEDIATE, /* default: during the QueueNotify write      */
	FAKE_COMPLETE_DEFERRED,  /* `defer_steps` host_cpu_relax() calls after
				    the device took it (0: at the next one)  */
	FAKE_COMPLETE_HELD,      /* only when the test calls complete_*()      */
	FAKE_COMPLETE_NEVER,     /* same as HELD; reads better in timeout tests */
};
void fake_virtio_set_completion(struct fake_virtio *fv, enum fake_virtio_completion mode,
				unsigned defer_steps);

/* Order in which requests that become due together are completed. */
enum fake_virtio_order {
	FAKE_ORDER_FIFO,      /* default: in avail-ring order */
	FAKE_ORDER_REVERSED,  /* newest first */
	FAKE_ORDER_SHUFFLED,  /* pseudo-random, repeatable for a given seed */
};
void fake_virtio_set_order(struct fake_virtio *fv, enum fake_virtio_order order, uint32_t seed);

/* Complete (up to `max` / all) held requests now, in the chosen order,
 * after first taking whatever is new in the avail ring. Returns how many
 * were completed. Works in every mode, NEVER included. */
unsigned fake_virtio_complete_all(struct fake_virtio *fv);
unsigned fake_virtio_complete_some(struct fake_virtio *fv, unsigned max);
/* Requests taken from the avail ring and not yet completed. */
unsigned fake_virtio_pending(const struct fake_virtio *fv);

/* Poll the avail ring on every host_cpu_relax(), as a polling device
 * would, so a driver that does not notify still makes progress. The
 * device then also asks not to be notified (used.flags NO_NOTIFY, or an
 * avail_event out of reach with EVENT_IDX). Default off: only QueueNotify
 * starts processing, as on QEMU. */
void fake_virtio_set_poll_avail(struct fake_virtio *fv, bool poll);

/* ---- misbehaviour knobs -------------------------------------------- */

/* Each knob fires once (FAKE_ONCE) or every time until cleared (FAKE_STICKY). */
enum fake_virtio_shot { FAKE_ONCE, FAKE_STICKY };

/* Answer the nth request executed from now on (1 = the next) with status
 * byte `status` (FAKE_BLK_S_IOERR, _UNSUPP or anything, e.g. 0xEE) and
 * transfer no data. STICKY: that one and every later request. */
void fake_virtio_fail_request(struct fake_virtio *fv, unsigned nth, uint8_t status,
			      enum fake_virtio_shot shot);
/* Same for requests whose sector range contains `sector`. Up to
 * FAKE_MAX_STATUS_FAULTS request/sector faults are armed at a time. */
#define FAKE_MAX_STATUS_FAULTS 8
void fake_virtio_fail_sector(struct fake_virtio *fv, uint64_t sector, uint8_t status,
			     enum fake_virtio_shot shot);

/* Break the next used-ring publication(s) in one way. */
enum fake_virtio_used_fault {
	FAKE_USED_OK,                /* no fault (clears the knob)              */
	FAKE_USED_ID_OUT_OF_RANGE,   /* used.id = QueueNum + 5                  */
	FAKE_USED_ID_NOT_HEAD,       /* used.id = a descriptor that heads no
					outstanding chain: inside one the
					device holds, else QueueNum            */
	FAKE_USED_LEN_TOO_LARGE,     /* used.len = writable bytes + 4096        */
	FAKE_USED_IDX_JUMP,          /* used.idx moves by QueueNum + 1 more      */
	FAKE_USED_IDX_BACKWARDS,     /* used.idx written one below its old value */
	FAKE_USED_DUPLICATE,         /* the entry is published twice            */
	FAKE_USED_LEN_SHORT,         /* used.len one byte short of what was
					written: the status byte, last, is not
					covered (SPL-18/19, BLK-25: a driver must
					not trust data past len; legacy ignores it) */
	FAKE_USED_WRONG_WRAP,        /* packed: the used descriptor's AVAIL and
					USED carry the other lap's wrap value,
					so it reads as stale (PK-6: the driver
					must ignore it; its request never ends) */
};
/* On a packed ring (VIRTIO_F_RING_PACKED) the faults are about the used
 * descriptor: ID_OUT_OF_RANGE writes ID = queue size + 5, ID_NOT_HEAD an
 * ID no chain in flight carries (free when written: a driver that gives
 * it to a new chain before it reads the descriptor cannot tell it from
 * that chain's completion), LEN_TOO_LARGE and LEN_SHORT its len,
 * DUPLICATE writes it again at the next used position (the same ID
 * completed twice), IDX_JUMP writes it one slot past the used position
 * (PK-7: the driver must not look there), IDX_BACKWARDS is WRONG_WRAP. */
void fake_virtio_corrupt_used(struct fake_virtio *fv, enum fake_virtio_used_fault fault,
			      enum fake_virtio_shot shot);
/* The same, once, on the publication after the next `skip` good ones: a
 * device that breaks part way through a batch. */
void fake_virtio_corrupt_used_after(struct fake_virtio *fv, enum fake_virtio_used_fault fault,
				    unsigned skip);

/* Refuse FEATURES_OK: the device clears bit 3 when the driver sets it. */
void fake_virtio_refuse_features_ok(struct fake_virtio *fv, enum fake_virtio_shot shot);

/* After the driver writes Status = 0, Status keeps reading its old value
 * for `reads` more reads (RST-1: the driver must poll for 0). */
void fake_virtio_set_reset_delay(struct fake_virtio *fv, unsigned reads);
/* A reset under way completes now: Status reads its new value (0). */
void fake_virtio_finish_reset(struct fake_virtio *fv);
/* While `in_use`, queue 0 reads as in use whatever was written and
 * however often the device is reset: QueueReady 1 (legacy: QueuePFN 1;
 * virtio-pci: queue_enable 1). A device that breaks virtio 1.2
 * §4.2.2.1's "upon reset ... clear ... QueueReady" (§4.1.4.3.2's
 * "present a 0 in queue_enable on reset"); the queue itself stays as the
 * driver set it up. */
void fake_virtio_keep_queue_in_use(struct fake_virtio *fv, bool in_use);

/* Change the capacity as a QMP block_resize would: the disk is resized
 * (new bytes zero), ConfigGeneration is bumped and, after DRIVER_OK,
 * InterruptStatus gets 0x3 (QEMU sets the used bit too) and the line fires. */
void fake_virtio_resize(struct fake_virtio *fv, uint64_t capacity_sectors);

/* One-shot torn read: right after the driver reads one half of capacity,
 * the capacity becomes `new_capacity_sectors` (as fake_virtio_resize()), so
 * a driver that does not check ConfigGeneration (or, legacy, read twice)
 * assembles a mix of old and new halves. */
void fake_virtio_tear_capacity_read(struct fake_virtio *fv, uint64_t new_capacity_sectors);

/* One-shot: the next time the driver sets DRIVER_OK, the capacity becomes
 * `capacity_sectors` (as fake_virtio_resize()) just before the write, so
 * after the driver read its configuration and before a config change
 * could interrupt it (QEMU raises none before DRIVER_OK). */
void fake_virtio_resize_before_driver_ok(struct fake_virtio *fv, uint64_t capacity_sectors);
/* One-shot (virtio-mmio): once DRIVER_OK is set, right after the driver's
 * `nth` read of ConfigGeneration returns, the capacity becomes
 * `capacity_sectors` (as fake_virtio_resize(), config interrupt raised) and
 * the CPU takes the interrupt at once (irq hook), as real hardware would
 * with IRQs open: an interrupt taken between two instructions. */
void fake_virtio_resize_after_gen_reads(struct fake_virtio *fv, unsigned nth,
					uint64_t capacity_sectors);
/* The same, then again on each of the `more` reads after the nth. */
void fake_virtio_resize_after_gen_reads_repeat(struct fake_virtio *fv, unsigned nth, unsigned more,
					       uint64_t capacity_sectors);

/* Set InterruptStatus bits as if the device raised them, defined or not
 * (e.g. 0x20: MMIO-12; the driver acknowledges an undefined bit only
 * while it is pending). The line is asserted while any bit is set. */
void fake_virtio_raise_interrupt_bits(struct fake_virtio *fv, uint32_t bits);
/* Raise `bits` and keep them up through every ACK, as a broken device
 * would (0 clears the knob; a reset clears the bits). */
void fake_virtio_stick_interrupt_bits(struct fake_virtio *fv, uint32_t bits);

/* Run `event` once, just before the `nth` read of InterruptStatus (the
 * ISR on virtio-pci) from now (1: the next) takes its value, as a device
 * completing a request at that instant would (fake_virtio_complete_all,
 * say). NULL cancels. The same as fake_virtio_at_access (below) with
 * FAKE_AT_INTERRUPT_STATUS_READ and FAKE_EVENT_CALL, kept for its tests;
 * it takes (and cancels) a slot of its own. */
void fake_virtio_at_status_read(struct fake_virtio *fv, unsigned nth,
				void (*event)(struct fake_virtio *fv));

/* ---- device events at a chosen register access ----------------------- */

/* The driver's accesses an event can be placed at. Each is counted on
 * this device from the moment the event is armed; the event runs just
 * before the nth one takes (or, for a write, makes) its effect, so the
 * driver's access sees the device as the event left it. */
enum fake_virtio_access_kind {
	FAKE_AT_INTERRUPT_STATUS_READ, /* InterruptStatus; virtio-pci: the ISR     */
	FAKE_AT_STATUS_READ,           /* Status; virtio-pci: device_status        */
	FAKE_AT_CONFIG_READ,           /* any read of configuration space          */
	FAKE_AT_GENERATION_READ,       /* ConfigGeneration / config_generation     */
	FAKE_AT_ACK_WRITE,             /* InterruptACK (virtio-mmio only: a
					  virtio-pci driver acknowledges by
					  reading the ISR, so never there)        */
	FAKE_AT_NOTIFY_WRITE,          /* QueueNotify; virtio-pci: a notification  */
	FAKE_AT_CLOCK_READ,            /* the driver reads the clock (plat_time_us):
					  where a wait looks at the used ring
					  between two of them, the nearest the
					  fake gets to a read of used.idx (its
					  loads are plain memory). Takes over
					  host_set_clock_hook while armed.       */
	FAKE_AT_RELAX,                 /* a host_cpu_relax(), after the device's
					  own step and before it delivers        */
	FAKE_AT_RING_POINT,            /* a ring barrier (plat_wmb, plat_rmb,
					  plat_mb) or a store of a ring field
					  the device reads (plat_dma_store16):
					  between the ring accesses a barrier
					  orders, or just before the store, where
					  a device running beside the CPU acts
					  unseen. Takes over
					  host_set_ring_point_hook while armed.  */
	FAKE_AT_KIND_COUNT,
};

/* What the device does then. */
enum fake_virtio_event {
	FAKE_EVENT_COMPLETE_OLDEST,       /* one held request, the oldest         */
	FAKE_EVENT_COMPLETE_NEWEST,       /* one held request, the newest: out of
					     order                                */
	FAKE_EVENT_COMPLETE_ALL,          /* every held request, in avail order    */
	FAKE_EVENT_COMPLETE_ALL_REVERSED, /* every held request, newest first      */
	FAKE_EVENT_RESIZE,                /* capacity becomes `arg` sectors
					     (fake_virtio_resize: config change) */
	FAKE_EVENT_RAISE_BITS,            /* InterruptStatus |= `arg` (an undefined
					     bit, say: 0x20)                      */
	FAKE_EVENT_NEEDS_RESET,           /* fake_virtio_needs_reset               */
	FAKE_EVENT_FINISH_RESET,          /* a reset under way completes now       */
	FAKE_EVENT_STALL_RESET,           /* a reset under way reads its old Status
					     `arg` more times; none under way:
					     every later one does, as
					     fake_virtio_set_reset_delay(arg)    */
	FAKE_EVENT_CALL,                  /* call(fv, ctx)                         */
	FAKE_EVENT_COUNT,
};

struct fake_virtio_at {
	enum fake_virtio_access_kind kind;
	unsigned nth;                     /* 1: the next access of that kind       */
	enum fake_virtio_event event;
	uint64_t arg;
	/* Then the CPU takes the interrupt right after the access, if the
	 * line is up and IRQs are open (as fake_virtio_resize_after_gen_reads
	 * does): an interrupt between two instructions. Else it is taken at
	 * the next relax or unmask, as always. */
	bool take_irq;
	void (*call)(struct fake_virtio *fv, void *ctx); /* FAKE_EVENT_CALL       */
	void *ctx;
};

/* Events a device that is not running (no DRIVER_OK, or broken) would not
 * cause (the completions, raised bits, NEEDS_RESET) are dropped
 * when their access comes, but still count as fired. Up to
 * FAKE_AT_MAX are armed at once, each fires once; arming one more
 * replaces the oldest armed. Returns its slot. */
#define FAKE_AT_MAX 4
unsigned fake_virtio_at_access(struct fake_virtio *fv, const struct fake_virtio_at *at);
/* Cancel every armed event. */
void fake_virtio_at_cancel(struct fake_virtio *fv);
/* Events that fired (ran or were dropped) since creation. */
unsigned fake_virtio_at_fired(const struct fake_virtio *fv);

/* Raise DEVICE_NEEDS_RESET (status 0x40 + config interrupt on a modern
 * device; a legacy device just stops, as QEMU does) and stop processing. */
void fake_virtio_needs_reset(struct fake_virtio *fv);

/* Every rule violation fails the running test at once (with the message),
 * instead of only being recorded. Handy to get a backtrace. */
void fake_virtio_set_fail_fast(struct fake_virtio *fv, bool fail_fast);

/* ---- interrupts ---------------------------------------------------- */

/* InterruptStatus != 0: the (level-triggered) line is asserted. */
bool fake_virtio_irq_pending(const struct fake_virtio *fv);
uint32_t fake_virtio_interrupt_status(const struct fake_virtio *fv);
/* Deliver interrupts: while the line is asserted, each host_cpu_relax()
 * calls hook(fv, ctx) after the device has run, like a CPU taking a level
 * interrupt. Never called from inside a register access. NULL removes it. */
typedef void (*fake_virtio_irq_hook)(struct fake_virtio *fv, void *ctx);
void fake_virtio_set_irq_hook(struct fake_virtio *fv, fake_virtio_irq_hook hook, void *ctx);

/* ---- inspection ---------------------------------------------------- */

struct fake_virtio_stats {
	uint32_t notifies;          /* QueueNotify writes (accepted or not)     */
	uint32_t requests;          /* requests executed                        */
	uint32_t reads, writes, flushes, get_ids, unsupported;
	uint32_t discards, write_zeroes; /* DISCARD / WRITE_ZEROES requests    */
	uint32_t range_segs;        /* their segments, all of them              */
	uint64_t deallocated_sectors; /* discarded, or zeroed with unmap while
					 write_zeroes_may_unmap is set         */
	uint32_t failed_by_knob;    /* answered by fail_request/fail_sector     */
	uint32_t used_irqs;         /* used-buffer interrupts raised            */
	uint32_t used_irqs_suppressed; /* used.idx updates that raised no
					  interrupt (avail flags, used_event) */
	uint32_t config_irqs;       /* configuration-change interrupts          */
	uint32_t resets;            /* Status = 0 writes                        */
	uint32_t max_pending;       /* most requests held at once               */
};
const struct fake_virtio_stats *fake_virtio_stats(const struct fake_virtio *fv);

/* Every value the driver wrote to Status, in order (up to 64); e.g. a
 * modern init is {0, 1, 3, 0xb, 0xf}. */
#define FAKE_STATUS_TRACE_MAX 64
unsigned fake_virtio_status_writes(const struct fake_virtio *fv, const uint8_t **writes);
uint32_t fake_virtio_status(const struct fake_virtio *fv); /* Status now */

/* The features the driver accepted: DriverFeatures at FEATURES_OK
 * (modern) or at DRIVER_OK (legacy); 0 before that. */
uint64_t fake_virtio_accepted_features(const struct fake_virtio *fv);

/* The last chain the device took from the avail ring, as the device saw it
 * (indirect tables expanded; the segments' flags are those of the
 * descriptors holding them). Framing checks read this. */
#define FAKE_CHAIN_RECORD_MAX 64
struct fake_virtio_seg {
	uint64_t addr;
	uint32_t len_bytes;
	uint16_t flags;             /* FAKE_DESC_F_* */
};
struct fake_virtio_chain {
	uint16_t head;              /* descriptor index in the avail ring
				       (packed: the chain's first slot)       */
	bool indirect;              /* some of it came from an indirect table  */
	unsigned nsegs;             /* all segments (only the first
				       FAKE_CHAIN_RECORD_MAX are in seg[])    */
	struct fake_virtio_seg seg[FAKE_CHAIN_RECORD_MAX];
};
const struct fake_virtio_chain *fake_virtio_last_chain(const struct fake_virtio *fv);

/* Every register access the driver made (config space included), in
 * order: the first FAKE_REG_TRACE_MAX since creation or the last clear.
 * For rules about the order of accesses (MMIO-7/8/15/18/20/24, INIT-1/4).
 * `value` is what was written, or what the read returned. */
#define FAKE_REG_TRACE_MAX 512
struct fake_virtio_access {
	uint32_t offset;            /* from the window base */
	uint32_t value;
	uint8_t width_bytes;
	bool write;
};
unsigned fake_virtio_reg_trace(const struct fake_virtio *fv,
			       const struct fake_virtio_access **trace);
void fake_virtio_clear_reg_trace(struct fake_virtio *fv);

/* Is queue 0 live (QueueReady=1, or a legacy QueuePFN set)? Broken? */
bool fake_virtio_queue_ready(const struct fake_virtio *fv);
bool fake_virtio_broken(const struct fake_virtio *fv);

/* The RAM disk itself: capacity_sectors * 512 bytes, read and write freely.
 * Only the first FAKE_DISK_BACKED_MAX_SECTORS (64 MiB) are kept: beyond
 * them (a test may announce a 2 TiB disk) reads return zeroes and writes
 * are dropped, and fake_virtio_disk_bytes() says how much is kept. A
 * fuzzer, which creates a device per input, may -D a smaller value. */
#ifndef FAKE_DISK_BACKED_MAX_SECTORS
#define FAKE_DISK_BACKED_MAX_SECTORS (64ull * 1024 * 1024 / FAKE_SECTOR_BYTES)
#endif
uint8_t *fake_virtio_disk(struct fake_virtio *fv);
uint64_t fake_virtio_disk_bytes(const struct fake_virtio *fv);

/* ---- rule violations ----------------------------------------------- */

#define FAKE_MAX_VIOLATIONS 32
/* How many were recorded (all of them; only the first FAKE_MAX_VIOLATIONS
 * keep their text). Each text starts with the rule ID: "INIT-6: ...". */
unsigned fake_virtio_violation_count(const struct fake_virtio *fv);
const char *fake_virtio_violation(const struct fake_virtio *fv, unsigned index);
/* Was rule `rule_id` (e.g. "SPL-14") broken? */
bool fake_virtio_has_violation(const struct fake_virtio *fv, const char *rule_id);
void fake_virtio_clear_violations(struct fake_virtio *fv);
/* Fail the running test, listing every violation, unless there are none. */
void fake_virtio_assert_clean(const struct fake_virtio *fv);

#endif
