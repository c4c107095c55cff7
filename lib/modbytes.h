/* SPDX-License-Identifier: MIT */
/*
 * A module file's bytes in memory: read and decompressed (.ko.zst, .ko.xz, .ko.gz as their
 * names say), and compressed again in the same format, in the variant the kernel and
 * ramforge-init read (zstd with a checksum, xz with CRC32, gzip without a name or time), for
 * a module whose bytes changed on the way into the image (a signature appended).
 * Ownership: *out buffers are malloc'd, the caller frees them.
 * Errors: -errno with "PATH: why" (or "compressing as FORMAT: why") in rf_err.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "decompress.h"
#include "util.h"

#define RF_MODBYTES_MAX ((uint64_t)1 << 30) /* -EFBIG past it, as the decompressor */

int rf_modbytes_read(const char *path, unsigned char **out, size_t *outlen, struct rf_err *err);
/* c RF_COMP_NONE: a copy. Deterministic: the same bytes give the same output. */
int rf_modbytes_compress(enum rf_comp c, const unsigned char *p, size_t n, unsigned char **out,
			 size_t *outlen, struct rf_err *err);
