# SPDX-License-Identifier: MIT
# vblk.mk: vblk for a Make-based firmware, in one include line.
#
#   VBLK_DIR := path/to/vblk
#   include $(VBLK_DIR)/vblk.mk
#
# VBLK_DIR is either a vblk source tree (then the firmware compiles the
# sources listed here with its own rules) or a prefix `make install
# PREFIX=...` filled (then it links the installed archive); this file
# tells them apart by whether $(VBLK_DIR)/blk exists. It defines only
# variables whose names start with VBLK_ and adds no rules, so it can be
# included anywhere in a Makefile:
#
#   VBLK_VERSION   the VERSION file's "MAJOR.MINOR.PATCH"
#   VBLK_SRCS      libvblk's C sources (source tree; empty when installed)
#   VBLK_RT_SRCS   the vblk runtime's .S and .c files, for an image that
#                  boots on vblk's own runtime instead of its own entry
#                  (linked with $(VBLK_RT_LDSCRIPT); see README.md)
#   VBLK_INCLUDES  -I for the public headers: what the firmware's own
#                  files need to include "vblk/vblk.h"
#   VBLK_CFLAGS    what vblk's own sources must be compiled with: the
#                  public and internal include paths, the language and
#                  freestanding flags, and VBLK_CONFIG
#   VBLK_DEFINES   the tunables (include/vblk/config.h) as -D flags; give
#                  them to every file that includes a vblk header, since
#                  VBLK_ALIGNED and the limits must agree with the library
#   VBLK_LIBS      the installed archive to link (empty in a source tree)
#   VBLK_RT_LIBS   the installed runtime archive (empty in a source tree)
#
# Set VBLK_CONFIG before the include to change a tunable, e.g.
# VBLK_CONFIG := -DVBLK_QUEUE_SIZE=64. Your compiler and C library are
# yours to choose: vblk needs a C11 compiler for aarch64 and the headers
# string.h, stdint.h, stddef.h, stdbool.h (newlib, picolibc).

ifeq ($(strip $(VBLK_DIR)),)
  $(error vblk.mk: set VBLK_DIR to vblk's source tree or install prefix before including it)
endif

# Paths read $(VBLK_DIR)/x, or plain x when VBLK_DIR is "." (the
# project's own Makefile), so object names do not start with "./".
vblk_path = $(if $(filter .,$(VBLK_DIR)),$(1),$(addprefix $(VBLK_DIR)/,$(1)))

VBLK_CONFIG ?=

# Needed by every vblk source, whatever else the firmware's flags hold:
# C11; no hosted library or stack protector behind the code's back;
# -mstrict-align because firmware may run vblk before its MMU is on, when
# every access is to Device memory and an unaligned one faults.
VBLK_REQUIRED_CFLAGS := -std=c11 -ffreestanding -fno-stack-protector -mstrict-align

ifneq ($(wildcard $(VBLK_DIR)/blk),)
  VBLK_VERSION := $(strip $(file <$(VBLK_DIR)/VERSION))
  # The library is its folders: a new file lands where its folder says
  # (the same folders make libvblk.a and libvblk-rt.a in vblk's Makefile).
  VBLK_LIB_DIRS := blk vring virtio fdt plat pci part
  VBLK_RT_DIRS  := boot drivers
  VBLK_SRCS     := $(wildcard $(call vblk_path,$(addsuffix /*.c,$(VBLK_LIB_DIRS))))
  VBLK_RT_SRCS  := $(wildcard $(call vblk_path,$(addsuffix /*.S,$(VBLK_RT_DIRS)) \
                                            $(addsuffix /*.c,$(VBLK_RT_DIRS))))
  VBLK_RT_LDSCRIPT := $(call vblk_path,linker.ld)
  VBLK_INCLUDES := -I$(call vblk_path,include)
  VBLK_DEFINES   = $(filter -D%,$(VBLK_CONFIG))
  # vblk's sources name their internal headers from the top ("blk/...").
  VBLK_CFLAGS    = $(VBLK_REQUIRED_CFLAGS) $(VBLK_INCLUDES) -I$(VBLK_DIR) $(VBLK_DEFINES)
  VBLK_LIBS     :=
  VBLK_RT_LIBS  :=
else ifneq ($(wildcard $(VBLK_DIR)/lib/libvblk.a),)
  # An install prefix: vblk-installed.mk, written by make install beside
  # this file, says which version and tunables the archive was built with.
  include $(VBLK_DIR)/share/vblk/vblk-installed.mk
  ifneq ($(strip $(VBLK_CONFIG)),)
    $(error vblk.mk: VBLK_CONFIG applies to a source tree; $(VBLK_DIR) was built with '$(VBLK_INSTALLED_DEFINES)')
  endif
  VBLK_SRCS     :=
  VBLK_RT_SRCS  :=
  VBLK_RT_LDSCRIPT := $(VBLK_DIR)/share/vblk/linker.ld
  VBLK_INCLUDES := -I$(VBLK_DIR)/include
  VBLK_CFLAGS    = $(VBLK_REQUIRED_CFLAGS) $(VBLK_INCLUDES) $(VBLK_DEFINES)
  VBLK_DEFINES  := $(VBLK_INSTALLED_DEFINES)
  VBLK_LIBS     := $(VBLK_DIR)/lib/libvblk.a
  VBLK_RT_LIBS  := $(VBLK_DIR)/lib/libvblk-rt.a
else
  $(error vblk.mk: VBLK_DIR=$(VBLK_DIR) holds neither vblk's sources (blk/) nor an install (lib/libvblk.a))
endif
