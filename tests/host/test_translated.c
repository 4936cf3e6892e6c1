/*
 * test_queue once more, on a platform whose DMA addresses are not its
 * pointers: built with VBLK_PLAT_VIRT_TO_PHYS, the host platform's
 * plat_virt_to_phys() adds HOST_DMA_OFFSET (1 TiB) and the fake device
 * subtracts it (host_platform.h). Every address the driver gives the
 * device (rings, indirect tables, headers, data, status) must go through
 * the translation, or the device reads and writes where nothing is
 * mapped and the sanitizers stop the test. Firmware that does not map
 * RAM 1:1 relies on exactly this.
 */
#ifndef VBLK_PLAT_VIRT_TO_PHYS
#error "build with -DVBLK_PLAT_VIRT_TO_PHYS (the Makefile does)"
#endif

#include "test_queue.c"
