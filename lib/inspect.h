/* SPDX-License-Identifier: MIT */
/*
 * Reading initramfs images (for `ramforge ls`): every segment the kernel would unpack
 * (uncompressed newc archives, as dracut's early microcode cpio, and compressed streams, one
 * after another), and every entry, from untrusted input: malformed images, and bytes the
 * kernel would stop at, give an error, never a crash, a hang or unbounded memory, and nothing
 * is written anywhere.
 * Ownership: rf_inspect_open returns an object freed with rf_inspect_free; entries passed to
 * the callback are borrowed for the duration of the call.
 * Errors: -errno (-EBADMSG for a malformed image), message "IMAGE: why" in rf_err.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum rf_inspect_compress {
	RF_INSPECT_NONE,
	RF_INSPECT_ZSTD,
	RF_INSPECT_GZIP,
	RF_INSPECT_XZ,
	RF_INSPECT_LZ4_LEGACY,
	RF_INSPECT_LZ4_FRAME, /* readable, but the kernel cannot unpack it */
	RF_INSPECT_BZIP2,
	RF_INSPECT_LZMA,
	RF_INSPECT_LZO, /* recognised (the kernel reads it), not read here */
};
const char *rf_inspect_compress_name(enum rf_inspect_compress c);

/* Bounds for hostile input. Zero fields take the defaults below. */
struct rf_inspect_limits {
	uint64_t max_total;      /* decompressed bytes, all segments together */
	uint64_t max_ratio;      /* decompressed/compressed, checked past RF_INSPECT_RATIO_AFTER */
	uint64_t max_entry_size; /* one entry's data */
	uint64_t max_entries;
};
#define RF_INSPECT_MAX_TOTAL (4ULL << 30)
#define RF_INSPECT_MAX_RATIO 200
#define RF_INSPECT_RATIO_AFTER (64ULL << 20)
#define RF_INSPECT_MAX_ENTRY (1ULL << 30)
#define RF_INSPECT_MAX_ENTRIES 1000000
#define RF_INSPECT_NAME_MAX 4096

struct rf_inspect_segment {
	uint64_t offset;   /* in the image file */
	uint64_t length;   /* bytes of the image file it takes (without the zero padding after) */
	uint64_t unpacked; /* bytes it decompresses to (its length when uncompressed) */
	uint64_t entries;  /* entries, TRAILER!!! not counted */
	uint32_t archives; /* newc archives in it, each ended by TRAILER!!! */
	enum rf_inspect_compress compress;
};

struct rf_inspect_entry {
	const char *path; /* as stored, without a leading "./"; "." is the root */
	const char *link; /* symlink target, else NULL */
	uint32_t mode, uid, gid, nlink, rdev_major, rdev_minor;
	uint64_t size, mtime;
	size_t segment; /* index into the segments */
	unsigned char *data; /* rf_inspect_foreach_data: a regular file's size bytes, else NULL */
	struct rf_inspect_stream *stream; /* rf_inspect_foreach_stream: a regular file's data */
};

struct rf_inspect;

/* Open IMAGE and find its segments: each is read through (decompressed, its entries checked),
 * since that is how its end is found; a broken image fails here. */
int rf_inspect_open(struct rf_inspect **out, const char *path, const struct rf_inspect_limits *lim,
		    struct rf_err *err);
/* The same on an open descriptor (not closed; it must outlive the object); name is for messages. */
int rf_inspect_open_fd(struct rf_inspect **out, int fd, const char *name,
		       const struct rf_inspect_limits *lim, struct rf_err *err);

size_t rf_inspect_nsegments(const struct rf_inspect *img);
const struct rf_inspect_segment *rf_inspect_segment(const struct rf_inspect *img, size_t i);

/* Call fn for every entry in image order; a negative return from fn stops and is returned. */
typedef int (*rf_inspect_fn)(const struct rf_inspect_entry *e, void *data);
int rf_inspect_foreach(struct rf_inspect *img, rf_inspect_fn fn, void *data, struct rf_err *err);
/* The same, and every regular file of at most max_data bytes comes with its bytes in e->data
 * (one buffer, reused: valid during the call, which may change them). */
int rf_inspect_foreach_data(struct rf_inspect *img, uint64_t max_data, rf_inspect_fn fn, void *data,
			    struct rf_err *err);

/* The same, and a regular file's data can be read in pieces with rf_inspect_chunk from
 * e->stream during the call (what is left unread is skipped): memory stays bounded whatever
 * the files' sizes. */
int rf_inspect_foreach_stream(struct rf_inspect *img, rf_inspect_fn fn, void *data,
			      struct rf_err *err);
/* The next bytes of e->stream: 1 with *p (borrowed until the next call) and *n set, 0 at the
 * end of the entry's data, or -errno (the walk's err says why; return it from fn). */
int rf_inspect_chunk(struct rf_inspect_stream *st, const void **p, size_t *n);

void rf_inspect_free(struct rf_inspect *img);
