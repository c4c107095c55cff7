// SPDX-License-Identifier: MIT
/*
 * Reading images; see inspect.h. libarchive decompresses (its "raw" format behind one
 * filter); the newc entries are walked here. Why not libarchive's cpio reader: it reads an
 * entry name of whatever length the header claims (up to 4 GiB) into memory and silently
 * skips garbage looking for the next header, while an inspector of untrusted images must
 * bound both and say where the image is broken. The newc layout is the kernel's
 * (Documentation/driver-api/early-userspace/buffer-format.rst): 110-byte header, name, 4-byte
 * padding, data, 4-byte padding; "TRAILER!!!" ends an archive.
 */
#include "inspect.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define MAX_SEGMENTS 64
#define MAX_PADDING (16u << 20)
#define NEWC_HDR 110

struct rf_inspect {
	int fd, own_fd;
	char *name;
	uint64_t size;
	struct rf_inspect_limits lim;
	struct rf_inspect_segment seg[MAX_SEGMENTS];
	size_t nseg;
};

/* A byte stream: a range of the image file, or what libarchive decompresses from it. */
struct src {
	struct rf_inspect *img;
	struct rf_err *err;
	uint64_t off;            /* file: next offset to read */
	struct archive *a;       /* decompressed: the reader */
	uint64_t raw_off;        /* decompressed: next compressed offset to read */
	uint64_t *total;         /* decompressed bytes so far, all segments */
	const unsigned char *p;  /* unread bytes */
	size_t avail;
	uint64_t pos;            /* stream offset of p */
	uint64_t mark;           /* stream offset of the entry being read, for messages */
	unsigned char buf[CHUNK];
};

const char *rf_inspect_compress_name(enum rf_inspect_compress c)
{
	static const char *const n[] = { "none", "zstd", "gzip", "xz", "lz4 (legacy)",
					 "lz4 (frame format)", "bzip2", "lzma" };

	return (unsigned)c < sizeof(n) / sizeof(n[0]) ? n[c] : "?";
}

static int bad(struct src *s, const char *why)
{
	return rf_fail(s->err, -EBADMSG, "%s: %s at offset %llu of the %s stream", s->img->name, why,
		       (unsigned long long)s->mark, s->a ? "decompressed" : "image");
}

static int fill_file(struct src *s)
{
	ssize_t n;

	do
		n = pread(s->img->fd, s->buf, CHUNK, (off_t)s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return rf_fail(s->err, -errno, "%s: %s", s->img->name, strerror(errno));
	s->off += (uint64_t)n;
	s->p = s->buf;
	s->avail = (size_t)n;
	return n > 0;
}

static int fill_archive(struct src *s)
{
	const struct rf_inspect_limits *l = &s->img->lim;
	const void *block;
	size_t len;
	la_int64_t where;
	int r = archive_read_data_block(s->a, &block, &len, &where);
	uint64_t raw;

	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK)
		return rf_fail(s->err, -EBADMSG, "%s: %s", s->img->name, archive_error_string(s->a));
	*s->total += len;
	raw = (uint64_t)archive_filter_bytes(s->a, -1);
	if (*s->total > l->max_total)
		return rf_fail(s->err, -EFBIG, "%s: more than %llu bytes decompressed: refusing to go on",
			       s->img->name, (unsigned long long)l->max_total);
	if (*s->total > RF_INSPECT_RATIO_AFTER && *s->total / (raw ? raw : 1) > l->max_ratio)
		return rf_fail(s->err, -EFBIG, "%s: decompresses more than %llu times its size: "
			       "a decompression bomb?", s->img->name, (unsigned long long)l->max_ratio);
	s->p = block;
	s->avail = len;
	return 1;
}

/* Make bytes available: 1, 0 at the end of the stream, or -errno. */
static int fill(struct src *s)
{
	if (s->avail)
		return 1;
	return s->a ? fill_archive(s) : fill_file(s);
}

/* Exactly n bytes into dst (dst NULL: skip them). 1 done, 0 clean end before any byte. */
static int take(struct src *s, void *dst, uint64_t n)
{
	uint64_t want = n;

	while (n > 0) {
		int r = fill(s);
		size_t k;

		if (r < 0)
			return r;
		if (r == 0)
			return n == want ? 0 : bad(s, "truncated");
		k = s->avail < n ? s->avail : (size_t)n;
		if (dst)
			memcpy((char *)dst + (want - n), s->p, k);
		s->p += k, s->avail -= k, s->pos += k, n -= k;
		/* A plain file: skip big data by seeking, without reading it. */
		if (!dst && !s->a && s->avail == 0 && n > 0) {
			if (s->off + n > s->img->size)
				return bad(s, "truncated");
			s->off += n;
			s->pos += n;
			n = 0;
		}
	}
	return 1;
}

static int hex8(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static bool has_control(const char *str)
{
	for (const unsigned char *c = (const unsigned char *)str; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return true;
	return false;
}

/* Names are printed one a line: no control characters, no "..", not absolute. */
static const char *check_name(const char *name)
{
	if (has_control(name))
		return "a name with control characters";
	if (name[0] == '/')
		return "an absolute name";
	for (const char *c = name; (c = strstr(c, "..")); c++)
		if ((c == name || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return "a name with a \"..\" component";
	return NULL;
}

struct newc {
	uint32_t f[13]; /* ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check */
	char name[RF_INSPECT_NAME_MAX + 1];
	char link[RF_INSPECT_NAME_MAX + 1];
};
enum { F_MODE = 1, F_UID, F_GID, F_NLINK, F_MTIME, F_SIZE, F_RMAJ = 9, F_RMIN, F_NAMESIZE };

/* One header and its name: 1, 0 at a clean end of stream, or -errno. */
static int read_header(struct src *s, struct newc *h)
{
	char hdr[NEWC_HDR];
	uint32_t ns;
	int r;

	s->mark = s->pos;
	r = take(s, hdr, NEWC_HDR);
	if (r <= 0)
		return r;
	if (memcmp(hdr, "070701", 6) != 0 && memcmp(hdr, "070702", 6) != 0)
		return bad(s, "no cpio newc header");
	for (int i = 0; i < 13; i++)
		if (hex8(hdr + 6 + 8 * i, &h->f[i]) < 0)
			return bad(s, "a malformed cpio header");
	ns = h->f[F_NAMESIZE];
	if (ns < 2 || ns > RF_INSPECT_NAME_MAX + 1)
		return bad(s, "an entry name of absurd length");
	r = take(s, h->name, ns);
	if (r <= 0)
		return r < 0 ? r : bad(s, "truncated");
	if (h->name[ns - 1] != '\0' || strlen(h->name) != ns - 1)
		return bad(s, "an entry name that is not one string");
	return take(s, NULL, (4 - (NEWC_HDR + ns) % 4) % 4) < 0 ? -EBADMSG : 1;
}

static int check_entry(struct src *s, struct newc *h)
{
	uint32_t size = h->f[F_SIZE], type = h->f[F_MODE] & S_IFMT;
	const char *why = check_name(h->name);
	int r;

	if (why)
		return bad(s, why);
	if (size > s->img->lim.max_entry_size)
		return bad(s, "an entry of absurd size");
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFCHR &&
	    type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK)
		return bad(s, "an entry of unknown type");
	if (type != S_IFLNK)
		return 0;
	if (size == 0 || size > RF_INSPECT_NAME_MAX)
		return bad(s, "a symlink target of absurd length");
	r = take(s, h->link, size);
	if (r <= 0)
		return r < 0 ? r : bad(s, "truncated");
	h->link[size] = '\0';
	if (strlen(h->link) != size || has_control(h->link))
		return bad(s, "a malformed symlink target");
	return 1; /* data already consumed */
}

static int emit(struct newc *h, size_t seg, rf_inspect_fn fn, void *data)
{
	struct rf_inspect_entry e = {
		.path = h->name, .mode = h->f[F_MODE], .uid = h->f[F_UID], .gid = h->f[F_GID],
		.nlink = h->f[F_NLINK], .rdev_major = h->f[F_RMAJ], .rdev_minor = h->f[F_RMIN],
		.size = h->f[F_SIZE], .mtime = h->f[F_MTIME], .segment = seg,
	};

	if ((e.mode & S_IFMT) == S_IFLNK)
		e.link = h->link;
	while (e.path[0] == '.' && e.path[1] == '/')
		e.path += 2;
	if (!e.path[0])
		e.path = ".";
	return fn ? fn(&e, data) : 0;
}

/* Walk one newc archive up to and including its trailer. */
static int walk_archive(struct src *s, size_t seg, uint64_t *count, rf_inspect_fn fn, void *data)
{
	struct newc *h = malloc(sizeof(*h));
	int r;

	if (!h)
		return rf_fail(s->err, -ENOMEM, "%s: %s", s->img->name, strerror(ENOMEM));
	while ((r = read_header(s, h)) > 0) {
		bool trailer = strcmp(h->name, "TRAILER!!!") == 0;
		int consumed = trailer ? 0 : check_entry(s, h);

		if (consumed == 0 && (consumed = take(s, NULL, h->f[F_SIZE])) == 0)
			consumed = bad(s, "truncated");
		if (consumed < 0) {
			r = consumed;
			break;
		}
		if (take(s, NULL, (4 - h->f[F_SIZE] % 4) % 4) < 0) {
			r = -EBADMSG;
			break;
		}
		if (trailer)
			break;
		if (++*count > s->img->lim.max_entries) {
			r = bad(s, "too many entries");
			break;
		}
		if ((r = emit(h, seg, fn, data)) < 0)
			break;
	}
	if (r == 0)
		r = bad(s, "truncated: no TRAILER!!! entry");
	free(h);
	return r < 0 ? r : 0;
}

/* Skip zero padding (dracut pads to 512 bytes; a sparse terabyte of zeros must not make us
 * read it all); 1 when more data follows, 0 at the end. */
static int skip_zeros(struct src *s)
{
	uint64_t start = s->pos;

	for (;;) {
		int r = fill(s);

		if (r <= 0)
			return r;
		while (s->avail && *s->p == 0)
			s->p++, s->avail--, s->pos++;
		if (s->avail)
			return 1;
		if (s->pos - start > MAX_PADDING) {
			s->mark = start;
			return bad(s, "more than 16 MiB of zero padding");
		}
	}
}

/* A compressed stream may hold several archives back to back, as the kernel allows. */
static int walk_stream(struct src *s, size_t seg, rf_inspect_fn fn, void *data)
{
	uint64_t count = 0;
	int r;

	do {
		r = walk_archive(s, seg, &count, fn, data);
		if (r >= 0)
			r = skip_zeros(s);
	} while (r > 0);
	return r;
}

static const struct {
	unsigned char magic[6];
	size_t len;
	enum rf_inspect_compress c;
} magics[] = {
	{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, RF_INSPECT_ZSTD },
	{ { 0x1f, 0x8b }, 2, RF_INSPECT_GZIP },
	{ { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6, RF_INSPECT_XZ },
	{ { 0x02, 0x21, 0x4c, 0x18 }, 4, RF_INSPECT_LZ4_LEGACY },
	{ { 0x04, 0x22, 0x4d, 0x18 }, 4, RF_INSPECT_LZ4_FRAME },
	{ { 'B', 'Z', 'h' }, 3, RF_INSPECT_BZIP2 },
	{ { 0x5d, 0x00, 0x00 }, 3, RF_INSPECT_LZMA },
};

static int detect(const unsigned char *p, size_t n, enum rf_inspect_compress *c)
{
	if (n >= 6 && (memcmp(p, "070701", 6) == 0 || memcmp(p, "070702", 6) == 0)) {
		*c = RF_INSPECT_NONE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		if (n >= magics[i].len && memcmp(p, magics[i].magic, magics[i].len) == 0) {
			*c = magics[i].c;
			return 0;
		}
	}
	return -1;
}

/* Segments as the kernel finds them: cpio archives, zero padding between, and a compressed
 * stream that runs to the end of the image. Uncompressed archives are walked to find their end. */
static int find_segments(struct rf_inspect *img, struct rf_err *err)
{
	struct src *s = calloc(1, sizeof(*s));
	uint64_t count = 0;
	int r = s ? 0 : -ENOMEM;

	if (!s)
		return rf_fail(err, r, "%s: %s", img->name, strerror(ENOMEM));
	*s = (struct src){ .img = img, .err = err };
	while ((r = skip_zeros(s)) > 0) {
		struct rf_inspect_segment *seg = &img->seg[img->nseg];
		unsigned char head[6] = { 0 };
		ssize_t n = pread(img->fd, head, sizeof(head), (off_t)s->pos);

		s->mark = s->pos;
		if (detect(head, n > 0 ? (size_t)n : 0, &seg->compress) < 0) {
			r = bad(s, img->nseg ? "unknown data after the archive"
					     : "not an initramfs image (unknown magic)");
			break;
		}
		if (img->nseg == MAX_SEGMENTS - 1) {
			r = bad(s, "too many archives");
			break;
		}
		seg->offset = s->pos;
		img->nseg++;
		if (seg->compress != RF_INSPECT_NONE)
			break;
		r = walk_archive(s, img->nseg - 1, &count, NULL, NULL);
		if (r < 0)
			break;
	}
	free(s);
	if (r >= 0 && img->nseg == 0)
		r = rf_fail(err, -EBADMSG, "%s: empty image", img->name);
	return r < 0 ? r : 0;
}

int rf_inspect_open_fd(struct rf_inspect **out, int fd, const char *name,
		       const struct rf_inspect_limits *lim, struct rf_err *err)
{
	struct rf_inspect *img;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return rf_fail(err, -errno, "%s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rf_fail(err, -EINVAL, "%s: not a regular file", name);
	img = calloc(1, sizeof(*img));
	if (!img || !(img->name = strdup(name))) {
		free(img);
		return rf_fail(err, -ENOMEM, "%s: %s", name, strerror(ENOMEM));
	}
	img->fd = fd;
	img->own_fd = -1;
	img->size = (uint64_t)st.st_size;
	if (lim)
		img->lim = *lim;
	if (!img->lim.max_total)
		img->lim.max_total = RF_INSPECT_MAX_TOTAL;
	if (!img->lim.max_ratio)
		img->lim.max_ratio = RF_INSPECT_MAX_RATIO;
	if (!img->lim.max_entry_size)
		img->lim.max_entry_size = RF_INSPECT_MAX_ENTRY;
	if (!img->lim.max_entries)
		img->lim.max_entries = RF_INSPECT_MAX_ENTRIES;
	/* Nothing that unpacks to at most max_total can be larger (compression never grows
	 * data by much): this also bounds reading a plain cpio. */
	if (img->size > img->lim.max_total + img->lim.max_total / 8)
		r = rf_fail(err, -EFBIG, "%s: larger than any image ramforge reads (%llu bytes)",
			    name, (unsigned long long)img->size);
	else
		r = find_segments(img, err);
	if (r < 0) {
		rf_inspect_free(img);
		return r;
	}
	*out = img;
	return 0;
}

int rf_inspect_open(struct rf_inspect **out, const char *path, const struct rf_inspect_limits *lim,
		    struct rf_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	if (fd < 0)
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	r = rf_inspect_open_fd(out, fd, path, lim, err);
	if (r < 0)
		close(fd);
	else
		(*out)->own_fd = fd;
	return r;
}

size_t rf_inspect_nsegments(const struct rf_inspect *img)
{
	return img->nseg;
}

const struct rf_inspect_segment *rf_inspect_segment(const struct rf_inspect *img, size_t i)
{
	return i < img->nseg ? &img->seg[i] : NULL;
}

/* libarchive's client read: the compressed segment, straight from the image file. */
static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
	struct src *s = data;
	ssize_t n;

	do
		n = pread(s->img->fd, s->buf, CHUNK, (off_t)s->raw_off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	s->raw_off += (uint64_t)n;
	*buf = s->buf;
	return n;
}

static int open_decompressor(struct src *s, const struct rf_inspect_segment *seg)
{
	struct archive_entry *ae;
	struct archive *a = archive_read_new();
	int r;

	if (!a)
		return rf_fail(s->err, -ENOMEM, "%s: %s", s->img->name, strerror(ENOMEM));
	s->a = a;
	switch (seg->compress) {
	case RF_INSPECT_ZSTD: r = archive_read_support_filter_zstd(a); break;
	case RF_INSPECT_GZIP: r = archive_read_support_filter_gzip(a); break;
	case RF_INSPECT_XZ: r = archive_read_support_filter_xz(a); break;
	case RF_INSPECT_BZIP2: r = archive_read_support_filter_bzip2(a); break;
	case RF_INSPECT_LZMA: r = archive_read_support_filter_lzma(a); break;
	default: r = archive_read_support_filter_lz4(a); break;
	}
	if (r != ARCHIVE_OK || archive_read_support_format_raw(a) != ARCHIVE_OK)
		return rf_fail(s->err, -ENOTSUP, "%s: cannot read %s here: %s", s->img->name,
			       rf_inspect_compress_name(seg->compress), archive_error_string(a));
	s->raw_off = seg->offset;
	if (archive_read_open(a, s, NULL, read_cb, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK)
		return rf_fail(s->err, -EBADMSG, "%s: %s", s->img->name, archive_error_string(a));
	/* No filter took it (a broken stream header): libarchive would hand out the raw bytes. */
	if (archive_filter_count(a) < 2)
		return rf_fail(s->err, -EBADMSG, "%s: not a valid %s stream at offset %llu",
			       s->img->name, rf_inspect_compress_name(seg->compress),
			       (unsigned long long)seg->offset);
	return 0;
}

int rf_inspect_foreach(struct rf_inspect *img, rf_inspect_fn fn, void *data, struct rf_err *err)
{
	struct src *s = malloc(sizeof(*s));
	uint64_t total = 0, count = 0;
	int r = 0;

	if (!s)
		return rf_fail(err, -ENOMEM, "%s: %s", img->name, strerror(ENOMEM));
	for (size_t i = 0; r >= 0 && i < img->nseg; i++) {
		const struct rf_inspect_segment *seg = &img->seg[i];

		*s = (struct src){ .img = img, .err = err, .off = seg->offset, .total = &total };
		if (seg->compress == RF_INSPECT_NONE) {
			s->pos = seg->offset;
			r = walk_archive(s, i, &count, fn, data);
			continue;
		}
		r = open_decompressor(s, seg);
		if (r >= 0)
			r = walk_stream(s, i, fn, data);
		archive_read_free(s->a);
	}
	free(s);
	return r < 0 ? r : 0;
}

void rf_inspect_free(struct rf_inspect *img)
{
	if (!img)
		return;
	if (img->own_fd >= 0)
		close(img->own_fd);
	free(img->name);
	free(img);
}
