/* SPDX-License-Identifier: MIT */
/*
 * The manifest: every entry of the image, described before anything is written.
 * Files are referenced by their source path and streamed into the archive later; generated
 * content (depmod indexes, the load plan, config copies) is held in memory.
 * Paths inside the image have no leading '/': "init", "lib/modules/6.1.0-9/kernel/...".
 * Ownership: the manifest owns every string and buffer; rf_manifest_free releases them.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "strmap.h"
#include "util.h"

enum rf_entry_type {
	RF_ENTRY_FILE,    /* regular file streamed from `source` */
	RF_ENTRY_BYTES,   /* regular file with in-memory `data` */
	RF_ENTRY_DIR,     /* directory */
	RF_ENTRY_SYMLINK, /* symlink to `source` */
	RF_ENTRY_NODE,    /* character or block device: mode has S_IFCHR/S_IFBLK, `rdev` */
};

struct rf_entry {
	char *path;
	enum rf_entry_type type;
	mode_t mode; /* permission bits (and S_IFCHR/S_IFBLK for nodes) */
	char *source;
	unsigned char *data;
	size_t size; /* BYTES: length of data; FILE: size seen when added */
	dev_t rdev;
};

struct rf_manifest {
	struct rf_entry *v;
	size_t n, cap;
	struct rf_strmap index; /* private: path -> position + 1, for O(1) replace and parents */
};

/* Each add copies its arguments. A path added twice replaces the earlier entry.
 * Parent directories are added automatically (mode 0755). -ENOMEM, or -errno from stat. */
int rf_manifest_add_file(struct rf_manifest *m, const char *path, const char *source, mode_t mode,
			 struct rf_err *err);
int rf_manifest_add_bytes(struct rf_manifest *m, const char *path, const void *data, size_t size,
			  mode_t mode);
int rf_manifest_add_dir(struct rf_manifest *m, const char *path, mode_t mode);
int rf_manifest_add_symlink(struct rf_manifest *m, const char *path, const char *target);
int rf_manifest_add_node(struct rf_manifest *m, const char *path, mode_t mode, dev_t rdev);

/* Sort entries by path (a directory before its contents) for reproducible archives. */
void rf_manifest_sort(struct rf_manifest *m);

void rf_manifest_free(struct rf_manifest *m);
