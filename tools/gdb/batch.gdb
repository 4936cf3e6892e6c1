# SPDX-License-Identifier: MIT
# tools/gdb/batch.gdb: the batch form of `make debug` (make debug-batch,
# and the QEMU test rows debug_batch_*): stop at the first vblk_read,
# show the ring; stop where the driver first looks for the read's
# completion, with its chain in flight, show the ring again; then run the
# program to its end. tools/debug.sh loads tools/gdb/vblk.py first.
set pagination off
set confirm off
set width 0
break vblk_read
continue
echo ==== vblk_read: the ring before the read\n
bt 1
vblk-ring 0
delete
# The split ring's harvest, or the packed ring's: whichever the disk uses.
break vq_harvest
break vqp_harvest
continue
echo ==== first harvest: the read's chain in flight\n
bt 1
vblk-ring 0
delete
continue
echo ==== the program ended\n
