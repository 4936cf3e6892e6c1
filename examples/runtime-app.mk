# SPDX-License-Identifier: MIT
# examples/runtime-app.mk: an application on vblk's runtime (boot code,
# MMU, console, GIC; `int main(void)`), built outside vblk's tree, as
# `make APP=` builds one inside, against an install (make install
# PREFIX=...) or a copy of vblk's source tree:
#
#   make -f path/to/runtime-app.mk VBLK_DIR=/prefix-or-tree APP=my.c O=out
#
# gives out/my.elf, booted like build/vblk.elf. One C file for brevity;
# a project lists its own. vblk.mk supplies the paths: an install's
# archives, or a tree's sources, compiled here with its VBLK_CFLAGS.

VBLK_DIR ?= /usr/local
APP ?= $(error APP=your_program.c)
O ?= build
include $(firstword $(wildcard $(VBLK_DIR)/share/vblk/vblk.mk) $(VBLK_DIR)/vblk.mk)

ifeq ($(origin CROSS_COMPILE),undefined)
  CROSS_COMPILE := $(if $(shell command -v aarch64-none-elf-gcc 2>/dev/null),aarch64-none-elf-,aarch64-linux-gnu-)
endif
CC := $(CROSS_COMPILE)gcc
ifeq ($(CROSS_COMPILE),aarch64-linux-gnu-)
  PICOLIBC ?= /usr/lib/picolibc/aarch64-linux-gnu
  LIBC_CFLAGS := -nostdinc -isystem $(PICOLIBC)/include \
                 -isystem $(shell $(CC) -print-file-name=include)
  # integer-only printf, as vblk's own images link it
  LIBC_LDFLAGS := -L$(PICOLIBC)/lib -Wl,--defsym=vfprintf=__i_vfprintf
endif
CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pie -mcpu=cortex-a53 \
          -ffunction-sections -fdata-sections $(LIBC_CFLAGS) $(VBLK_INCLUDES) $(VBLK_DEFINES)
# The runtime's archive whole: its entry, vectors and exit path are
# reached from nothing the application calls.
LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--no-warn-rwx-segments \
           -T $(VBLK_RT_LDSCRIPT) $(LIBC_LDFLAGS)
PROGRAM := $(O)/$(basename $(notdir $(APP)))
.DEFAULT_GOAL := $(PROGRAM).elf

# From a source tree: vblk's files, compiled with the flags vblk.mk gives
# for them (empty lists from an install). The runtime's objects are all
# linked, as its archive is whole below: its entry, vectors and exit
# path are reached from nothing the application calls.
# Objects are named by their path inside the tree, so that a relative
# VBLK_DIR (../vblk, ../../x/vblk) cannot lead them out of $(O).
VBLK_SRC_ROOT := $(if $(filter .,$(VBLK_DIR)),,$(VBLK_DIR)/)
vblk_objs = $(patsubst %,$(O)/vblk/%.o,$(basename $(patsubst $(VBLK_SRC_ROOT)%,%,$(1))))
VBLK_LIB_OBJS := $(call vblk_objs,$(VBLK_SRCS))
VBLK_RT_OBJS := $(call vblk_objs,$(VBLK_RT_SRCS))
VBLK_OWN_CFLAGS := -O2 -g -Wall -Wextra -Werror -fno-pie -mcpu=cortex-a53 \
                   -ffunction-sections -fdata-sections $(LIBC_CFLAGS) $(VBLK_CFLAGS)
# Every object depends on the headers it read (-MMD) and on the flags it
# was compiled with (the stamp): a tunable changed, or a header of an
# updated tree, rebuilds what it touches, so no object of an old layout
# is linked with new ones.
VBLK_FLAGS_STAMP := $(O)/vblk/flags
$(VBLK_FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(VBLK_OWN_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(VBLK_OWN_CFLAGS)' >$@
FORCE:
$(O)/vblk/%.o: $(VBLK_SRC_ROOT)%.c $(VBLK_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(VBLK_OWN_CFLAGS) -MMD -MP -c $< -o $@
$(O)/vblk/%.o: $(VBLK_SRC_ROOT)%.S $(VBLK_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(VBLK_OWN_CFLAGS) -MMD -MP -c $< -o $@
-include $(VBLK_LIB_OBJS:.o=.d) $(VBLK_RT_OBJS:.o=.d)

$(PROGRAM).elf: $(APP) $(VBLK_LIBS) $(VBLK_RT_LIBS) $(VBLK_LIB_OBJS) $(VBLK_RT_OBJS)
	@mkdir -p $(O)
	$(CC) $(CFLAGS) -c $(APP) -o $(PROGRAM).o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(VBLK_RT_OBJS) \
	    -Wl,--whole-archive $(VBLK_RT_LIBS) -Wl,--no-whole-archive \
	    $(PROGRAM).o $(VBLK_LIB_OBJS) $(VBLK_LIBS) -Wl,--start-group -lc -lgcc -Wl,--end-group
