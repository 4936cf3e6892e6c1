# SPDX-License-Identifier: MIT
# aarch64-toolchain.cmake: the cross toolchain vblk's Makefile picks, for
# CMake builds of vblk and of firmware that uses it:
#
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=path/to/vblk/cmake/aarch64-toolchain.cmake
#
# aarch64-none-elf-gcc (with its newlib) when it is installed, else
# Debian's aarch64-linux-gnu-gcc used freestanding with picolibc (package
# picolibc-aarch64-linux-gnu). -DVBLK_CROSS_COMPILE=prefix- chooses
# another, as make's CROSS_COMPILE does; -DVBLK_PICOLIBC_DIR=dir another
# picolibc. Programs link with -nostdlib and the C library named here; the
# firmware gives its own link script.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

# CMake reads this file again for each try_compile, in a fresh scope; the
# choice is a cache entry so every reading takes the same compiler.
if(NOT VBLK_CROSS_COMPILE)
	find_program(_vblk_none_elf_gcc aarch64-none-elf-gcc)
	if(_vblk_none_elf_gcc)
		set(_vblk_prefix aarch64-none-elf-)
	else()
		set(_vblk_prefix aarch64-linux-gnu-)
	endif()
	set(VBLK_CROSS_COMPILE "${_vblk_prefix}" CACHE STRING "cross compiler prefix (make's CROSS_COMPILE)")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VBLK_CROSS_COMPILE VBLK_PICOLIBC_DIR)

set(CMAKE_C_COMPILER "${VBLK_CROSS_COMPILE}gcc")
set(CMAKE_ASM_COMPILER "${VBLK_CROSS_COMPILE}gcc")
# No hosted C library to link a test program against: compiler checks
# build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

set(_vblk_flags "-mcpu=cortex-a53")
set(_vblk_link "-nostdlib -static -no-pie")
if(VBLK_CROSS_COMPILE STREQUAL "aarch64-linux-gnu-")
	# Debian's Linux compiler used freestanding: picolibc's headers and
	# the compiler's own (stddef.h, stdint.h), nothing from glibc.
	if(NOT VBLK_PICOLIBC_DIR)
		set(VBLK_PICOLIBC_DIR /usr/lib/picolibc/aarch64-linux-gnu CACHE PATH "picolibc for aarch64")
	endif()
	execute_process(COMMAND "${CMAKE_C_COMPILER}" -print-file-name=include
		OUTPUT_VARIABLE _vblk_gcc_include OUTPUT_STRIP_TRAILING_WHITESPACE)
	string(APPEND _vblk_flags " -nostdinc -isystem ${VBLK_PICOLIBC_DIR}/include"
		" -isystem ${_vblk_gcc_include}")
	# integer-only printf: vblk's programs never print floating point
	string(APPEND _vblk_link " -L${VBLK_PICOLIBC_DIR}/lib -Wl,--defsym=vfprintf=__i_vfprintf")
endif()
set(CMAKE_C_FLAGS_INIT "${_vblk_flags}")
set(CMAKE_ASM_FLAGS_INIT "${_vblk_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_vblk_link}")
set(CMAKE_C_STANDARD_LIBRARIES "-Wl,--start-group -lc -lgcc -Wl,--end-group")
