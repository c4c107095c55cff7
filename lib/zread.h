/* SPDX-License-Identifier: MIT */
/*
 * One compressed stream of an image, decompressed the way the kernel's decompressor for its
 * format reads it (lib/decompress_*.c): it stops at the end of that one stream (one gzip
 * member, one zstd frame, one xz or bzip2 stream; lz4's legacy format runs to the end of the
 * data or to a zero chunk size) and tells how many compressed bytes it took, so that the
 * caller can go on with what follows, as the kernel's unpack_to_rootfs does.
 * Ownership: rf_zread_new returns an object freed with rf_zread_free; the bytes rf_zread_next
 * hands out are borrowed until the next call.
 * Errors: -EBADMSG (corrupt or truncated data), -EFBIG (more memory than allowed), -ENOTSUP,
 * -ENOMEM, or a read's -errno; rf_err says why, without the image's name.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "inspect.h"
#include "util.h"

/* xz and lzma: the most a stream may ask for (xz -9 needs 65 MiB). */
#define RF_ZREAD_XZ_MEMLIMIT (256ULL << 20)

struct rf_zread;

/* The stream of format c (not RF_INSPECT_NONE) at offset in fd; end is the file's size. */
int rf_zread_new(struct rf_zread **out, enum rf_inspect_compress c, int fd, uint64_t offset,
		 uint64_t end, struct rf_err *err);
/* The next decompressed bytes: 1 with *p and *n set, 0 at the end of the stream, or -errno. */
int rf_zread_next(struct rf_zread *z, const void **p, size_t *n, struct rf_err *err);
/* Compressed bytes taken so far; once rf_zread_next returned 0, the stream's exact length. */
uint64_t rf_zread_consumed(const struct rf_zread *z);
void rf_zread_free(struct rf_zread *z);
