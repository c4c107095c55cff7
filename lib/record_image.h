/* SPDX-License-Identifier: MIT */
/*
 * Finding the input record (record.h) in an image, an untrusted file: first among the first
 * entries of the first compressed segment, after any uncompressed archives ahead of it (the
 * build puts it first in its archive, so that a few KiB are decompressed, not the image),
 * else in any segment through inspect.h (images of other layouts), where the last entry of
 * the name wins, as the kernel's unpacking replaces earlier ones.
 * Errors: -ENODATA (no record: another generator's image, or an older ramforge's), -EBADMSG
 * for a malformed image or record, or -errno; "IMAGE: why" in err.
 * Ownership: the record is the caller's (rf_record_free).
 */
#pragma once
#include "inspect.h"
#include "record.h"
#include "util.h"

/* The record into rec (empty before); *compress (may be NULL): the compression of the segment
 * it is in, that of the image's main archive. */
int rf_record_read_image(const char *image, struct rf_record *rec,
			 enum rf_inspect_compress *compress, struct rf_err *err);
