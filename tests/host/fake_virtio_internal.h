/* SPDX-License-Identifier: MIT */
/*
 * Inside the fake virtio-mmio block device: the state shared by
 * fake_virtio*.c. Tests use fake_virtio.h only.
 *
 * Register offsets, status bits and ring layouts are written out here from
 * the spec rather than taken from drivers/virtio_mmio.h, so that a wrong
 * constant in the driver shows up as a test failure instead of agreeing
 * with itself.
 */
#ifndef VBLK_TESTS_FAKE_VIRTIO_INTERNAL_H
#define VBLK_TESTS_FAKE_VIRTIO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fake_virtio.h"
#include "fake_virtio_pci.h"
#include "host_platform.h"

/* virtio-mmio registers (virtio 1.2 §4.2.2; legacy §4.2.4). */
#define REG_MAGIC_VALUE         0x000
#define REG_VERSION             0x004
#define REG_DEVICE_ID           0x008
#define REG_VENDOR_ID           0x00c
#define REG_DEVICE_FEATURES     0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES     0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_GUEST_PAGE_SIZE     0x028
#define REG_QUEUE_SEL           0x030
#define REG_QUEUE_NUM_MAX       0x034
#define REG_QUEUE_NUM           0x038
#define REG_QUEUE_ALIGN         0x03c
#define REG_QUEUE_PFN           0x040
#define REG_QUEUE_READY         0x044
#define REG_QUEUE_NOTIFY        0x050
#define REG_INTERRUPT_STATUS    0x060
#define REG_INTERRUPT_ACK       0x064
#define REG_STATUS              0x070
#define REG_QUEUE_DESC_LOW      0x080
#define REG_QUEUE_DESC_HIGH     0x084
#define REG_QUEUE_DRIVER_LOW    0x090
#define REG_QUEUE_DRIVER_HIGH   0x094
#define REG_QUEUE_DEVICE_LOW    0x0a0
#define REG_QUEUE_DEVICE_HIGH   0x0a4
#define REG_CONFIG_GENERATION   0x0fc
#define REG_CONFIG              0x100

/* InterruptStatus bits. */
#define INT_USED_BUFFER   1u
#define INT_CONFIG_CHANGE 2u
#define INT_DEFINED_BITS  (INT_USED_BUFFER | INT_CONFIG_CHANGE)
/* A PCI function's ISR is one byte (virtio 1.2 §4.1.4.5): no bit above it
 * exists there, or raises INTx. */
#define PCI_ISR_BITS      0xffu

/* Device status (virtio 1.2 §2.1). */
#define STATUS_ACKNOWLEDGE        0x01u
#define STATUS_DRIVER             0x02u
#define STATUS_DRIVER_OK          0x04u
#define STATUS_FEATURES_OK        0x08u
#define STATUS_DEVICE_NEEDS_RESET 0x40u
#define STATUS_FAILED             0x80u

/* Split ring layout (virtio 1.2 §2.7): byte offsets inside each area. */
#define DESC_BYTES            16u  /* le64 addr, le32 len, le16 flags, le16 next */
#define DESC_OFF_ADDR         0u
#define DESC_OFF_LEN          8u
#define DESC_OFF_FLAGS        12u
#define DESC_OFF_NEXT         14u
#define RING_OFF_FLAGS        0u   /* avail and used rings alike */
#define RING_OFF_IDX          2u
#define RING_OFF_ENTRIES      4u
#define AVAIL_ENTRY_BYTES     2u   /* le16 descriptor index */
#define USED_ENTRY_BYTES      8u   /* le32 id, le32 len */
#define AVAIL_F_NO_INTERRUPT  1u
#define USED_F_NO_NOTIFY      1u
#define DESC_TABLE_ALIGN      16u  /* virtio 1.2 §2.7.1 */
#define AVAIL_ALIGN           2u
#define USED_ALIGN            4u
#define MAX_QUEUE_SIZE        32768u /* virtio 1.2 §2.7 */

/* One descriptor as read from (driver-owned) memory. */
struct fake_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* A chain the device has taken from the avail ring but not yet used. */
struct fake_request {
	uint16_t head;
	uint16_t second_idx;        /* next descriptor after the head in the
				       table, or head if there is none      */
	uint64_t due_step;          /* relax step it completes at (DEFERRED)  */
	unsigned nsegs;
	struct fake_virtio_seg *segs; /* malloc'd copy of the chain           */
	uint32_t readable_bytes, writable_bytes;
	uint8_t header[16];         /* the request header as taken (CLN-1)     */
	/* Packed ring only (fake_virtio_packed.c); head is then its first slot. */
	uint16_t id;                /* buffer ID, from the chain's last slot   */
	uint16_t nslots;            /* ring slots it took (1 if indirect)      */
	uint64_t table;             /* its indirect table, 0 if none           */
};

/* Packed ring layout (virtio 1.2 §2.8.13): 16-byte descriptors
 * {le64 addr, le32 len, le16 id, le16 flags}; event areas {le16 off_wrap,
 * le16 flags}. */
#define PDESC_OFF_ID          12u
#define PDESC_OFF_FLAGS       14u
#define PDESC_F_AVAIL         (1u << 7)
#define PDESC_F_USED          (1u << 15)
#define PEVENT_OFF_OFF_WRAP   0u
#define PEVENT_OFF_FLAGS      2u
#define PEVENT_BYTES          4u
#define PEVENT_ENABLE         0u
#define PEVENT_DISABLE        1u
#define PEVENT_DESC           2u
#define PEVENT_WRAP           (1u << 15)

/* What the device last read in one ring slot it holds (PK-8). */
struct fake_packed_slot {
	uint8_t raw[DESC_BYTES];
	bool held;                  /* taken and not yet covered by a used
				       descriptor                            */
};

/* The device side of a packed ring: where it reads and where it writes,
 * each with its own wrap counter (§2.8.1). */
struct fake_packed {
	uint16_t avail_slot;        /* next slot to look at for a new chain    */
	bool avail_wrap;
	uint16_t used_slot;         /* where the next used descriptor goes     */
	bool used_wrap;
	uint16_t used_since_signal; /* slots used since the last interrupt
				       decision (§2.8.10's event window)     */
	bool signalled_valid;
	struct fake_packed_slot *slots; /* `size` of them                     */
};

/* Queue 0, the only one a virtio-blk device without MQ has. */
struct fake_queue {
	/* Registers the driver programs. */
	uint32_t num;               /* QueueNum (0: not written)              */
	uint64_t desc_addr, avail_addr, used_addr; /* modern address registers */
	uint32_t legacy_align;      /* QueueAlign (0: not written)            */
	uint32_t legacy_pfn;        /* QueuePFN                                */
	bool ready;                 /* live: QueueReady=1 or QueuePFN != 0     */
	/* Where the live rings are, fixed when the queue went live. */
	uint64_t desc, avail, used;
	uint32_t size;              /* descriptors in the live queue           */
	/* Device-side ring state. */
	uint16_t last_avail_idx;    /* next avail entry the device will read   */
	uint16_t used_idx;          /* device's copy of used.idx               */
	uint16_t signalled_used;    /* used idx at the last interrupt decision */
	bool signalled_valid;
	struct fake_request *pending; /* `size` slots, oldest first            */
	unsigned npending;
	bool packed;                /* VIRTIO_F_RING_PACKED: desc/avail/used
				       are the descriptor ring and the driver
				       and device event areas (PK-36)        */
	struct fake_packed pk;
};

/* A knob that fires once or stays on. */
struct fake_knob {
	bool armed;
	bool sticky;
	unsigned skip;              /* chances it lets pass before it fires */
};

struct fake_status_fault {
	struct fake_knob knob;
	bool by_sector;
	uint64_t sector;            /* by_sector: the sector to fail           */
	uint64_t countdown;         /* !by_sector: requests left before the nth */
	uint8_t status;
};

/* One event armed at the driver's nth access of a kind. */
struct fake_at_slot {
	bool armed;
	unsigned left;              /* accesses of the kind until it fires */
	unsigned seq;
	struct fake_virtio_at at;
	void (*call0)(struct fake_virtio *fv); /* fake_virtio_at_status_read */
};

struct fake_virtio {
	uintptr_t base;
	struct fake_virtio_opts opts;
	uint8_t *disk;              /* disk_sectors * 512 bytes                */
	uint64_t disk_sectors;      /* backed part of the capacity             */

	/* Transport state (what the registers read back). */
	uint32_t status;
	uint32_t status_before_reset; /* what Status reads during a slow reset */
	unsigned reset_reads_left;
	uint32_t device_features_sel, driver_features_sel;
	bool device_sel_written, driver_sel_written; /* since reset (MMIO-7/8) */
	uint64_t driver_features;   /* as written so far                       */
	uint64_t accepted_features; /* fixed at FEATURES_OK / legacy DRIVER_OK  */
	uint32_t queue_sel;
	uint32_t guest_page_size;   /* legacy only; 0: not written            */
	uint32_t interrupt_status;
	uint32_t stuck_interrupt_bits; /* survive an ACK (a broken device) */
	uint32_t config_generation;
	bool broken;                /* virtio_error(): ignore the rings        */
	bool queue_sel_written;     /* PCI: queue_select since reset (PCI-21)  */
	/* The PCI face (fake_virtio_pci*.c); NULL on virtio-mmio. */
	struct fake_virtio_pci *pci;
	struct fake_queue queue;

	/* Knobs. */
	enum fake_virtio_completion completion;
	unsigned defer_steps;
	enum fake_virtio_order order;
	uint32_t rng_state;
	bool poll_avail;
	struct fake_status_fault status_faults[FAKE_MAX_STATUS_FAULTS];
	enum fake_virtio_used_fault used_fault;
	struct fake_knob used_fault_knob;
	struct fake_knob refuse_features_ok;
	unsigned reset_delay_reads;
	bool queue_reads_in_use;
	bool tear_capacity;
	uint64_t tear_capacity_to;
	bool resize_before_driver_ok;
	uint64_t resize_before_driver_ok_to;
	unsigned resize_after_gen_reads;   /* review knob */
	uint64_t resize_after_gen_reads_to;
	unsigned resize_more_gen_reads;    /* review knob: fire again on as many next reads */
	bool fail_fast;
	fake_virtio_irq_hook irq_hook;
	void *irq_hook_ctx;
	/* fake_virtio_at_access: events armed at the driver's accesses
	 * (the last slot is fake_virtio_at_status_read's own). */
	struct fake_at_slot at_slots[FAKE_AT_MAX + 1];
	unsigned at_seq;            /* arming order: the oldest is replaced */
	unsigned at_fired;
	bool at_take_irq;           /* an event asked for its interrupt to be
				       taken when the access ends           */

	/* Inspection. */
	uint64_t relax_steps;
	struct fake_virtio_stats stats;
	uint8_t status_trace[FAKE_STATUS_TRACE_MAX];
	unsigned status_trace_len;
	struct fake_virtio_chain last_chain;
	struct fake_virtio_access reg_trace[FAKE_REG_TRACE_MAX];
	unsigned reg_trace_len;
	unsigned violation_count;
	char violations[FAKE_MAX_VIOLATIONS][160];
};

/* fake_virtio.c */
/* A device with no window of its own yet (fake_virtio_create_at maps one). */
struct fake_virtio *fake_virtio_alloc(const struct fake_virtio_opts *opts);
/* The rule a transport names for the same mistake. */
const char *fake_rule(const struct fake_virtio *fv, const char *mmio_rule, const char *pci_rule);
void fake_violation(struct fake_virtio *fv, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fake_device_error(struct fake_virtio *fv, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool fake_knob_fire(struct fake_knob *knob);
bool fake_negotiated(const struct fake_virtio *fv, unsigned bit);
bool fake_offered(const struct fake_virtio *fv, unsigned bit);
bool fake_is_legacy(const struct fake_virtio *fv);
void fake_raise_interrupt(struct fake_virtio *fv, uint32_t bits);
/* A read of InterruptStatus (the ISR) is about to take its value: run
 * the event armed for it (fake_at_access), if this is its read. */
void fake_interrupt_status_read(struct fake_virtio *fv);
/* The driver is about to make an access of `kind`: count it for every
 * event armed at that kind, and run those whose access this is. */
void fake_at_access(struct fake_virtio *fv, enum fake_virtio_access_kind kind);
/* The access is over: take the interrupt an event asked for (take_irq). */
void fake_at_access_end(struct fake_virtio *fv);
void fake_config_changed(struct fake_virtio *fv);
void fake_resize_disk(struct fake_virtio *fv, uint64_t capacity_sectors);

/* fake_virtio_regs.c */
uint32_t fake_regs_read(void *ctx, uint32_t offset, unsigned width_bytes);
void fake_regs_write(void *ctx, uint32_t offset, unsigned width_bytes, uint32_t val);
void fake_device_reset(struct fake_virtio *fv);
/* What every transport shares. The rule IDs name the transport's own
 * rule for the same mistake (MMIO-8 / PCI-18, MMIO-19 / PCI-31). */
void fake_trace_access(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes,
		       bool write, uint32_t val);
void fake_check_reset_done(struct fake_virtio *fv, uint32_t offset, bool status_poll);
uint32_t fake_status_read(struct fake_virtio *fv);
void fake_status_write(struct fake_virtio *fv, uint32_t val);
bool fake_features_fixed(const struct fake_virtio *fv);
void fake_driver_features_write(struct fake_virtio *fv, uint32_t val, const char *no_select_rule);
void fake_driver_features_sel_write(struct fake_virtio *fv, uint32_t val);
void fake_check_setup_phase(struct fake_virtio *fv, const char *what);
void fake_queue_notify(struct fake_virtio *fv, uint32_t queue_index, const char *no_queue_rule);
/* Is `size` a queue size of the negotiated ring format? */
bool fake_ring_size_ok(const struct fake_virtio *fv, uint32_t size);

/* The PCI face: the function it is, the knobs it was made with, and
 * what the bus lets it do (fake_virtio_pci.c). */
struct fake_virtio_pci {
	struct fake_virtio *fv;
	struct fake_pci *bus;
	int fn_index;
	uint8_t dev, fn;            /* where it sits on its bus */
	struct fake_virtio_pci_opts opts;
	bool bus_master;            /* Command's Bus Master Enable: may DMA */
};

/* fake_virtio_pci.c: may the function raise INTx now? */
bool fake_pci_face_intx_open(const struct fake_virtio_pci *face);

/* fake_virtio_pci_common.c: BAR4's structures (virtio 1.2 §4.1.4). */
uint32_t fake_pci_bar4_read(struct fake_virtio_pci *face, uint32_t offset, unsigned width_bytes);
void fake_pci_bar4_write(struct fake_virtio_pci *face, uint32_t offset, unsigned width_bytes,
			 uint32_t val);

/* fake_virtio_cfg.c */
uint32_t fake_cfg_read(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes);
void fake_cfg_write(struct fake_virtio *fv, uint32_t offset, unsigned width_bytes, uint32_t val);

/* fake_virtio_ring.c */
int fake_queue_go_live(struct fake_virtio *fv, uint64_t desc, uint64_t avail,
		       uint64_t used, uint32_t size);
void fake_queue_stop(struct fake_virtio *fv);
void fake_ring_take_avail(struct fake_virtio *fv);
unsigned fake_ring_complete(struct fake_virtio *fv, unsigned max, bool only_due);
void fake_ring_relax(struct fake_virtio *fv);
/* Call the irq hook if the line is asserted and the CPU is not masked. */
void fake_ring_deliver_interrupt(struct fake_virtio *fv);

/* fake_virtio_packed.c: the same steps on a packed ring (§2.8). */
int fake_packed_go_live(struct fake_virtio *fv, uint64_t desc, uint64_t driver,
			uint64_t device, uint32_t size);
void fake_packed_stop(struct fake_queue *q);
void fake_packed_take_avail(struct fake_virtio *fv);
/* Execute one request and write its used descriptor; after a batch,
 * decide on the interrupt. */
void fake_packed_complete(struct fake_virtio *fv, const struct fake_request *req);
void fake_packed_signal(struct fake_virtio *fv);

/* ---- a chain, whichever ring (fake_virtio_chain.c) ------------------ */

/* What is wrong with a buffer of a chain, by the rules both rings share. */
enum fake_chain_fault {
	FAKE_CHAIN_OK,
	FAKE_CHAIN_ZERO_LEN,
	FAKE_CHAIN_NULL_ADDR,
	FAKE_CHAIN_READABLE_AFTER_WRITABLE,
	FAKE_CHAIN_TOO_MANY_BYTES,
};

/* The buffers of one chain as its walk collects them into req. */
struct fake_chain {
	struct fake_request *req;
	unsigned segs_cap;
	bool seen_writable;
	uint64_t total_bytes;
};

/* Appends one buffer (seg_flags: what the request keeps of its flags, at
 * least WRITE) to chain->req, or says which shared rule it breaks. */
enum fake_chain_fault fake_chain_add(struct fake_chain *chain, uint64_t addr, uint32_t len,
				     uint16_t seg_flags);
const char *fake_chain_fault_text(enum fake_chain_fault fault);

/* Records a walked chain as fv->last_chain and, if the block device takes
 * it (fake_blk_validate), queues it as pending; otherwise frees its segs. */
void fake_chain_accept(struct fake_virtio *fv, struct fake_request *req, bool indirect);

/* fake_virtio_packed_chain.c: read the chain whose head is the device's
 * next slot, remembering what each slot held (PK-8). Returns 0 with req
 * filled in and the avail position moved past it, -1 after breaking the
 * device. */
int fake_packed_read_chain(struct fake_virtio *fv, struct fake_request *req);

static inline uint64_t fake_packed_slot_addr(const struct fake_queue *q, uint32_t slot)
{
	return q->desc + (uint64_t)DESC_BYTES * slot;
}

/* §2.8.1: available in lap `wrap` = AVAIL is the wrap, USED is not. */
static inline bool fake_packed_available(uint16_t flags, bool wrap)
{
	return ((flags & PDESC_F_AVAIL) != 0) == wrap && ((flags & PDESC_F_USED) != 0) != wrap;
}

/* `count` slots on from `slot`, flipping `wrap` past the last one. */
static inline uint16_t fake_packed_advance(const struct fake_queue *q, uint16_t slot,
					   uint32_t count, bool *wrap)
{
	uint32_t next = slot + count;

	while (next >= q->size) {
		next -= q->size;
		*wrap = !*wrap;
	}
	return (uint16_t)next;
}

/* fake_virtio_blk.c: check a chain's framing when it is taken (0, or -1
 * after breaking the device); execute it, returning the used.len to report. */
int fake_blk_validate(struct fake_virtio *fv, const struct fake_request *req);
uint32_t fake_blk_execute(struct fake_virtio *fv, const struct fake_request *req);
/* The first 16 device-readable bytes of the chain (the request header). */
void fake_blk_read_header_bytes(const struct fake_request *req, uint8_t header[16]);

/* Driver memory, by the address the driver gave (host_platform.h). */
static inline void *fake_mem(uint64_t phys)
{
	return host_dma_ptr(phys);
}

static inline uint16_t fake_load16(uint64_t phys)
{
	uint16_t val;
	memcpy(&val, fake_mem(phys), sizeof(val));
	return val;
}

static inline void fake_store16(uint64_t phys, uint16_t val)
{
	memcpy(fake_mem(phys), &val, sizeof(val));
}

static inline void fake_store32(uint64_t phys, uint32_t val)
{
	memcpy(fake_mem(phys), &val, sizeof(val));
}

static inline uint32_t fake_load32(uint64_t phys)
{
	uint32_t val;
	memcpy(&val, fake_mem(phys), sizeof(val));
	return val;
}

static inline uint64_t fake_load64(uint64_t phys)
{
	uint64_t val;
	memcpy(&val, fake_mem(phys), sizeof(val));
	return val;
}

static inline uint16_t fake_packed_slot_flags(const struct fake_queue *q, uint32_t slot)
{
	return fake_load16(fake_packed_slot_addr(q, slot) + PDESC_OFF_FLAGS);
}

#endif
