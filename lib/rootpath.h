/* SPDX-License-Identifier: MIT */
/*
 * Paths inside a root (a sysroot), resolved by hand as if chrooted there: one component at a
 * time from the root, so that every symlink met is known (to be copied too) and none leads out
 * (an absolute target starts again at the root, ".." stops at it). ".." is physical, as in the
 * kernel: "/lib/x/.." is the parent of where /lib/x really is. At most 40 symlinks in one path
 * (ELOOP). Each path is resolved once: a directory's resolution serves all its files.
 * Used to find files, not to open them (rf_input_open opens inside the root safely).
 * Ownership: results and links are borrowed from the struct, valid until rf_rootpath_free.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct rf_rootpath;

struct rf_rootpath_link {
	char *path;   /* the symlink, its directories real: "/lib" */
	char *target; /* its text: "usr/lib" */
};

struct rf_rootpath_res {
	char *real;    /* the path without symlinks: "/usr/lib/x86_64-linux-gnu/libc.so.6"; NULL on error */
	int err;       /* why it could not be resolved (an errno: ENOENT, ENOTDIR, ELOOP...), else 0 */
	bool dir;      /* real is a directory */
	size_t *links; /* the symlinks met, in order: indices for rf_rootpath_link */
	size_t nlinks, cap;
};

/* A resolver for paths under root (NULL or "/": the host's). -errno. */
int rf_rootpath_new(struct rf_rootpath **out, const char *root);

/* Resolve path (absolute inside the root). Returns -ENOMEM only; any other failure is the
 * result's err. */
int rf_rootpath_resolve(struct rf_rootpath *rp, const char *path, const struct rf_rootpath_res **out);

const struct rf_rootpath_link *rf_rootpath_link(const struct rf_rootpath *rp, size_t i);

/* Append the paths matching the absolute pattern (glob(3) wildcards, in any component) to out,
 * sorted as glob(3) sorts them; none for an unreadable directory. -ENOMEM. */
int rf_rootpath_glob(struct rf_rootpath *rp, const char *pattern, struct rf_strv *out);

void rf_rootpath_free(struct rf_rootpath *rp); /* NULL-safe */
