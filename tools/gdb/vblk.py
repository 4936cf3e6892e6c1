# SPDX-License-Identifier: MIT
"""tools/gdb/vblk.py: gdb commands that print a vblk disk's virtqueue in
the words of docs/design.md and the virtio 1.2 spec (make debug loads it;
docs/debug.md shows a session).

  vblk-disks                 the attached disks
  vblk-ring [DISK] [N]       one disk's queue and ring: transport and
                             features negotiated, pending requests and
                             waiting bios, requests in flight, and
                             split ring: avail idx and the driver's shadow,
                               used idx and last_used, each chain in
                               flight walked from its head (addr, len,
                               flags NEXT/WRITE/INDIRECT, next; an
                               indirect table's entries), the last N used
                               entries (id, len)
                             packed ring: the wrap counters, next_avail and
                               last_used, the buffer IDs in flight, the
                               slots in the device's hands, the last used
                               descriptors
  vblk-chain HEAD [DISK]     one split chain (or packed slot) in full

DISK is an index into the table of attached disks (default 0) or an
expression that is a struct vblk_disk pointer. N defaults to 4.

The commands read the driver's own structures (blk/disk.h, blk/queue.h,
blk/device.h, vring/virtqueue.h, vring/packed.h, vring/ring.h) by field
name. If a field they need is gone (the structs changed), they stop with
an error naming the struct and the field: update these files, never
guess. The commands are here; reading the structs is vblk_structs.py,
printing the rings vblk_rings.py, both beside this file.
"""

import os
import sys

import gdb

# gdb sources this file as a script: its modules are found beside it, and
# leave no __pycache__ in the source tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import vblk_rings  # noqa: E402 (after the path is set)
from vblk_rings import (describe_packed, describe_split, describe_split_chain,  # noqa: E402
                        packed_slot_line, ring_of)
from vblk_structs import (VblkError, attached_disks, disk_from_arg, enum_name,  # noqa: E402
                          feature_names, field, num, out)

LAST_USED_DEFAULT = 4
VIRTIO_BLK_TYPES = {0: "read", 1: "write", 4: "flush", 8: "get-id", 11: "discard",
                    13: "write-zeroes"}


# ---- the disk and its queue ---------------------------------------------

def describe_device(disk):
    dev = field(disk, "dev")
    info = field(dev, "info")
    transport = enum_name(field(info, "transport"))
    if transport.endswith("PCI"):
        pci = field(info, "pci")
        where = "virtio-pci %02x:%02x.%d" % (num(pci, "bus"), num(pci, "dev"), num(pci, "fn"))
    else:
        where = "virtio-mmio @ 0x%x (%s)" % (
            num(info, "mmio_base"), "legacy" if num(info, "mmio_version") == 1 else "modern")
    ready = bool(field(dev, "ready"))
    out("disk %s: %s, %d sectors, queue size %d, %s" % (
        disk, where, num(info, "capacity_sectors"), num(info, "queue_size"),
        "ready" if ready else "NOT ready"))
    reason = field(dev, "broken_reason")
    if int(reason) != 0:
        out("  broken: %s" % reason.string())
    out("  features negotiated: %s" % feature_names(num(info, "features")))


def req_line(req):
    rtype = num(req, "type")
    return "%s sector %d, %d bytes, %d bio(s)" % (
        VIRTIO_BLK_TYPES.get(rtype, "type %d" % rtype), num(req, "sector"),
        num(req, "data_bytes"), num(req, "nbios"))


def walk_list(head, link="next", limit=4096):
    items = []
    while int(head) != 0 and len(items) < limit:
        items.append(head)
        head = field(head, link)
    return items


def describe_queue(disk, tokens_in_flight):
    q = field(disk, "queue")
    pending = walk_list(field(field(q, "pending"), "head"))
    waiting = walk_list(field(field(q, "waiting"), "head"))
    out("  queue: %d request(s) pending (not yet in the ring), %d bio(s) waiting for a "
        "request, %s, %s" % (len(pending), len(waiting),
                             "plugged" if bool(field(q, "plugged")) else "not plugged",
                             "interrupts" if bool(field(q, "use_irq")) else "polled"))
    for req in pending:
        out("    pending request %s: %s" % (req, req_line(req)))
    for bio in waiting:
        out("    waiting bio %s: op %s sector %d" % (bio, field(bio, "op"), num(bio, "sector")))
    req_type = gdb.lookup_type("struct blk_req").pointer()
    for token in tokens_in_flight:
        req = token.cast(req_type)
        out("    in-flight request %s: %s" % (req, req_line(req)))
    counts = field(field(disk, "dev"), "counts")
    stats = field(q, "stats")
    out("  stats: %d request(s), %d notification(s), %d interrupt(s), %d completion(s)" % (
        num(counts, "requests"), num(counts, "notifications"), num(stats, "interrupts"),
        num(counts, "completions")))


# ---- the commands -----------------------------------------------------------

class VblkDisks(gdb.Command):
    """vblk-disks: the disks vblk has attached, by index."""

    def __init__(self):
        super().__init__("vblk-disks", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        disks = attached_disks()
        out("%d disk(s) attached" % len(disks))
        for i, disk in enumerate(disks):
            kind, _vq = ring_of(disk)
            info = field(field(disk, "dev"), "info")
            out("  disk %d: %s, %d sectors, %s ring" % (i, disk, num(info, "capacity_sectors"),
                                                      kind))


class VblkRing(gdb.Command):
    """vblk-ring [DISK] [N]: a disk's queue and virtqueue (docs/debug.md).
DISK: index of an attached disk (default 0) or a struct vblk_disk *
expression; N: how many used entries to show (default 4)."""

    def __init__(self):
        super().__init__("vblk-ring", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        last_n = LAST_USED_DEFAULT
        if len(words) >= 2 and words[-1].isdigit():
            last_n = int(words.pop())
        disk = disk_from_arg(" ".join(words))
        describe_device(disk)
        kind, vq = ring_of(disk)
        if int(field(vq, "desc")) == 0:
            out("  the ring is not laid out yet")
            return
        vblk_rings.vq_disk[0] = disk
        tokens = describe_packed(vq, last_n) if kind == "packed" else describe_split(vq, last_n)
        describe_queue(disk, tokens)


class VblkChain(gdb.Command):
    """vblk-chain HEAD [DISK]: one split chain from its head (or one packed slot)."""

    def __init__(self):
        super().__init__("vblk-chain", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if not words:
            raise VblkError("usage: vblk-chain HEAD [DISK]")
        head = int(words[0], 0)
        disk = disk_from_arg(" ".join(words[1:]))
        kind, vq = ring_of(disk)
        if head >= num(vq, "num"):
            raise VblkError("vblk-chain: %d is past the ring's %d entries" % (head, num(vq, "num")))
        if kind == "packed":
            out(packed_slot_line(vq, head))
        else:
            token = field(field(vq, "chain")[head], "token")
            if int(token) == 0:
                out("    head %d: not a chain in flight (vblk-ring lists those)" % head)
            else:
                describe_split_chain(vq, head, token)


VblkDisks()
VblkRing()
VblkChain()
