/* SPDX-License-Identifier: MIT */
/*
 * Module files compressed one by one for the image's module segment (modpack.h), through a
 * cache of earlier results, on several threads.
 * The compressors are deterministic (one thread per file, fixed parameters), so the same input
 * gives the same bytes with a cold cache, a warm one or none: a cache entry is keyed by the
 * SHA-256 of the format, the level, the compressor library's version and the input bytes.
 * The cache is an optimisation only: a missing, unwritable, foreign-owned, full or corrupt
 * cache never fails a build. Such a problem is reported once with rf_warn (log.h) and the
 * build goes on without it; a corrupt entry (its stored digest does not match) is ignored and
 * replaced. Entries are written to a temporary file and renamed into place, so concurrent
 * builds sharing a directory only ever see whole entries. The directory is kept under its
 * bound by removing the least recently used entries (a hit refreshes an entry's mtime).
 * Formats: RF_COMP_ZSTD (with a content checksum) and RF_COMP_XZ (CRC32 check, LZMA2 with a
 * 1 MiB dictionary, as kbuild compresses modules, so the kernel can decompress it itself).
 * Ownership: each job's `out` is malloc'd by rf_zcache_compress, freed by the caller (on
 * failure no job keeps one: every `out` is NULL).
 * Errors: -errno with the failing job's name and why in rf_err (only for failures of the
 * compression itself, such as -ENOMEM: never for the cache).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decompress.h"
#include "util.h"

#define RF_ZCACHE_MAX_DEFAULT ((uint64_t)1 << 30) /* 1 GiB */
#define RF_MODPACK_ZSTD_LEVEL 19
#define RF_MODPACK_XZ_LEVEL 9 /* with LZMA_PRESET_EXTREME */

struct rf_zcache;

struct rf_zjob {
	const char *name;         /* for messages: the module's name */
	const unsigned char *in;  /* the bytes to compress (the caller's) */
	size_t inlen;
	unsigned char *out;       /* set: the compressed bytes */
	size_t outlen;
	bool hit;                 /* set: taken from the cache */
};

struct rf_zcache_report {
	size_t hits, misses, stored, corrupt; /* corrupt: entries found bad and ignored */
	uint64_t in_bytes, out_bytes;
	double seconds; /* wall time of rf_zcache_compress */
};

/* Open (and create, mode 0700 with its parents) the cache directory dir, bounded to max_bytes
 * (0: RF_ZCACHE_MAX_DEFAULT). Never fails: returns NULL (after one rf_warn saying why) when
 * the directory cannot be used, e.g. it is not owned by the caller or writable by others. */
struct rf_zcache *rf_zcache_open(const char *dir, uint64_t max_bytes);

/* Compress every job as c (RF_COMP_ZSTD or RF_COMP_XZ) at level (-1: RF_MODPACK_*_LEVEL) on
 * `threads` threads (0: one per CPU, at most 8). zc may be NULL (no cache). rep may be NULL. */
int rf_zcache_compress(struct rf_zcache *zc, enum rf_comp c, int level, struct rf_zjob *jobs,
		       size_t n, int threads, struct rf_zcache_report *rep, struct rf_err *err);

/* Trim the directory to its bound and free zc (NULL: nothing). */
void rf_zcache_close(struct rf_zcache *zc);
