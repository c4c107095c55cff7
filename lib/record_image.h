/* SPDX-License-Identifier: MIT */
/*
 * Finding the input record (record.h) in an image, an untrusted file: first in the leading
 * uncompressed newc archive (where the build puts it, so that it is found without
 * decompressing the image: a few reads), else in any segment through inspect.h (images of
 * other layouts). The last entry of the name wins, as the kernel's unpacking replaces
 * earlier ones.
 * Errors: -ENODATA (no record: another generator's image, or an older ramforge's), -EBADMSG
 * for a malformed image or record, or -errno; "IMAGE: why" in err.
 * Ownership: the record is the caller's (rf_record_free).
 */
#pragma once
#include "record.h"
#include "util.h"

int rf_record_read_image(const char *image, struct rf_record *rec, struct rf_err *err);
