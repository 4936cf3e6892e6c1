# SPDX-License-Identifier: MIT
# examples/runtime-app.mk: an application on vblk's runtime (boot code,
# MMU, console, GIC; `int main(void)`), built outside vblk's tree against
# an install (make install PREFIX=...), as `make APP=` builds one inside:
#
#   make -f path/to/runtime-app.mk VBLK_DIR=/prefix APP=my.c O=out
#
# gives out/my.elf, booted like build/vblk.elf. One C file for brevity;
# a project lists its own. The installed vblk.mk supplies the paths.

VBLK_DIR ?= /usr/local
APP ?= $(error APP=your_program.c)
O ?= build
include $(VBLK_DIR)/share/vblk/vblk.mk

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

$(PROGRAM).elf: $(APP) $(VBLK_LIBS) $(VBLK_RT_LIBS)
	@mkdir -p $(O)
	$(CC) $(CFLAGS) -c $(APP) -o $(PROGRAM).o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ -Wl,--whole-archive $(VBLK_RT_LIBS) -Wl,--no-whole-archive \
	    $(PROGRAM).o $(VBLK_LIBS) -Wl,--start-group -lc -lgcc -Wl,--end-group
