/* SPDX-License-Identifier: MIT */
/*
 * Compressed kernel modules (.ko.zst, .ko.xz, .ko.gz): which format a path has, and reading one
 * into memory decompressed, for init_module when the kernel cannot decompress it itself.
 * Shared by the builder (which checks each module before packing it) and the init.
 * Ownership: *out is malloc'd, the caller frees it. Errors: -errno (-EBADMSG for corrupt or
 * truncated data or another format than the name says, -EFBIG past 1 GiB of output).
 */
#pragma once
#include <stddef.h>

enum rf_comp { RF_COMP_NONE, RF_COMP_ZSTD, RF_COMP_XZ, RF_COMP_GZIP };

enum rf_comp rf_comp_of(const char *path);
/* The name the kernel uses in /sys/module/compression: "zstd", "xz", "gzip". */
const char *rf_comp_name(enum rf_comp c);
int rf_decompress_fd(int fd, enum rf_comp c, void **out, size_t *outlen);
/* The same on the n bytes at in (an image's entry). */
int rf_decompress_mem(const void *in, size_t n, enum rf_comp c, void **out, size_t *outlen);
