# SPDX-License-Identifier: MIT
# vblk — virtio-blk for bare-metal aarch64 on QEMU virt.
#
#   make                 build build/vblk.elf, build/vblk.bin, build/libvblk.a
#   make run [DISK=f [DISK_FORMAT=qcow2]] [TRANSPORT=pci]  boot the demo in QEMU with a scratch disk
#   make test            every test layer; ends with "N passed, N failed"
#   make APP=my.c        build build/my.elf + build/my.bin from your own main()
#   make firmware        build/firmware.elf: examples/firmware, libvblk.a without the runtime
#   make bootloader      build/bootloader.elf: examples/bootloader, boots Linux from a GPT disk
#   make install PREFIX=dir  the archives, headers, make fragment, CMake and pkg-config files
#   make V=1             show the commands
#   make bench           time the driver in QEMU against qemu-img bench and a minimal guest
#   make bench-peers     the same operations with U-Boot beside vblk
#   make bench-boot      reset to Linux: examples/bootloader beside U-Boot
#   make TRACE=1 run     the same with every step of every request printed
#   make debug           QEMU halted under gdb-multiarch with vblk's ring commands
#   make debug-batch     the same, scripted: break at vblk_read, print the ring
#   make lab1 ... lab4   check a lab exercise (docs/labs/) on a real QEMU disk
#   make size            the driver's code size and static RAM (tools/footprint.sh)
#   make boot-time       reset to the demo's first sector read, medians of 5 boots
#
# Prerequisites are installed on demand by tools/deps.sh (make deps).

ifeq ($(V),1)
Q :=
else
Q := @
endif

BUILD ?= build

# ---- flags are prerequisites -------------------------------------------
# make compares file times, not the commands that made a file: by itself
# it would find every object up to date in `make EXTRA_CFLAGS=-D...` after
# `make`. So each set of flags has a stamp, $(BUILD)/.flags/<set>, that
# everything built with it depends on, rewritten (while the Makefile is
# read) only when its text changes: new flags rebuild, the same flags leave
# the build a no-op. A stamp holds its variables as make holds them,
# unexpanded: expanding CFLAGS would run the compiler for GCC_INCLUDE while
# parsing, and what that adds follows from CC, which is recorded.
# $(call flags_stamp,SET,VARIABLES): write the stamp; expands to its path.
FLAGS_DIR := $(BUILD)/.flags
shell_quote = '$(subst ','\'',$(1))'
flags_text = $(foreach var,$(1),$(call shell_quote,$(var)=$(value $(var))))
flags_stamp = $(FLAGS_DIR)/$(1)$(shell mkdir -p $(FLAGS_DIR) && \
    printf '%s\n' $(call flags_text,$(2)) | cmp -s - $(FLAGS_DIR)/$(1) || \
    printf '%s\n' $(call flags_text,$(2)) >$(FLAGS_DIR)/$(1))

# ---- cross toolchain ---------------------------------------------------
ifeq ($(origin CROSS_COMPILE),undefined)
  ifneq ($(shell command -v aarch64-none-elf-gcc 2>/dev/null),)
    CROSS_COMPILE := aarch64-none-elf-
  else
    CROSS_COMPILE := aarch64-linux-gnu-
  endif
endif
CC      := $(CROSS_COMPILE)gcc
AR      := $(CROSS_COMPILE)ar
OBJCOPY := $(CROSS_COMPILE)objcopy

# libc: newlib comes with aarch64-none-elf; with Debian's aarch64-linux-gnu
# we use picolibc (package picolibc-aarch64-linux-gnu) freestanding.
# The compiler's own include directory (stddef.h, stdint.h), asked for once
# and only when a recipe needs it, so that parsing this Makefile works
# before tools/deps.sh has installed the compiler.
GCC_INCLUDE = $(eval GCC_INCLUDE := $$(shell $(CC) -print-file-name=include))$(GCC_INCLUDE)

ifeq ($(CROSS_COMPILE),aarch64-linux-gnu-)
  PICOLIBC ?= /usr/lib/picolibc/aarch64-linux-gnu
  LIBC_CFLAGS  = -nostdinc -isystem $(PICOLIBC)/include \
                  -isystem $(GCC_INCLUDE)
  LIBC_LDFLAGS := -L$(PICOLIBC)/lib
  # integer-only printf: the image never prints floating point
  LIBC_LDFLAGS += -Wl,--defsym=vfprintf=__i_vfprintf
else
  LIBC_CFLAGS  :=
  LIBC_LDFLAGS :=
endif

# Include paths. An application (APP, examples/firmware, README's C
# examples, bench/bench.c) sees the public headers only, include/vblk/, so
# nothing it needs can hide in an internal header; the library, the
# runtime and the guest tests also name internal headers by their path
# from the top (INTERNAL_INCLUDES, given to their objects below).
PUBLIC_INCLUDES := -Iinclude
INTERNAL_INCLUDES := -I.

ARCH_FLAGS := -mcpu=cortex-a53 -mstrict-align
CFLAGS = -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pie \
          -fno-stack-protector -ftls-model=local-exec -ffunction-sections \
          -fdata-sections $(ARCH_FLAGS) $(LIBC_CFLAGS) $(PUBLIC_INCLUDES) $(EXTRA_CFLAGS) $(TRACE_CFLAGS)
# make TRACE=1: the library prints every step of every request
# (plat/trace.h, docs/trace.md); off, the trace compiles to nothing.
TRACE ?= 0
TRACE_CFLAGS := $(if $(filter 1,$(TRACE)),-DVBLK_TRACE=1)
ASFLAGS := $(ARCH_FLAGS) $(PUBLIC_INCLUDES)
LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--no-warn-rwx-segments \
           -T linker.ld $(LIBC_LDFLAGS)
LDLIBS  := -Wl,--start-group -lc -lgcc -Wl,--end-group
# Every variable the cross commands below are made of.
CROSS_STAMP := $(call flags_stamp,cross,CROSS_COMPILE CC PICOLIBC LIBC_CFLAGS LIBC_LDFLAGS \
                 ARCH_FLAGS PUBLIC_INCLUDES INTERNAL_INCLUDES CFLAGS EXTRA_CFLAGS TRACE_CFLAGS \
                 ASFLAGS \
                 LDFLAGS LDLIBS)

# ---- sources -----------------------------------------------------------
# vblk.mk, the fragment firmware includes, holds the one list of folders:
# each archive is its folders, so a new file lands where its folder says.
# libvblk.a (VBLK_SRCS), the storage layer (portable C11; also built for
# the host tests): the block layer, the ring, the transport and the
# device-tree reader that finds it, the DTB walker, the platform's weak
# defaults firmware without the runtime links against (plat/idle.c,
# plat/dma.c), and GUID partition tables above the disk API (part/).
# libvblk-rt.a (VBLK_RT_SRCS), the runtime for a standalone image: boot,
# board description, console, semihosting, timer, GIC.
VBLK_DIR := .
include vblk.mk
LIB_DIRS := $(VBLK_LIB_DIRS)
LIB_SRCS := $(VBLK_SRCS)
RT_DIRS  := $(VBLK_RT_DIRS)
RT_SRCS  := $(VBLK_RT_SRCS)

APP ?= examples/demo.c
ifeq ($(APP),examples/demo.c)
  IMAGE := vblk
else
  IMAGE := $(basename $(notdir $(APP)))
endif

obj = $(patsubst %,$(BUILD)/obj/%.o,$(basename $(1)))
# An image's sources: APP, and for the benchmark its rows, its table, and
# the yardstick with the minimal guest it measures vblk against.
APP_SRCS := $(APP) $(if $(filter bench/bench.c,$(APP)),bench/rows.c bench/table.c \
                                                   bench/yardstick.c bench/minimal.c \
                                                   bench/rings.c)
LIB_OBJS := $(call obj,$(LIB_SRCS))
RT_OBJS  := $(call obj,$(RT_SRCS))

.PHONY: all lib firmware run run-image test test-full test-host test-qemu fuzz deps clean size
all: $(BUILD)/$(IMAGE).elf $(BUILD)/$(IMAGE).bin $(BUILD)/libvblk.a $(BUILD)/libvblk-rt.a

lib: $(BUILD)/libvblk.a $(BUILD)/libvblk-rt.a

$(BUILD)/obj/%.o: %.c $(CROSS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(OBJ_INCLUDES) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S $(CROSS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(ASFLAGS) $(OBJ_INCLUDES) -MMD -MP -c $< -o $@

$(BUILD)/libvblk.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libvblk-rt.a: $(RT_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# boot/start.o is linked explicitly so its entry point and vectors are kept.
# Only the image APP names is linked here: `make build/x.elf` alone used to
# link the demo under x's name.
$(BUILD)/$(IMAGE).elf: $(call obj,$(APP_SRCS)) $(BUILD)/libvblk-rt.a $(BUILD)/libvblk.a linker.ld \
                        $(CROSS_STAMP)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ -Wl,--whole-archive $(BUILD)/libvblk-rt.a \
	    -Wl,--no-whole-archive $(call obj,$(APP_SRCS)) $(BUILD)/libvblk.a $(LDLIBS)

$(BUILD)/%.elf:
	@echo "$@: which program? make APP=path/to/$*.c $@" >&2; exit 2

# The raw binary starts with an arm64 Image header, so `-kernel vblk.bin`
# boots it the way QEMU boots Linux (DTB address in x0).
$(BUILD)/%.bin: $(BUILD)/%.elf
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)$(OBJCOPY) -O binary $< $@

# The QEMU test image: guest-side test cases selected by semihosting args.
GUEST_OBJS := $(call obj,$(wildcard tests/qemu/guest*.c))

# Only these objects see the internal headers; every other one (an
# application's) is compiled with PUBLIC_INCLUDES alone.
$(LIB_OBJS) $(RT_OBJS) $(GUEST_OBJS): OBJ_INCLUDES := $(INTERNAL_INCLUDES)
# A lab's program (make labN LAB=...) finds labs/lab.h wherever it is.
$(call obj,$(APP_SRCS)): OBJ_INCLUDES += $(APP_INCLUDES)

$(BUILD)/vblk-test.elf: $(GUEST_OBJS) $(BUILD)/libvblk-rt.a $(BUILD)/libvblk.a linker.ld \
                        $(CROSS_STAMP)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ -Wl,--whole-archive $(BUILD)/libvblk-rt.a \
	    -Wl,--no-whole-archive $(GUEST_OBJS) $(BUILD)/libvblk.a $(LDLIBS)

# examples/firmware: a firmware with its own boot code and link map that
# uses libvblk.a alone (no vblk runtime), as firmware authors would.
FW_OBJS := $(call obj,examples/firmware/start.S examples/firmware/main.c)
firmware: $(BUILD)/firmware.elf
$(BUILD)/firmware.elf: $(FW_OBJS) $(BUILD)/libvblk.a examples/firmware/firmware.ld $(CROSS_STAMP)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -nostdlib -static -no-pie -Wl,--gc-sections \
	    -Wl,--no-warn-rwx-segments -Wl,--build-id=none -T examples/firmware/firmware.ld $(LIBC_LDFLAGS) -o $@ $(FW_OBJS) \
	    $(BUILD)/libvblk.a $(LDLIBS)

# examples/bootloader: loads arm64 Linux from a GPT disk and starts it, an
# application of several files on the runtime. BOOT_CMDLINE is the kernel
# command line when the disk has no "cmdline" partition (no single quotes).
BOOT_CMDLINE ?= console=ttyAMA0
BOOTLOADER_OBJS := $(call obj,$(wildcard examples/bootloader/*.c examples/bootloader/*.S))
BOOTLOADER_STAMP := $(call flags_stamp,bootloader,BOOT_CMDLINE)
$(call obj,examples/bootloader/chosen.c): CFLAGS += -DBOOT_CMDLINE='"$(BOOT_CMDLINE)"'
$(call obj,examples/bootloader/chosen.c): $(BOOTLOADER_STAMP)
.PHONY: bootloader
bootloader: $(BUILD)/bootloader.elf $(BUILD)/bootloader.bin
$(BUILD)/bootloader.elf: $(BOOTLOADER_OBJS) $(BUILD)/libvblk-rt.a $(BUILD)/libvblk.a linker.ld \
                         $(CROSS_STAMP)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ -Wl,--whole-archive $(BUILD)/libvblk-rt.a \
	    -Wl,--no-whole-archive $(BOOTLOADER_OBJS) $(BUILD)/libvblk.a $(LDLIBS)

# The bootloader test's initramfs: /init (tools/initrd/init.c), a static
# aarch64 Linux program without a C library, alone in a newc cpio.
$(BUILD)/initrd/init: tools/initrd/init.c $(CROSS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=c11 -O2 -Wall -Wextra -Werror -static -nostdlib -ffreestanding -fno-pie \
	    -no-pie -fno-stack-protector $(ARCH_FLAGS) -o $@ $<
$(BUILD)/initrd.cpio: $(BUILD)/initrd/init
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)cd $(BUILD)/initrd && echo init | cpio -o -H newc -R 0:0 --quiet >../initrd.cpio

# ---- install -----------------------------------------------------------
# make install PREFIX=dir [DESTDIR=staging]: what a firmware build outside
# this tree takes vblk from (README.md, "Your own application or firmware"):
#   lib/libvblk.a          the library; firmware with its own boot code
#                          needs only this
#   lib/libvblk-rt.a, share/vblk/linker.ld  the runtime and its link map,
#                          for an application on vblk's boot code
#   include/vblk/*.h       the public headers
#   lib/cmake/vblk/        find_package(vblk) and the cross toolchain file
#   lib/pkgconfig/vblk.pc  pkg-config --cflags --libs vblk
#   share/vblk/vblk.mk     the make fragment, with vblk-installed.mk: the
#                          version and the tunables the archives hold
#   share/doc/vblk/        LICENSE, CHANGELOG.md
# The tunables are EXTRA_CFLAGS' -D flags; the installed configs hand
# them on, so the firmware's files see the values the library was built
# with. The cmake and pc files find the prefix from where they lie, so an
# install can be moved.
PREFIX ?= /usr/local
DESTDIR ?=
VBLK_VERSION_TEXT := $(strip $(file <VERSION))
INSTALL_DEFINES := $(filter -D%,$(EXTRA_CFLAGS))
install_subst = sed -e 's|@VBLK_VERSION@|$(VBLK_VERSION_TEXT)|g' \
    -e 's|@VBLK_DEFINITIONS@|$(subst $(space),;,$(strip $(patsubst -D%,%,$(INSTALL_DEFINES))))|g' \
    -e 's|@VBLK_CFLAGS_DEFINES@|$(strip $(INSTALL_DEFINES))|g'
space := $(subst ,, )
.PHONY: install
install: $(BUILD)/libvblk.a $(BUILD)/libvblk-rt.a
	$(if $(PREFIX),,$(error make install: PREFIX is empty))
	$(Q)dest='$(DESTDIR)$(PREFIX)' && \
	install -d "$$dest/lib/cmake/vblk" "$$dest/lib/pkgconfig" "$$dest/include/vblk" \
	    "$$dest/share/vblk" "$$dest/share/doc/vblk" && \
	install -m 644 $(BUILD)/libvblk.a $(BUILD)/libvblk-rt.a "$$dest/lib/" && \
	install -m 644 include/vblk/*.h "$$dest/include/vblk/" && \
	install -m 644 vblk.mk linker.ld "$$dest/share/vblk/" && \
	install -m 644 LICENSE CHANGELOG.md "$$dest/share/doc/vblk/" && \
	install -m 644 cmake/aarch64-toolchain.cmake "$$dest/lib/cmake/vblk/" && \
	$(install_subst) cmake/vblkConfig.cmake.in >"$$dest/lib/cmake/vblk/vblkConfig.cmake" && \
	$(install_subst) cmake/vblkConfigVersion.cmake.in >"$$dest/lib/cmake/vblk/vblkConfigVersion.cmake" && \
	$(install_subst) cmake/vblk.pc.in >"$$dest/lib/pkgconfig/vblk.pc" && \
	printf '# SPDX-License-Identifier: MIT\n# Written by make install: what the archives in %s were built with.\nVBLK_VERSION := %s\nVBLK_INSTALLED_DEFINES := %s\n' \
	    "$$dest/lib" '$(VBLK_VERSION_TEXT)' '$(strip $(INSTALL_DEFINES))' \
	    >"$$dest/share/vblk/vblk-installed.mk" && \
	echo "installed vblk $(VBLK_VERSION_TEXT) in $$dest"

# ---- running -----------------------------------------------------------
# The format is given, never probed: a raw image could pose as another.
DISK_FORMAT ?= raw
# The scratch disk made on first use when DISK is not given: build/disk.img,
# or build/disk.qcow2 (and so on) in another format.
SCRATCH_DISK = $(BUILD)/disk.$(if $(filter raw,$(DISK_FORMAT)),img,$(DISK_FORMAT))
DISK ?= $(SCRATCH_DISK)
QEMU ?= qemu-system-aarch64
QEMU_FLAGS ?= -machine virt -cpu cortex-a53 -nographic \
   -semihosting-config enable=on,target=native
# More QEMU arguments after those, e.g. QEMU_EXTRA="-machine gic-version=3"
# (-machine options add up) or "-machine highmem=off".
QEMU_EXTRA ?=
# How the disk is attached: mmio, as virtio-blk-device on virtio-mmio; or
# pci, as `-drive if=virtio` gives it, virtio-blk-pci on pcie.0 (the
# runtime maps the PCI host's ECAM and windows, boot/mmu.c).
TRANSPORT ?= mmio
DISK_ARGS_mmio = -drive if=none,id=d0,format=$(DISK_FORMAT),file=$(DISK) \
   -device virtio-blk-device,drive=d0
DISK_ARGS_pci  = -drive file=$(DISK),if=virtio,format=$(DISK_FORMAT)

$(SCRATCH_DISK):
	@mkdir -p $(BUILD)
	qemu-img create -f $(DISK_FORMAT) $@ 64M

# run and test install what is missing first, then build in a second make:
# with -j, prerequisites would otherwise race the installer.
run:
	$(Q)tools/deps.sh run
	$(Q)$(MAKE) --no-print-directory run-image

run-image: all $(if $(filter $(SCRATCH_DISK),$(DISK)),$(SCRATCH_DISK))
	$(if $(DISK_ARGS_$(TRANSPORT)),,$(error TRANSPORT=$(TRANSPORT): mmio or pci))
	$(QEMU) $(QEMU_FLAGS) -kernel $(BUILD)/$(IMAGE).elf $(DISK_ARGS_$(TRANSPORT)) $(QEMU_EXTRA) \
	    $(QEMU_TRACE_ARGS)

# make QEMU_TRACE=1 run (with TRACE=1: docs/trace.md): QEMU's own virtio
# trace events on stderr, the device's side of the ring beside the
# driver's lines on the console.
QEMU_TRACE_EVENTS ?= virtio_queue_notify virtqueue_pop virtio_blk_handle_read \
    virtio_blk_handle_write virtio_blk_req_complete virtqueue_fill virtqueue_flush virtio_notify
QEMU_TRACE_ARGS = $(if $(filter 1,$(QEMU_TRACE)),$(addprefix -trace ,$(QEMU_TRACE_EVENTS)))

deps:
	$(Q)tools/deps.sh test

# make debug [DISK=f] [TRANSPORT=pci]: the image under QEMU halted before
# its first instruction, gdb stub on a free local port, and gdb-multiarch
# attached with the image's symbols and tools/gdb/vblk.py (vblk-ring,
# vblk-disks, vblk-chain; docs/debug.md). make debug-batch: the same
# without a prompt, running tools/gdb/batch.gdb (break at vblk_read, print
# the ring, again at the first harvest, run to the end).
GDB ?= gdb-multiarch
DEBUG_QEMU_FLAGS = $(filter-out -nographic,$(QEMU_FLAGS)) -display none -monitor none
.PHONY: debug debug-batch debug-image
debug debug-batch:
	$(Q)tools/deps.sh debug
	$(Q)$(MAKE) --no-print-directory DEBUG_BATCH=$(if $(filter debug-batch,$@),1,0) debug-image

debug-image: all $(if $(filter $(SCRATCH_DISK),$(DISK)),$(SCRATCH_DISK))
	$(if $(DISK_ARGS_$(TRANSPORT)),,$(error TRANSPORT=$(TRANSPORT): mmio or pci))
	$(Q)GDB=$(GDB) tools/debug.sh $(if $(filter 1,$(DEBUG_BATCH)),--batch) $(BUILD)/$(IMAGE).elf \
	    $(QEMU) $(DEBUG_QEMU_FLAGS) -kernel $(BUILD)/$(IMAGE).elf $(DISK_ARGS_$(TRANSPORT)) $(QEMU_EXTRA)

# ---- labs (docs/labs/) ---------------------------------------------------
# make lab1 ... make lab4 [LAB=path/to/your.c]: build a lab's exercise
# (default labs/labN.c) on the runtime, as an APP, and check it on a real
# QEMU disk (tools/lab-check.sh: a pattern the host wrote, read and hashed
# by the guest, compared on the host). make test checks each checker with
# the lab's solution (labs/solutions/) and with the exercise as shipped.
LABS := 1 2 3 4
LAB_TARGETS := $(addprefix lab,$(LABS))
lab_src = $(or $(LAB),labs/lab$(1).c)
lab_elf = $(BUILD)/$(basename $(notdir $(call lab_src,$(1)))).elf
# A lab's program is an APP that finds labs/lab.h wherever it is.
LAB_MAKE = $(MAKE) --no-print-directory APP_INCLUDES=-Ilabs
.PHONY: $(LAB_TARGETS) lab-images
$(LAB_TARGETS): lab%:
	$(Q)tools/deps.sh run
	$(Q)$(LAB_MAKE) APP=$(call lab_src,$*) $(call lab_elf,$*)
	$(Q)QEMU=$(QEMU) LAB_QEMU_EXTRA="$(QEMU_EXTRA) $(QEMU_TRACE_ARGS)" \
	    tools/lab-check.sh $* $(call lab_elf,$*) $(BUILD)/labs/lab$*

# Every lab's exercise and solution, for the QEMU rows lab*_*, and the
# wrong solutions the checkers must fail: tests/labs/labN_WHAT.patch
# applied to lab N's solution.
LAB_WRONG := $(basename $(notdir $(wildcard tests/labs/*.patch)))
lab-images: $(LAB_WRONG:%=$(BUILD)/labs-wrong/%.c)
	$(Q)$(foreach n,$(LABS),$(LAB_MAKE) APP=labs/lab$(n).c $(BUILD)/lab$(n).elf && \
	    $(LAB_MAKE) APP=labs/solutions/lab$(n)_solution.c $(BUILD)/lab$(n)_solution.elf &&) true
	$(Q)$(foreach w,$(LAB_WRONG),$(LAB_MAKE) APP=$(BUILD)/labs-wrong/$(w).c $(BUILD)/$(w).elf &&) true

$(BUILD)/labs-wrong/%.c: tests/labs/%.patch labs/solutions/*.c
	@mkdir -p $(dir $@)
	$(Q)patch -s -o $@ labs/solutions/$(firstword $(subst _, ,$*))_solution.c $< || \
	    { rm -f $@; exit 1; }   # patch leaves its output even when a hunk fails

# ---- footprint ---------------------------------------------------------
# make size: the driver core's code and data, object by object, the other
# parts of libvblk.a in groups, and the static RAM a disk takes
# (tools/footprint.sh says what "driver core" counts and leaves out).
.PHONY: size
size: $(BUILD)/libvblk.a
	$(Q)CC="$(CC)" CFLAGS="$(CFLAGS) $(INTERNAL_INCLUDES)" \
	    SIZE=$(CROSS_COMPILE)size NM=$(CROSS_COMPILE)nm tools/footprint.sh $(BUILD)

# make boot-time [BOOT_TIME_RUNS=n]: the demo's boot timings (the first
# instruction, main, vblk_init_from_dt, the first sector), medians of n
# boots in plain TCG and with -icount shift=0 (tools/boot-time.sh).
BOOT_TIME_RUNS ?= 5
.PHONY: boot-time
boot-time: all
	$(Q)QEMU=$(QEMU) tools/boot-time.sh $(BUILD) $(BOOT_TIME_RUNS)

# ---- benchmark ---------------------------------------------------------
# make bench: build bench/bench.c as an APP image (a sub-make, so `make`
# keeps building the demo) and let tools/bench.sh boot it on a scratch
# disk and compare with `qemu-img bench` (BENCH_DISK_MIB, BENCH_ROW_MS,
# BENCH_RUNS: boot it that many times and take medians), on virtio-mmio
# and virtio-pci, then with a minimal guest on the same disk
# (tools/bench-yardstick.sh: BENCH_YARD_ROUNDS, BENCH_LOAD_PROCS);
# then count the split ring's instructions per request with callgrind.
.PHONY: bench
bench:
	$(Q)tools/deps.sh bench
	$(Q)$(MAKE) --no-print-directory APP=bench/bench.c $(BUILD)/bench.elf
	$(Q)QEMU=$(QEMU) tools/bench.sh $(BUILD)
	$(Q)tools/ring-cost.sh $(BUILD)

# make bench-peers: Debian's U-Boot for qemu_arm64 (installed on demand by
# tools/deps.sh peers) doing 4 KiB reads and writes one at a time and
# 64 MiB reads on the same kind of scratch disk, beside bench.elf's figures
# for the same operations (tools/bench-peers.sh: PEERS_RUNS, BENCH_ROW_MS).
.PHONY: bench-peers
bench-peers:
	$(Q)tools/deps.sh peers
	$(Q)$(MAKE) --no-print-directory APP=bench/bench.c $(BUILD)/bench.elf
	$(Q)QEMU=$(QEMU) tools/bench-peers.sh $(BUILD)
	$(Q)$(MAKE) --no-print-directory bench-boot

# make bench-boot: reset to Linux, examples/bootloader beside Debian's
# U-Boot loading the same kernel and initramfs from the same GPT disk
# (tools/boot_bench.py: BOOT_RUNS fresh boots each, medians).
BOOT_RUNS ?= 3
.PHONY: bench-boot
bench-boot:
	$(Q)tools/deps.sh test && tools/deps.sh peers
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bootloader.elf $(BUILD)/initrd.cpio
	$(Q)tools/fetch-linux.sh $(BUILD)/linux
	$(Q)tools/mkbootdisk.sh $(BUILD)/linux/Image $(BUILD)/initrd.cpio $(BUILD)/bench-boot.img \
	    "console=ttyAMA0 panic=-1" >/dev/null
	$(Q)QEMU=$(QEMU) tools/boot_bench.py --runs $(BOOT_RUNS) --cmdline "console=ttyAMA0 panic=-1" \
	    $(BUILD)/bootloader.elf $(BUILD)/bench-boot.img

# ---- host build (unit tests against the fake device) ------------------
HOST_CC ?= cc
# -no-pie keeps static data (the driver's rings) at low addresses: a PIE
# puts it near 0x55xx_xxxx_xxxx, beyond the 16 TiB a legacy 32-bit QueuePFN
# of 4 KiB pages can name, and every legacy test would fail to attach.
# VBLK_HOST_RING_POINTS: the ring's barriers and its stores of fields the
# device reads are points where the fake device may act (plat/platform.h).
# HOST_CHECKS: the sanitizers (make coverage counts lines instead).
HOST_CHECKS = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_CFLAGS = -std=c11 -g -Wall -Wextra -Werror -DVBLK_HOST -DVBLK_HOST_RING_POINTS -Iinclude -I. \
               $(HOST_CHECKS) -fno-omit-frame-pointer
# Link only: clang (HOST_CC=clang) rejects -no-pie in a compile under
# -Werror (-Wunused-command-line-argument).
HOST_LDFLAGS := -no-pie
HOST_LIBS := -lcmocka
HOST_STAMP := $(call flags_stamp,host,HOST_CC HOST_CFLAGS HOST_LDFLAGS HOST_LIBS)
HOST_SUPPORT := $(filter-out tests/host/test_%.c,$(wildcard tests/host/*.c))
# test_translated is test_queue.c built once more, on a platform whose DMA
# addresses are not its pointers (VBLK_PLAT_VIRT_TO_PHYS: the host
# platform adds 1 TiB, the fake device takes it off), so every address
# the driver gives the device must have gone through plat_virt_to_phys.
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c)) \
              $(BUILD)/host/test_translated
# Per-test flags: test_noncoherent models a cache that DMA does not snoop.
HOST_FLAGS_test_noncoherent := -DVBLK_NONCOHERENT_DMA
# test_noncoherent_disk: the whole driver, the fake device on a shadow of
# static memory that only the cache maintenance calls reach (host_platform.h).
HOST_FLAGS_test_noncoherent_disk := -DVBLK_NONCOHERENT_DMA -DHOST_SHADOW_DMA
HOST_FLAGS_test_translated := -DVBLK_PLAT_VIRT_TO_PHYS
# test_irq_recheck: the wait's look at the interrupt status after every
# sleep of 1 us, none spun first, so it races every device event.
HOST_FLAGS_test_irq_recheck := -DVBLK_IRQ_POLL_US=0u -DVBLK_IRQ_RECHECK_US=1u
# test_trace: the library with its trace lines on (make TRACE=1).
HOST_FLAGS_test_trace := -DVBLK_TRACE=1
HOST_MAIN_test_translated := tests/host/test_queue.c
# Per-test sources beyond the library: test_fdt also holds the runtime's
# board parser to the same trees.
HOST_SRCS_test_fdt := drivers/board.c
$(BUILD)/host/test_fdt: $(HOST_SRCS_test_fdt)
# test_mmu builds the runtime's page tables and walks them.
HOST_SRCS_test_mmu := boot/mmu_tables.c
$(BUILD)/host/test_mmu: $(HOST_SRCS_test_mmu)
# test_boot_plan: the bootloader's Image header and RAM placement.
HOST_SRCS_test_boot_plan := examples/bootloader/image.c examples/bootloader/chosen.c \
                            examples/bootloader/load.c
$(BUILD)/host/test_boot_plan: $(HOST_SRCS_test_boot_plan) examples/bootloader/bootloader.h
# Every header the library and the tests may include.
SRC_HEADERS = $(wildcard include/vblk/*.h $(addsuffix /*.h,$(LIB_DIRS) $(RT_DIRS)))

# The library and the test support are compiled once per set of flags (a
# variant: `base`, or a test with HOST_FLAGS_<test> of its own), not once
# per test, and each test links its main file against its variant's
# objects. A header change recompiles every object of the variants used.
HOST_HEADERS = $(wildcard tests/host/*.h) $(SRC_HEADERS)
# Every test given HOST_FLAGS_<test> above is a variant of its own: the
# list is read from the variables, so a new one cannot link base objects.
HOST_VARIANTS := base $(patsubst HOST_FLAGS_%,%,$(filter HOST_FLAGS_%,$(.VARIABLES)))
host_variant = $(if $(filter $(1),$(HOST_VARIANTS)),$(1),base)
host_objs = $(patsubst %.c,$(BUILD)/host/obj/$(1)/%.o,$(HOST_SUPPORT) $(LIB_SRCS))

define host_variant_rules
$(BUILD)/host/obj/$(1)/%.o: %.c $$(HOST_HEADERS) $$(HOST_STAMP)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  HOSTCC  $$@")
	$$(Q)$$(HOST_CC) $$(HOST_CFLAGS) $$(HOST_FLAGS_$(1)) -c $$< -o $$@
endef
$(foreach v,$(HOST_VARIANTS),$(eval $(call host_variant_rules,$(v))))

# The test's name is the target's file name (an explicit rule has no $*).
define host_link
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTLD  $@")
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(HOST_FLAGS_$(@F)) $(HOST_LDFLAGS) -o $@ $< \
	    $(call host_objs,$(call host_variant,$(@F))) $(HOST_SRCS_$(@F)) $(HOST_LIBS)
endef

$(foreach v,$(filter-out base,$(HOST_VARIANTS)),$(eval $(BUILD)/host/$(v): $(call host_objs,$(v))))
$(BUILD)/host/test_translated: $(HOST_MAIN_test_translated) $(HOST_HEADERS) $(HOST_STAMP)
	$(host_link)
# Named here, not only in the pattern rule below, so make keeps them after
# the links instead of deleting them as intermediate files.
$(filter-out $(addprefix $(BUILD)/host/,$(HOST_VARIANTS)),$(HOST_TESTS)): $(call host_objs,base)

$(BUILD)/host/%: tests/host/%.c $(HOST_HEADERS) $(HOST_STAMP) $(call host_objs,base)
	$(host_link)

# The test builds run in parallel (one job per CPU) unless make was given
# its own -j.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_MAKE = $(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(TEST_JOBS))

test-host:
	$(Q)tools/deps.sh test
	+$(Q)$(TEST_MAKE) $(HOST_TESTS)
	$(Q)tests/run-host.sh $(HOST_TESTS)

# The host tests built with gcc's --coverage (no sanitizers) in
# BUILD/coverage and run; tools/coverage.py then prints what they
# executed of each library file and lists the lines of the driver core
# none executed (COVERAGE_FOLDERS="pci fdt" for others). Not a layer of
# make test: a guide to where a test may be missing.
COVERAGE_FOLDERS ?= blk vring virtio
.PHONY: coverage
coverage:
	$(Q)tools/deps.sh test
	$(Q)find $(BUILD)/coverage -name '*.gcda' -delete 2>/dev/null || true
	+$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/coverage HOST_CHECKS='-O0 --coverage' test-host
	$(Q)tools/coverage.py $(BUILD)/coverage $(COVERAGE_FOLDERS)

# diskpat writes and checks the disk patterns the QEMU tests use (host tool).
$(BUILD)/tools/diskpat: tools/diskpat.c tools/pattern.h $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) -std=c11 -O2 -Wall -Wextra -Werror -I. -o $@ $<

QEMU_TEST_FILES := $(BUILD)/vblk-test.elf $(BUILD)/vblk-test.bin $(BUILD)/tools/diskpat \
                   $(BUILD)/firmware.elf $(BUILD)/bootloader.elf $(BUILD)/bootloader.bin \
                   $(BUILD)/initrd.cpio

# Every image a row of tests/qemu/configs.txt boots, each built with its
# own APP (one per make run: APP picks the program linked).
.PHONY: qemu-test-images
qemu-test-images:
	+$(Q)$(TEST_MAKE) all $(QEMU_TEST_FILES)
	$(Q)$(MAKE) --no-print-directory APP=examples/checksum.c $(BUILD)/checksum.elf
	$(Q)$(MAKE) --no-print-directory APP=tests/qemu/big_bss.c $(BUILD)/big_bss.elf $(BUILD)/big_bss.bin
	$(Q)$(MAKE) --no-print-directory APP=bench/bench.c $(BUILD)/bench.elf
	$(Q)$(MAKE) --no-print-directory lab-images

test-qemu:
	$(Q)tools/deps.sh test
	$(Q)$(MAKE) --no-print-directory qemu-test-images
	$(Q)tests/qemu/run.sh $(BUILD)

# ---- fuzzers (clang libFuzzer, ASan + UBSan) ----------------------------
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -g -O1 -DVBLK_HOST -Iinclude -I. \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_STAMP := $(call flags_stamp,fuzz,FUZZ_CC FUZZ_CFLAGS)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TIME ?= 60

# Each fuzzer links only the code it drives (FUZZ_SRCS_<target>), with
# its own extra flags if any (FUZZ_FLAGS_<target>).
# The device-tree reader: every file of fdt/ but the writer's.
FDT_READ_SRCS := $(filter-out fdt/write.c fdt/edit.c,$(wildcard fdt/*.c))
FUZZ_SRCS_fuzz_fdt := $(FDT_READ_SRCS) virtio/dt.c blk/dt_scan.c drivers/board.c \
                      pci/dt.c pci/dt_intx.c pci/ecam.c tests/host/host_platform.c
FUZZ_FLAGS_fuzz_fdt := -DVBLK_HOST_NO_CMOCKA
$(BUILD)/fuzz/fuzz_fdt: drivers/board.c tests/host/host_platform.c tests/host/host_platform.h
FUZZ_SRCS_fuzz_used_ring := vring/split.c vring/split_indirect.c vring/split_frame.c
# The device-tree writer and the reader it is checked with.
FUZZ_SRCS_fuzz_fdt_write := $(FDT_READ_SRCS) fdt/write.c fdt/edit.c
# PCI enumeration and BAR assignment on a fake ECAM built from the input.
FUZZ_SRCS_fuzz_pci := $(wildcard pci/*.c) $(FDT_READ_SRCS) tests/host/host_platform.c \
                      tests/host/fake_pci.c tests/host/fake_pci_device.c
FUZZ_FLAGS_fuzz_pci := -DVBLK_HOST_NO_CMOCKA
$(BUILD)/fuzz/fuzz_pci: tests/host/fake_pci.c tests/host/fake_pci_device.c $(wildcard tests/host/*.h)
FUZZ_SRCS_fuzz_packed_ring := vring/packed.c vring/split.c vring/split_frame.c  # split.c: the chain checks both use
# The virtio-pci transport's probe and ops on one function built from the
# input (its config space, BARs and register values).
FUZZ_SRCS_fuzz_virtio_pci := virtio/pci.c $(wildcard pci/*.c) $(FDT_READ_SRCS) \
                             tests/host/host_platform.c tests/host/fake_pci.c \
                             tests/host/fake_pci_device.c
FUZZ_FLAGS_fuzz_virtio_pci := -DVBLK_HOST_NO_CMOCKA
$(BUILD)/fuzz/fuzz_virtio_pci: tests/host/fake_pci.c tests/host/fake_pci_device.c \
                               $(wildcard tests/host/*.h)
# The GPT reader alone, on sparse disks the input describes (no driver:
# part/part.c, which binds it to vblk_read, is left out).
FUZZ_SRCS_fuzz_gpt := part/crc32.c part/gpt.c part/gpt_header.c part/gpt_find.c \
                      tests/host/gpt_image.c
$(BUILD)/fuzz/fuzz_gpt: tests/host/gpt_image.c tests/host/gpt_image.h
# The whole driver on the fake device, without cmocka (host_fail aborts);
# -no-pie for the same reason as HOST_LDFLAGS (legacy 32-bit QueuePFN);
# only 64 KiB of disk kept in memory, as a device is created per input;
# the ring points of host_platform.c (VBLK_HOST_RING_POINTS, as the unit
# tests), which the fuzzers of the ring alone do not link.
FUZZ_HOST_SRCS := tests/host/host_platform.c $(wildcard tests/host/fake_virtio*.c) \
                  tests/host/fake_pci.c tests/host/fake_pci_device.c
FUZZ_SRCS_fuzz_config := $(LIB_SRCS) $(FUZZ_HOST_SRCS)
FUZZ_FLAGS_fuzz_config := -DVBLK_HOST_NO_CMOCKA -DVBLK_HOST_RING_POINTS -no-pie \
                          -DFAKE_DISK_BACKED_MAX_SECTORS=128
$(BUILD)/fuzz/fuzz_config: $(FUZZ_HOST_SRCS) $(wildcard tests/host/*.h)
# The same, driven by a program of steps; a 16-entry queue (8 requests),
# so the fuzzer's few dozen bios fill it, and 128 KiB of disk, the most a
# resize in its programs makes.
FUZZ_SRCS_fuzz_queue := $(LIB_SRCS) $(FUZZ_HOST_SRCS)
FUZZ_FLAGS_fuzz_queue := -DVBLK_HOST_NO_CMOCKA -DVBLK_HOST_RING_POINTS -no-pie \
                         -DFAKE_DISK_BACKED_MAX_SECTORS=256 \
                         -DVBLK_QUEUE_SIZE=16
$(BUILD)/fuzz/fuzz_queue: $(FUZZ_HOST_SRCS) $(wildcard tests/host/*.h)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(LIB_SRCS) $(SRC_HEADERS) \
                  $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS_$*) -o $@ $< $(FUZZ_SRCS_$*)

# make fuzz [FUZZ_TIME=s]: each target for FUZZ_TIME seconds, growing a
# corpus under build/fuzz/corpus (copy finds worth keeping into tests/fuzz/corpus).
fuzz:
	$(Q)tools/deps.sh test
	+$(Q)$(TEST_MAKE) $(FUZZ_TARGETS)
	$(Q)FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh $(BUILD)

test:
	$(Q)tools/deps.sh test
	+$(Q)$(TEST_MAKE) $(HOST_TESTS) $(FUZZ_TARGETS)
	$(Q)$(MAKE) --no-print-directory qemu-test-images
	$(Q)HOST_TESTS="$(HOST_TESTS)" tests/run-all.sh $(BUILD)

# make test-full: the same layers at full size: the integrity matrix on
# 256 MiB disks (make test: 8 MiB) and each fuzzer for 60 s (make test: 5).
test-full:
	$(Q)MATRIX_DISK_MIB=256 FUZZ_TIME=60 $(MAKE) --no-print-directory test

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
