/* SPDX-License-Identifier: MIT */
/*
 * One entry of the module compression cache (zcache.h): its key, its place and its bytes.
 * Key: SHA-256 of "ramforge-zcache-1", the format's name, the level, the compressor library's
 * version, the input's length and bytes. Place: DIR/XX/REST.zc, XX the key's first two hex
 * digits and REST the other 62. Content: a 80-byte header (the magic "RFZCACH1", the key, the
 * payload's length as 64-bit little-endian, the payload's SHA-256) and the payload (the
 * compressed bytes). An entry is written to DIR/XX/.tmp-* and renamed into place.
 * Ownership: a payload read is malloc'd, the caller frees it.
 * Errors: -errno, without a message (the cache's problems are never the build's).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decompress.h"

#define RF_ZENTRY_KEY_LEN 32
#define RF_ZENTRY_HEADER_LEN 80
#define RF_ZENTRY_SUFFIX ".zc"
#define RF_ZENTRY_TMP_PREFIX ".tmp-"
/* The name of an entry inside DIR/XX: 62 hex digits and the suffix. */
#define RF_ZENTRY_NAME_LEN (2 * RF_ZENTRY_KEY_LEN - 2 + sizeof(RF_ZENTRY_SUFFIX) - 1)

/* The key of n bytes at in compressed as c at level. -ENOMEM when SHA-256 fails. */
int rf_zentry_key(enum rf_comp c, int level, const void *in, size_t n,
		  unsigned char key[RF_ZENTRY_KEY_LEN]);

enum rf_zentry_found { RF_ZENTRY_MISSING, RF_ZENTRY_HIT, RF_ZENTRY_CORRUPT };

/* Look the key up under the cache directory dirfd: a payload of at most max bytes into
 * *out, *outlen (a hit, whose mtime is refreshed); RF_ZENTRY_CORRUPT when a file was there but
 * was not a valid entry for this key (it is removed, best-effort). */
enum rf_zentry_found rf_zentry_read(int dirfd, const unsigned char key[RF_ZENTRY_KEY_LEN],
				    size_t max, unsigned char **out, size_t *outlen);

/* Store the payload as the key's entry (creating DIR/XX, mode 0700). 0 or -errno; the
 * temporary file is removed on failure. */
int rf_zentry_write(int dirfd, const unsigned char key[RF_ZENTRY_KEY_LEN], const void *p,
		    size_t n);

/* Whether name (inside DIR/XX) is an entry's name / a temporary file's name. */
bool rf_zentry_is_entry_name(const char *name);
bool rf_zentry_is_tmp_name(const char *name);
/* Whether name (inside DIR) is a subdirectory's name: two lowercase hex digits. */
bool rf_zentry_is_subdir_name(const char *name);

/* Bring the entries under dirfd to at most 90% of max bytes when they are over max, the least
 * recently used removed first; temporary files older than an hour (left by a killed build)
 * are removed too. Other files are left alone. Best-effort: entries vanishing meanwhile (a
 * concurrent build's trim) and failures to remove are fine. */
void rf_zentry_trim(int dirfd, uint64_t max);
