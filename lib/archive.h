/* SPDX-License-Identifier: MIT */
/*
 * The archive: a manifest written as a cpio "newc" archive (the format the kernel unpacks)
 * through libarchive, compressed in a variant the kernel's own unpacker accepts.
 * Reproducible: entries in manifest order (call rf_manifest_sort first), uid/gid 0,
 * inode numbers assigned in order, one mtime for every entry.
 * Files are streamed from their source paths; nothing is staged on disk.
 * An early manifest (the CPU microcode, microcode.h: directories and generated files only)
 * goes first as a newc archive of its own, uncompressed: the kernel's early loaders look for
 * it at the very start of the image, before anything is unpacked. Each file's data in it
 * starts at a 16-byte boundary (its name padded with NULs), as Intel's loader wants. The main
 * archive starts right after its TRAILER!!! entry, 4-byte aligned as the kernel's unpacker
 * wants between segments, as dracut and the kernel's documentation concatenate them.
 * Errors: -errno with "what: why" in rf_err (the failing source path named).
 */
#pragma once
#include <stdint.h>
#include <time.h>

#include "compress.h"
#include "manifest.h"
#include "util.h"

struct rf_archive_opts {
	enum rf_compress compress;
	int level;     /* -1: ramforge's default for that compressor */
	int threads;   /* zstd/xz worker threads; 0: one per CPU */
	time_t mtime;  /* every entry's mtime (SOURCE_DATE_EPOCH, or 0) */
	/* Written uncompressed, with the same mtime, before the main archive when it has entries;
	 * may be NULL. Sorted by the caller like the main one. */
	const struct rf_manifest *early;
	/* Called after each entry with the bytes of entry data written so far and in all; may be
	 * NULL. For a progress display: it must not fail. */
	void (*progress)(void *data, uint64_t done, uint64_t total);
	void *progress_data;
};

/* Write the whole image (the early archive, then the main one) to fd (not closed). Returns
 * the bytes written or -errno. */
int64_t rf_archive_write(const struct rf_manifest *m, int fd, const struct rf_archive_opts *o,
			 struct rf_err *err);
