/* SPDX-License-Identifier: MIT */
/*
 * The blob header's layout (Devicetree Specification v0.4 §5.2), shared by
 * the reader (fdt/open.c, fdt/struct.c) and the writer (fdt/write.c). Every field is a
 * big-endian 32-bit word at the byte offset named here.
 */
#ifndef VBLK_FDT_HEADER_H
#define VBLK_FDT_HEADER_H

#define HDR_MAGIC             0u
#define HDR_TOTALSIZE         4u
#define HDR_OFF_DT_STRUCT     8u
#define HDR_OFF_DT_STRINGS   12u
#define HDR_OFF_MEM_RSVMAP   16u
#define HDR_VERSION          20u
#define HDR_LAST_COMP        24u
#define HDR_SIZE_DT_STRINGS  32u
#define HDR_SIZE_DT_STRUCT   36u
#define HDR_BYTES_V16        36u   /* up to and including size_dt_strings */
#define HDR_BYTES_V17        40u   /* adds size_dt_struct */

#define FDT_FIRST_VERSION    16u   /* oldest layout we read */
#define FDT_NEWEST_COMPAT    17u   /* newest layout we know */
#define FDT_VERSION_STRUCT_SIZE 17u /* first version with size_dt_struct */

/* Offsets are handed out as int, so no block may reach past INT32_MAX. */
#define FDT_MAX_TOTAL_BYTES  0x7fffffffu

/* FDT_PROP is followed by two words: value length and name offset. */
#define PROP_HDR_BYTES       (3u * FDT_TOKEN_BYTES)

/* A memory reservation entry: 64-bit address and size (§5.3); the block
 * ends with an entry of both 0. */
#define RSVMAP_ENTRY_BYTES   16u
#define RSVMAP_ALIGN          8u

#endif
