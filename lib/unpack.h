/* SPDX-License-Identifier: MIT */
/*
 * Extracting an image into a directory (`ramforge ls --unpack`), from untrusted input: nothing
 * is written outside DIR. DIR must be empty or not exist; every entry is created relative to
 * a directory descriptor, one path component at a time with O_NOFOLLOW, so neither a name
 * ("../x", "/etc/x": refused by the reader already) nor a symlink of the image ("a -> /tmp",
 * then "a/b") leads out: writing through a symlink is an error. Entries keep their modes and
 * times; owners only when asked (root); device nodes and sockets only when asked, else they
 * are counted as skipped. Directories get their modes last (a 0500 directory can be filled).
 * A later entry of the same name replaces an earlier one, as the kernel does; hard links are
 * not recreated (each entry is a file of its own: in an archive that stores the data of
 * hard-linked names once, the others stay empty).
 * Ownership: nothing is kept. Errors: -errno, "ENTRY: why" in err; DIR then holds what was
 * extracted before.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "inspect.h"
#include "util.h"

struct rf_unpack_opts {
	bool devices; /* create device nodes and sockets (needs CAP_MKNOD) */
	bool owners;  /* keep uid and gid (needs CAP_CHOWN); else set-id bits are dropped too */
};

struct rf_unpack_stats {
	uint64_t files, dirs, symlinks, fifos;
	uint64_t skipped;          /* device nodes and sockets not created */
	char first_skipped[128];   /* the first of them, for the message */
};

int rf_unpack(struct rf_inspect *img, const char *dir, const struct rf_unpack_opts *o,
	      struct rf_unpack_stats *stats, struct rf_err *err);
