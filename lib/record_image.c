// SPDX-License-Identifier: MIT
/* The input record of an image: see record_image.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "inspect.h"
#include "record_image.h"

#define NEWC_HEADER 110
#define NEWC_MAX_ENTRIES 100000

static bool full_pread(int fd, void *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t got = pread(fd, buf, n, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		buf = (char *)buf + got, n -= (size_t)got, off += (uint64_t)got;
	}
	return true;
}

static bool hex8(const char *s, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 8; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

static uint64_t pad4(uint64_t n)
{
	return (n + 3) & ~(uint64_t)3;
}

/* The record's bytes in the uncompressed newc archive at the start of fd, malloc'd in *out:
 * 1 found, 0 not there (or no such archive), -errno. Stops at its TRAILER!!!. */
static int leading_archive(int fd, uint64_t size, char **out, size_t *len)
{
	char h[NEWC_HEADER], name[sizeof(RF_RECORD_PATH) + 2];
	uint64_t off = 0;
	int found = 0;

	for (int i = 0; i < NEWC_MAX_ENTRIES && off + NEWC_HEADER <= size; i++) {
		uint32_t mode, fsize, nsize;

		if (!full_pread(fd, h, NEWC_HEADER, off))
			return -EIO;
		if ((memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0) ||
		    !hex8(h + 14, &mode) || !hex8(h + 54, &fsize) || !hex8(h + 94, &nsize) ||
		    nsize == 0 || off + pad4(NEWC_HEADER + nsize) + fsize > size)
			return found;
		if (nsize <= sizeof(name) && full_pread(fd, name, nsize, off + NEWC_HEADER) &&
		    name[nsize - 1] == '\0') {
			const char *n = strncmp(name, "./", 2) == 0 ? name + 2 : name;

			if (strcmp(name, "TRAILER!!!") == 0)
				return found;
			if (strcmp(n, RF_RECORD_PATH) == 0 && (mode & 0170000) == 0100000 &&
			    fsize <= RF_RECORD_MAX_BYTES) {
				char *buf = malloc(fsize + 1);

				if (!buf)
					return -ENOMEM;
				if (!full_pread(fd, buf, fsize, off + pad4(NEWC_HEADER + nsize))) {
					free(buf);
					return -EIO;
				}
				free(*out);
				*out = buf, *len = fsize, found = 1;
			}
		}
		off += pad4(NEWC_HEADER + nsize) + pad4(fsize);
	}
	return found;
}

struct find {
	char *data;
	size_t len;
	int error;
};

static int take_record(const struct rf_inspect_entry *e, void *data)
{
	struct find *f = data;

	if (strcmp(e->path, RF_RECORD_PATH) != 0 || (e->mode & 0170000) != 0100000 || !e->data)
		return 0;
	free(f->data);
	f->data = malloc(e->size + 1);
	if (!f->data)
		return f->error = -ENOMEM;
	memcpy(f->data, e->data, e->size);
	f->len = e->size;
	return 0;
}

/* Every segment, through inspect.h. */
static int any_segment(int fd, const char *image, struct find *f, struct rf_err *err)
{
	struct rf_inspect *img = NULL;
	int r = rf_inspect_open_fd(&img, fd, image, NULL, err);

	if (r >= 0)
		r = rf_inspect_foreach_data(img, RF_RECORD_MAX_BYTES, take_record, f, err);
	if (r == -ENOMEM && !err->msg[0])
		rf_fail(err, r, "%s: %s", image, strerror(ENOMEM));
	rf_inspect_free(img);
	return r;
}

int rf_record_read_image(const char *image, struct rf_record *rec, struct rf_err *err)
{
	struct find f = { 0 };
	struct stat st;
	int fd = rf_input_open(NULL, image, image, 0, err), r;

	if (fd < 0)
		return fd;
	r = fstat(fd, &st) < 0 ? -errno : leading_archive(fd, (uint64_t)st.st_size, &f.data, &f.len);
	if (r < 0)
		rf_fail(err, r, "%s: %s", image, strerror(-r));
	else if (r == 0)
		r = any_segment(fd, image, &f, err);
	if (r >= 0 && !f.data)
		r = rf_fail(err, -ENODATA, "%s: no input record (%s): the image was not built by this "
			    "ramforge, or by an older one", image, RF_RECORD_PATH);
	if (r >= 0) {
		struct rf_err sub = { "" };

		r = rf_record_parse(f.data, f.len, rec, &sub);
		if (r < 0)
			rf_fail(err, r, "%s: %s: %s", image, RF_RECORD_PATH, sub.msg);
	}
	free(f.data);
	close(fd);
	return r;
}
