// SPDX-License-Identifier: MIT
/*
 * The archive writer: libarchive formats the cpio "newc" stream; a compressor of our own
 * choosing turns it into what the kernel's unpacker accepts; see archive.h.
 */
#include "archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compress.h"
#include "input.h"

#define READ_CHUNK (256 * 1024)

/* libarchive's client write callback: everything it formats goes to the compressor. */
static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	int r = rf_zsink_write(data, buf, len);

	(void)a;
	return r < 0 ? -1 : (la_ssize_t)len;
}

static int la_fail(struct archive *a, struct rf_zsink *z, struct rf_err *err, const char *path)
{
	/* A compressor or write error carries its own message (e.g. ENOSPC). */
	if (rf_zsink_error(z) < 0)
		return rf_fail(err, rf_zsink_error(z), "%s", rf_zsink_message(z));
	return rf_fail(err, -EIO, "%s: %s", path, archive_error_string(a));
}

/* A sysroot's file, opened inside it again (input.h): a link swapped in since cannot lead out. */
static int open_in_root(const struct rf_entry *e, struct rf_err *err)
{
	char *display = rf_path_join(e->root, e->source);
	int fd = display ? rf_input_open(e->root, e->source, display, 0, err)
			 : rf_fail(err, -ENOMEM, "%s: %s", e->source, strerror(ENOMEM));

	free(display);
	return fd;
}

/* Stream one source file into the current entry, checking it still has the size we saw. */
static int copy_file(struct archive *a, struct rf_zsink *z, const struct rf_entry *e,
		     unsigned char *buf, struct rf_err *err)
{
	size_t left = e->size;
	struct stat st;
	/* O_NONBLOCK: a source swapped for a FIFO since the manifest saw it must not hang. */
	int fd = e->root ? open_in_root(e, err)
			 : open(e->source, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return e->root ? fd : rf_fail(err, -errno, "%s: %s", e->source, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = rf_fail(err, -EINVAL, "%s: not a regular file", e->source);
		goto out;
	}
	if ((size_t)st.st_size != e->size) {
		r = rf_fail(err, -ESTALE, "%s: changed size while the image was being built (%zu -> %lld bytes)",
			    e->source, e->size, (long long)st.st_size);
		goto out;
	}
	while (left > 0) {
		ssize_t n = read(fd, buf, left < READ_CHUNK ? left : READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? rf_fail(err, -errno, "%s: %s", e->source, strerror(errno))
				  : rf_fail(err, -ESTALE, "%s: shrank while being read", e->source);
			goto out;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			r = la_fail(a, z, err, e->path);
			goto out;
		}
		left -= (size_t)n;
	}
out:
	close(fd);
	return r;
}

/* Header fields that make the archive reproducible: see archive.h. */
static void fill_entry(struct archive_entry *ae, const struct rf_entry *e, size_t ino, time_t mtime)
{
	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, e->path);
	archive_entry_set_ino(ae, (la_int64_t)ino);
	archive_entry_set_dev(ae, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, mtime, 0);
	archive_entry_set_nlink(ae, e->type == RF_ENTRY_DIR ? 2 : 1);
	archive_entry_set_size(ae, 0); /* libarchive wants a size on every entry */
	switch (e->type) {
	case RF_ENTRY_FILE:
	case RF_ENTRY_BYTES:
		archive_entry_set_mode(ae, S_IFREG | (e->mode & 07777));
		archive_entry_set_size(ae, (la_int64_t)e->size);
		break;
	case RF_ENTRY_DIR:
		archive_entry_set_mode(ae, S_IFDIR | (e->mode & 07777));
		break;
	case RF_ENTRY_SYMLINK:
		archive_entry_set_mode(ae, S_IFLNK | 0777);
		archive_entry_copy_symlink(ae, e->source);
		archive_entry_set_size(ae, (la_int64_t)strlen(e->source));
		break;
	case RF_ENTRY_NODE:
		archive_entry_set_mode(ae, e->mode);
		archive_entry_set_rdevmajor(ae, major(e->rdev));
		archive_entry_set_rdevminor(ae, minor(e->rdev));
		break;
	}
}

static uint64_t data_bytes(const struct rf_manifest *m)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < m->n; i++)
		sum += m->v[i].size;
	return sum;
}

static int write_entries(struct archive *a, struct rf_zsink *z, const struct rf_manifest *m,
			 const struct rf_archive_opts *o, struct rf_err *err)
{
	struct archive_entry *ae = archive_entry_new();
	unsigned char *buf = malloc(READ_CHUNK);
	int r = ae && buf ? 0 : rf_fail(err, -ENOMEM, "writing the image: %s", strerror(ENOMEM));
	uint64_t total = o->progress ? data_bytes(m) : 0, done = 0;

	for (size_t i = 0; r >= 0 && i < m->n; i++) {
		const struct rf_entry *e = &m->v[i];

		if (o->progress) {
			o->progress(o->progress_data, done, total);
			done += e->size;
		}
		fill_entry(ae, e, i + 1, o->mtime);
		if (archive_write_header(a, ae) != ARCHIVE_OK) {
			r = la_fail(a, z, err, e->path);
		} else if (e->type == RF_ENTRY_FILE) {
			r = copy_file(a, z, e, buf, err);
		} else if (e->type == RF_ENTRY_BYTES && e->size > 0) {
			if (archive_write_data(a, e->data, e->size) != (la_ssize_t)e->size)
				r = la_fail(a, z, err, e->path);
		}
	}
	free(buf);
	archive_entry_free(ae);
	return r;
}

/* One newc archive of m through the compressor o names. */
static int64_t write_archive(const struct rf_manifest *m, int fd, const struct rf_archive_opts *o,
			     struct rf_err *err)
{
	struct rf_zsink *z = NULL;
	struct archive *a;
	int64_t r;

	r = rf_zsink_new(&z, fd, o->compress, o->level, o->threads, err);
	if (r < 0)
		return r;
	a = archive_write_new();
	if (!a) {
		rf_zsink_free(z);
		return rf_fail(err, -ENOMEM, "writing the image: %s", strerror(ENOMEM));
	}
	/* No blocking: libarchive would pad the end to 10 KiB; the compressor buffers anyway. */
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, z, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		r = la_fail(a, z, err, "cpio");
		goto out;
	}
	r = write_entries(a, z, m, o, err);
	/* close writes the "TRAILER!!!" entry the kernel stops at. */
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = la_fail(a, z, err, "TRAILER!!!");
	if (r >= 0)
		r = rf_zsink_finish(z, err);
out:
	archive_write_free(a);
	rf_zsink_free(z);
	return r;
}

/* The early segment is written here, not through libarchive, because each file's data must
 * start at a 16-byte boundary of the image (which the boot loader loads page-aligned): Intel's
 * early loader hands the patch to the CPU where it lies, and Intel's SDM (vol. 3A, "microcode
 * update ... must be aligned on a 16-byte boundary") asks for that. The name field is padded
 * with NULs to get there, as iucode_tool's early cpio and the kernel's gen_init_cpio -a do: the
 * kernel, its early loaders and cpio read a name up to its first NUL. */
#define EARLY_ALIGN 16
#define NEWC_HDR 110

static int early_put(struct rf_zsink *z, const void *buf, size_t len, uint64_t *off)
{
	*off += len;
	return len ? rf_zsink_write(z, buf, len) : 0;
}

/* One newc header and name; a regular file's name is padded so its data starts aligned. */
static int early_header(struct rf_zsink *z, uint64_t *off, const char *name, size_t ino,
			uint32_t mode, uint32_t size, time_t mtime)
{
	static const char zeros[EARLY_ALIGN];
	char hdr[NEWC_HDR + 1];
	size_t len = strlen(name) + 1, ns = len;
	int r;

	/* NULs in the name field for a file; after it (not counted) as newc pads to 4 for others */
	while (S_ISREG(mode) && (*off + NEWC_HDR + ns) % EARLY_ALIGN)
		ns++;
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 (unsigned)ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, (unsigned)mtime, size, 0u, 0u,
		 0u, 0u, (unsigned)ns, 0u);
	r = early_put(z, hdr, NEWC_HDR, off);
	if (r >= 0)
		r = early_put(z, name, len, off);
	if (r >= 0)
		r = early_put(z, zeros, ns - len, off);
	if (r >= 0)
		r = early_put(z, zeros, (4 - *off % 4) % 4, off);
	return r;
}

static int64_t write_early(const struct rf_manifest *m, int fd, time_t mtime, struct rf_err *err)
{
	static const char zeros[4];
	struct rf_zsink *z = NULL;
	uint64_t off = 0;
	int64_t n;
	int r = rf_zsink_new(&z, fd, RF_COMPRESS_NONE, -1, 1, err);

	for (size_t i = 0; r >= 0 && i < m->n; i++) {
		const struct rf_entry *e = &m->v[i];
		bool dir = e->type == RF_ENTRY_DIR;

		if (!dir && e->type != RF_ENTRY_BYTES) {
			r = rf_fail(err, -EINVAL, "%s: the early segment holds only directories and "
				    "generated files", e->path);
			break;
		}
		r = early_header(z, &off, e->path, i + 1, (dir ? S_IFDIR : S_IFREG) | (e->mode & 07777),
				 dir ? 0 : (uint32_t)e->size, mtime);
		if (r >= 0 && !dir)
			r = early_put(z, e->data, e->size, &off);
		if (r >= 0)
			r = early_put(z, zeros, (4 - off % 4) % 4, &off);
	}
	/* the kernel stops at TRAILER!!! and takes what follows as the next segment */
	if (r >= 0)
		r = early_header(z, &off, "TRAILER!!!", 0, 0, 0, 0);
	if (r < 0 && z && rf_zsink_error(z) < 0)
		r = rf_fail(err, rf_zsink_error(z), "%s", rf_zsink_message(z));
	n = r < 0 ? r : rf_zsink_finish(z, err);
	rf_zsink_free(z);
	return n;
}

int64_t rf_archive_write(const struct rf_manifest *m, int fd, const struct rf_archive_opts *o,
			 struct rf_err *err)
{
	int64_t early = 0, main;

	if (o->early && o->early->n)
		early = write_early(o->early, fd, o->mtime, err);
	if (early < 0)
		return early;
	main = write_archive(m, fd, o, err);
	return main < 0 ? main : early + main;
}
