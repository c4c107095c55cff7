/* SPDX-License-Identifier: MIT */
/*
 * The manifest: every entry of the image, described before anything is written.
 * Files are referenced by their source path and streamed into the archive later; generated
 * content (depmod indexes, the load plan, config copies) is held in memory.
 * Paths inside the image have no leading '/': "init", "lib/modules/6.1.0-9/kernel/...".
 * No entry has a symlink among its parents: an entry added under a symlink the manifest holds
 * ("lib/modules/x" once "lib" -> "usr/lib" is in) goes where the link leads
 * ("usr/lib/modules/x"), as it would when copied into the unpacked image. So the archive
 * unpacks entry by entry in sorted order (the kernel's unpacker and cpio would otherwise
 * follow a link into a directory that does not exist yet), and the paths through the link
 * still reach it.
 * Ownership: the manifest owns every string and buffer; rf_manifest_free releases them.
 */
#pragma once
#include <stdbool.h>
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
	char *root; /* FILE: NULL, or the root `source` is read inside (as if chrooted: input.h) */
	unsigned char *data;
	size_t size; /* BYTES: length of data; FILE: size seen when added */
	dev_t rdev;
};

struct rf_manifest {
	struct rf_entry *v;
	size_t n, cap;
	struct rf_strmap index; /* private: path -> position + 1, for O(1) replace and parents */
	bool has_links;         /* private: a symlink was added, so paths are followed through links */
};

/* Each add copies its arguments. A path added twice replaces the earlier entry.
 * Parent directories are added automatically (mode 0755). -ENOMEM, or -errno from stat. */
int rf_manifest_add_file(struct rf_manifest *m, const char *path, const char *source, mode_t mode,
			 struct rf_err *err);
/* The same for a file of an untrusted root (a sysroot): source is a path inside root, opened
 * as input.h does (symlinks resolve inside root; a regular file only), here and again when
 * the archive streams it. */
int rf_manifest_add_file_in(struct rf_manifest *m, const char *path, const char *root,
			    const char *source, mode_t mode, struct rf_err *err);
int rf_manifest_add_bytes(struct rf_manifest *m, const char *path, const void *data, size_t size,
			  mode_t mode);
int rf_manifest_add_dir(struct rf_manifest *m, const char *path, mode_t mode);
int rf_manifest_add_symlink(struct rf_manifest *m, const char *path, const char *target);
int rf_manifest_add_node(struct rf_manifest *m, const char *path, mode_t mode, dev_t rdev);

/* A symlink that may stand where the manifest has a directory, as a merged /usr has them
 * ("lib" -> "usr/lib" while the image holds lib/modules/...): the directory and everything
 * in it move to where target leads (relative to path's directory; an absolute target from the
 * image's root), merged with what is there, and the link takes its place. Without a directory
 * at path it is rf_manifest_add_symlink. Errors (in err too): -ELOOP when target leads into
 * path itself or to the image's root; -EEXIST when a moved entry meets one that is not the
 * same (a directory merges with a directory, a file of the same source with itself).
 * After a failure the manifest is only good for rf_manifest_free. */
int rf_manifest_add_symlink_merge(struct rf_manifest *m, const char *path, const char *target,
				  struct rf_err *err);

/* The entry at path (its parents' symlinks followed, as an add would place it), or NULL. */
const struct rf_entry *rf_manifest_get(const struct rf_manifest *m, const char *path);

/* Sort entries by path (a directory before its contents) for reproducible archives. */
void rf_manifest_sort(struct rf_manifest *m);
/* Then move the entry at path and its parent directories to the front (parents first), the
 * others keeping their order: a reader finds that entry without reading through the rest of
 * the image (the input record, record.h). Nothing moves when path is not an entry. -ENOMEM. */
int rf_manifest_move_first(struct rf_manifest *m, const char *path);

/* Take the entries that rf_manifest_get finds at paths[0..n) out of m into out[0..n): the
 * caller owns them then (rf_entry_release); out[i] is all zero where m has no such entry (or
 * an earlier path took it, or paths[i] is NULL). The others keep their order. -ENOMEM (then m is only good for
 * rf_manifest_free; out is filled either way). */
int rf_manifest_take(struct rf_manifest *m, const char *const *paths, size_t n,
		     struct rf_entry *out);
void rf_entry_release(struct rf_entry *e);

void rf_manifest_free(struct rf_manifest *m);
