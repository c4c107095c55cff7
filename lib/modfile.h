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

#include "modsig.h"
#include "util.h"

int rf_modfile_check(const char *path, struct rf_err *err);

/* What the image needs to know of a module besides its dependencies, read from its bytes in
 * the same pass as the check (a module is opened and decompressed once). */
struct rf_modinfo {
	struct rf_strv firmware; /* .modinfo firmware= values, in file order */
	struct rf_modsig sig;    /* the appended signature (modsig.h) */
};

/* rf_modfile_check, and on success info filled (zero-initialised by the caller; freed with
 * rf_modinfo_free, also after a failure). A .modinfo section libelf cannot read gives no
 * firmware names, not an error: the kernel reads modinfo only to show it. */
int rf_modfile_read(const char *path, struct rf_modinfo *info, struct rf_err *err);
void rf_modinfo_free(struct rf_modinfo *info);

/* The ELF part alone, on decompressed bytes: 0, or -ENOEXEC with *why set to a static
 * phrase ("truncated: ...", "not an ELF object", ...). */
int rf_modfile_check_elf(const unsigned char *p, size_t n, const char **why);
