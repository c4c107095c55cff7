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
#include "record_image.h"
#include "zread.h"

#define NEWC_HEADER 110
#define FAST_SEGMENTS 8     /* segments looked at before giving the search to inspect.h */
#define FAST_ARCHIVE 100000 /* entries of an uncompressed archive walked through */
#define FAST_STREAM 16      /* entries of a compressed one: the record comes first there */

/* The bytes of one segment, from the file or decompressed, with the position in it. */
struct src {
	int fd;
	uint64_t size, off; /* the file's size; where an uncompressed segment is read next */
	struct rf_zread *z; /* a compressed segment's stream, else NULL */
	const unsigned char *p;
	size_t n;
	uint64_t pos; /* bytes of the segment taken */
};

static int file_read(int fd, void *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t got = pread(fd, buf, n, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EBADMSG;
		buf = (char *)buf + got, n -= (size_t)got, off += (uint64_t)got;
	}
	return 0;
}

/* n bytes into dst (NULL: skipped). -EBADMSG at a short segment. */
static int src_take(struct src *s, void *dst, uint64_t n)
{
	struct rf_err err = { "" };

	s->pos += n;
	if (!s->z) {
		int r = n > s->size - s->off ? -EBADMSG : dst ? file_read(s->fd, dst, n, s->off) : 0;

		s->off += n;
		return r;
	}
	while (n) {
		size_t k;

		if (!s->n) {
			const void *p;
			int r = rf_zread_next(s->z, &p, &s->n, &err);

			if (r <= 0)
				return r < 0 ? r : -EBADMSG;
			s->p = p;
		}
		k = s->n < n ? s->n : (size_t)n;
		if (dst)
			memcpy(dst, s->p, k), dst = (char *)dst + k;
		s->p += k, s->n -= k, n -= k;
	}
	return 0;
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
	return (3 - ((n + 3) & 3));
}

/* Walk at most max entries of the newc archive at s: 1 with the record's bytes in *out, 0 at
 * its TRAILER!!!, 2 when max entries passed without it, -errno (-EBADMSG: malformed). */
static int walk(struct src *s, int max, char **out, size_t *len)
{
	char h[NEWC_HEADER + 1], name[sizeof(RF_RECORD_PATH) + 3];

	for (int i = 0; i < max; i++) {
		uint32_t mode, fsize, nsize;
		const char *n = name;
		bool want = false;
		int r = src_take(s, h, NEWC_HEADER);

		if (r < 0)
			return r;
		if ((memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0) ||
		    !hex8(h + 14, &mode) || !hex8(h + 54, &fsize) || !hex8(h + 94, &nsize) || !nsize)
			return -EBADMSG;
		if (nsize <= sizeof(name)) {
			r = src_take(s, name, nsize);
			if (r < 0 || name[nsize - 1] != '\0')
				return r < 0 ? r : -EBADMSG;
			n += strncmp(name, "./", 2) == 0 ? 2 : 0;
			want = strcmp(n, RF_RECORD_PATH) == 0 && (mode & 0170000) == 0100000 &&
			       fsize <= RF_RECORD_MAX_BYTES;
		} else if ((r = src_take(s, NULL, nsize)) < 0) {
			return r;
		}
		if ((r = src_take(s, NULL, pad4(s->pos))) < 0)
			return r;
		if (nsize <= sizeof(name) && strcmp(name, "TRAILER!!!") == 0)
			return 0;
		if (want) {
			char *buf = malloc(fsize + 1);

			if (!buf)
				return -ENOMEM;
			r = src_take(s, buf, fsize);
			if (r < 0) {
				free(buf);
				return r;
			}
			*out = buf, *len = fsize;
			return 1;
		}
		if ((r = src_take(s, NULL, fsize)) < 0 || (r = src_take(s, NULL, pad4(s->pos))) < 0)
			return r;
	}
	return 2;
}

static enum rf_inspect_compress magic(const unsigned char *m, size_t n)
{
	static const struct {
		unsigned char b[6];
		size_t n;
		enum rf_inspect_compress c;
	} k[] = {
		{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, RF_INSPECT_ZSTD },
		{ { 0x1f, 0x8b }, 2, RF_INSPECT_GZIP },
		{ { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, RF_INSPECT_XZ },
		{ { 0x02, 0x21, 0x4c, 0x18 }, 4, RF_INSPECT_LZ4_LEGACY },
		{ { 0x04, 0x22, 0x4d, 0x18 }, 4, RF_INSPECT_LZ4_FRAME },
		{ { 'B', 'Z', 'h' }, 3, RF_INSPECT_BZIP2 },
		{ { 0x5d, 0, 0 }, 3, RF_INSPECT_LZMA },
	};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (n >= k[i].n && memcmp(m, k[i].b, k[i].n) == 0)
			return k[i].c;
	return RF_INSPECT_LZO; /* here: none that is read */
}

/* The zero padding between segments. */
static int skip_zeros(int fd, uint64_t size, uint64_t *off)
{
	unsigned char buf[4096];

	while (*off < size) {
		size_t n = size - *off < sizeof(buf) ? (size_t)(size - *off) : sizeof(buf), i = 0;
		int r = file_read(fd, buf, n, *off);

		if (r < 0)
			return r;
		while (i < n && !buf[i])
			i++;
		*off += i;
		if (i < n)
			return 0;
	}
	return 0;
}

/* The record in the first segments, found without reading through the image: 1 found, 0 not
 * found this way (inspect.h is asked), -ENOMEM. */
static int fast_find(int fd, uint64_t size, char **out, size_t *len, enum rf_inspect_compress *c)
{
	uint64_t off = 0;

	for (int seg = 0; seg < FAST_SEGMENTS && off < size; seg++) {
		unsigned char m[6] = { 0 };
		struct src s = { .fd = fd, .size = size, .off = off };
		struct rf_err err = { "" };
		size_t n = size - off < sizeof(m) ? (size_t)(size - off) : sizeof(m);
		int r = file_read(fd, m, n, off);

		if (r < 0)
			return 0;
		*c = n >= 5 && memcmp(m, "07070", 5) == 0 ? RF_INSPECT_NONE : magic(m, n);
		if (*c == RF_INSPECT_LZO)
			return 0;
		if (*c != RF_INSPECT_NONE && rf_zread_new(&s.z, *c, fd, off, size, &err) < 0)
			return 0;
		r = walk(&s, s.z ? FAST_STREAM : FAST_ARCHIVE, out, len);
		rf_zread_free(s.z);
		if (r == 1 || r == -ENOMEM)
			return r;
		if (r != 0 || s.z) /* a compressed segment without it first: not a layout we know */
			return 0;
		off = s.off;
		if (skip_zeros(fd, size, &off) < 0)
			return 0;
	}
	return 0;
}

struct find {
	struct rf_inspect *img;
	char *data;
	size_t len;
	enum rf_inspect_compress compress;
};

static int take_record(const struct rf_inspect_entry *e, void *data)
{
	struct find *f = data;

	if (strcmp(e->path, RF_RECORD_PATH) != 0 || (e->mode & 0170000) != 0100000 || !e->data)
		return 0;
	free(f->data);
	f->data = malloc(e->size + 1);
	if (!f->data)
		return -ENOMEM;
	memcpy(f->data, e->data, e->size);
	f->len = e->size;
	f->compress = rf_inspect_segment(f->img, e->segment)->compress;
	return 0;
}

/* Every segment, through inspect.h. */
static int any_segment(int fd, const char *image, struct find *f, struct rf_err *err)
{
	int r = rf_inspect_open_fd(&f->img, fd, image, NULL, err);

	if (r >= 0)
		r = rf_inspect_foreach_data(f->img, RF_RECORD_MAX_BYTES, take_record, f, err);
	if (r == -ENOMEM && !err->msg[0])
		rf_fail(err, r, "%s: %s", image, strerror(ENOMEM));
	rf_inspect_free(f->img);
	f->img = NULL;
	return r;
}

int rf_record_read_image(const char *image, struct rf_record *rec,
			 enum rf_inspect_compress *compress, struct rf_err *err)
{
	struct find f = { 0 };
	struct stat st;
	int fd = rf_input_open(NULL, image, image, 0, err), r;

	if (fd < 0)
		return fd;
	r = fstat(fd, &st) < 0 ? -errno
			       : fast_find(fd, (uint64_t)st.st_size, &f.data, &f.len, &f.compress);
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
	if (r >= 0 && compress)
		*compress = f.compress;
	free(f.data);
	close(fd);
	return r;
}
