/* SPDX-License-Identifier: MIT */
/*
 * One file of an image (`ramforge ls -f FILE`, as lsinitrd -f): FILE is looked up the way
 * the booted initramfs would open it, symlinks followed inside the image (an absolute target
 * from the image's root, ".." stopping there, at most 40 links), the last entry of a name
 * winning as the kernel's unpacking replaces earlier ones; its data is handed out in pieces.
 * Ownership: nothing is kept. Errors: -ENOENT "FILE: not in IMAGE", -EISDIR "FILE: a
 * directory", -EINVAL (not a regular file), -ELOOP, or the reader's -errno; message in err.
 */
#pragma once
#include <stddef.h>

#include "inspect.h"
#include "util.h"

/* Receives the file's bytes in order; a negative return stops (and is returned). */
typedef int (*rf_imgfile_fn)(const void *p, size_t n, void *data);

int rf_imgfile_read(struct rf_inspect *img, const char *image, const char *file, rf_imgfile_fn fn,
		    void *data, struct rf_err *err);
