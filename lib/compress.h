/* SPDX-License-Identifier: MIT */
/*
 * A compressing sink: bytes in, the compressed stream out to a file descriptor, in the variant
 * the kernel's initramfs unpacker accepts (zstd, gzip, xz with CRC32, lz4 legacy, none).
 * Used by the archive writer (archive.h includes this header, never the other way). Errors: -errno; the message is kept in the sink (and in rf_err
 * where one is passed) so a failure inside a libarchive callback is still reported exactly.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum rf_compress { RF_COMPRESS_ZSTD, RF_COMPRESS_GZIP, RF_COMPRESS_XZ, RF_COMPRESS_LZ4, RF_COMPRESS_NONE };

/* "zstd" -> RF_COMPRESS_ZSTD ...; -EINVAL for an unknown name. */
int rf_compress_parse(const char *name, enum rf_compress *out);
const char *rf_compress_name(enum rf_compress c);

struct rf_zsink;

/* Default levels, chosen by measurement (see compress.c). */
#define RF_ZSTD_LEVEL_DEFAULT 3
/* Small images (a host's few modules and the init) get level 9: on Debian's 6.1 kernel the
 * virtio_pci+virtio_blk+ext4 image shrinks from 1030 KB to 928 KB for 40 ms more, while a
 * generic image (60 MB in) at level 9 would take 4x longer than at 3. zstd unpacks at the same
 * speed at either level, so the boot only gains. */
#define RF_ZSTD_LEVEL_SMALL 9
#define RF_ZSTD_SMALL_INPUT (32u << 20)
#define RF_GZIP_LEVEL_DEFAULT 6
#define RF_XZ_LEVEL_DEFAULT 6
#define RF_LZ4_LEVEL_DEFAULT 1

/* level -1: the default; threads 0: one per CPU. *out is freed with rf_zsink_free. */
int rf_zsink_new(struct rf_zsink **out, int fd, enum rf_compress c, int level, int threads,
		 struct rf_err *err);
int rf_zsink_write(struct rf_zsink *z, const void *buf, size_t len);
/* Flush and end the stream. Returns the compressed bytes written to fd, or -errno. */
int64_t rf_zsink_finish(struct rf_zsink *z, struct rf_err *err);
/* The first error (0 if none) and its message. */
int rf_zsink_error(const struct rf_zsink *z);
const char *rf_zsink_message(const struct rf_zsink *z);
void rf_zsink_free(struct rf_zsink *z);
