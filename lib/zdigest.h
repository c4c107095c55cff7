/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 of a byte stream fed in pieces, optionally of what it decompresses to (a module's
 * .ko.zst, .ko.xz or .ko.gz: one zstd frame, xz stream or gzip member), so that two modules
 * of the same content compare equal however each was compressed. Memory stays bounded: the
 * decompressed bytes are hashed as they come, never kept.
 * Ownership: rf_zdigest_new returns an object freed with rf_zdigest_free.
 * Errors: -EBADMSG (corrupt, truncated, trailing data, another format than asked), -EFBIG
 * (more than max decompressed bytes), -ENOMEM; the reason in rf_err, without the file's name.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "decompress.h"
#include "util.h"

#define RF_ZDIGEST_LEN 32

struct rf_zdigest;

/* c: the format to decompress (RF_COMP_NONE: hash the bytes as given); max: the most
 * decompressed bytes accepted. */
int rf_zdigest_new(struct rf_zdigest **out, enum rf_comp c, uint64_t max, struct rf_err *err);
int rf_zdigest_update(struct rf_zdigest *z, const void *p, size_t n, struct rf_err *err);
/* The end of the input: the digest into md; decompressed bytes into *len (if given). */
int rf_zdigest_final(struct rf_zdigest *z, unsigned char md[RF_ZDIGEST_LEN], uint64_t *len,
		     struct rf_err *err);
void rf_zdigest_free(struct rf_zdigest *z);
