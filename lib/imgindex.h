/* SPDX-License-Identifier: MIT */
/*
 * What `ramforge diff` compares of one image (any generator's), read in one streaming walk
 * with inspect's limits: every entry's type, mode, owner, link target and the SHA-256 of its
 * data; the kernel modules (regular files under lib/modules/KVER/ or usr/lib/modules/KVER/
 * named *.ko, *.ko.xz, *.ko.zst, *.ko.gz) by kmod-normalised name, with the SHA-256 of their
 * decompressed content, so that a recompression alone is no change; the text of the
 * modprobe.d files (NAME.conf in etc/, lib/ and usr/lib/modprobe.d, up to 1 MiB each) and of
 * ramforge's plan (etc/ramforge/plan). No file's data is held otherwise.
 * Ownership: rf_imgindex_read fills a zero-initialised index, rf_imgindex_free releases it.
 * Errors: -errno with "IMAGE: why" in err. A module that does not decompress is compared by its
 * stored bytes, with a warning.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "zdigest.h"

struct rf_imgent {
	char *path;   /* as stored, without "./" */
	char *link;   /* symlink target, else NULL */
	char *text;   /* modprobe.d files and the plan: the content, NUL-terminated; else NULL */
	uint32_t mode, uid, gid, rdev_major, rdev_minor;
	uint64_t size, order; /* order: position in the image (the last of a name wins) */
	unsigned char md[RF_ZDIGEST_LEN]; /* regular files: of the bytes as stored */
	bool module;  /* a kernel module: compared as one (struct rf_imgmod), not as a file */
};

struct rf_imgmod {
	char *name;   /* kmod-normalised */
	char *kver;
	char *path;
	uint64_t order;
	unsigned char md[RF_ZDIGEST_LEN]; /* of the decompressed content */
};

struct rf_imgindex {
	struct rf_imgent *ents; /* sorted by path, one per name */
	size_t n, cap;
	struct rf_imgmod *mods; /* sorted by name, one per name */
	size_t nmods, modcap;
	uint64_t size;         /* the image file's bytes */
	char layout[256];      /* its segments: "early cpio (none) at 0 + zstd at 11776" */
};

int rf_imgindex_read(struct rf_imgindex *ix, const char *image, struct rf_err *err);
/* The entry at path, or NULL. */
const struct rf_imgent *rf_imgindex_find(const struct rf_imgindex *ix, const char *path);
void rf_imgindex_free(struct rf_imgindex *ix);

/* "lib/modules/KVER/.../NAME.ko[.xz|.zst|.gz]" (also under usr/): the normalised NAME and
 * KVER into name and kver (malloc'd). 1 for a module path, 0 for another, -ENOMEM. */
int rf_imgindex_module_path(const char *path, char **name, char **kver);
