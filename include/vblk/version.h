/* SPDX-License-Identifier: MIT */
/*
 * The library's version, semantic versioning (https://semver.org): while
 * the major number is 0 a minor step may change the API, a patch step
 * does not. The top-level VERSION file is the source; `make test` fails
 * if these numbers say otherwise (tests/run-build.sh), so a release
 * changes both together and CHANGELOG.md says what changed.
 */
#ifndef VBLK_VERSION_H
#define VBLK_VERSION_H

#define VBLK_VERSION_MAJOR 0
#define VBLK_VERSION_MINOR 4
#define VBLK_VERSION_PATCH 0

/* The same as one string, "MAJOR.MINOR.PATCH". */
#define VBLK_VERSION "0.4.0"

/* One number that compares in order: 0x00MMmmpp (e.g. 0x000400 for
 * 0.4.0), for `#if VBLK_VERSION_NUMBER >= VBLK_VERSION_AT(0, 4, 0)`. */
#define VBLK_VERSION_AT(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))
#define VBLK_VERSION_NUMBER \
	VBLK_VERSION_AT(VBLK_VERSION_MAJOR, VBLK_VERSION_MINOR, VBLK_VERSION_PATCH)

#endif
