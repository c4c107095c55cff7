/* SPDX-License-Identifier: MIT */
/*
 * Can the kernel load this module file? Checked before a module goes into an image, so that a
 * file cut short, empty, bit-flipped or compressed in another format than its name says is
 * found at build time, not at boot. The check is the kernel's own first one (an ELF relocatable
 * whose section table and sections lie within the file), after decompressing .ko.zst, .ko.xz
 * and .ko.gz the way ramforge-init does.
 * Errors: -errno with "PATH: why" in err (-ENOENT missing, -EINVAL not a regular file,
 * -ENOEXEC not a loadable ELF object, -EBADMSG corrupt compressed data).
 */
#pragma once
#include <stddef.h>

#include "util.h"

int rf_modfile_check(const char *path, struct rf_err *err);

/* The ELF part alone, on decompressed bytes: 0, or -ENOEXEC with *why set to a static
 * phrase ("truncated: ...", "not an ELF object", ...). */
int rf_modfile_check_elf(const unsigned char *p, size_t n, const char **why);
