// SPDX-License-Identifier: MIT
/*
 * Reading images; see inspect.h. The segments are found as the kernel's unpack_to_rootfs
 * (init/initramfs.c) finds them: zero bytes are skipped; a '0' at a 4-byte aligned offset
 * starts an uncompressed newc archive; any other byte starts a compressed stream, which is
 * decompressed to its end (zread.c), and whatever follows it is read the same way. A stream
 * unpacks to newc archives one after another (zero padding between, headers 4-byte aligned).
 * The newc entries are walked here, not by libarchive's cpio reader: that one reads an entry
 * name of whatever length the header claims (up to 4 GiB) into memory and silently skips
 * garbage looking for the next header, while an inspector of untrusted images must bound
 * both and say where the image is broken. The newc layout is the kernel's
 * (Documentation/driver-api/early-userspace/buffer-format.rst): 110-byte header, name, 4-byte
 * padding, data, 4-byte padding; "TRAILER!!!" ends an archive.
 */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zread.h"

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

/* Totals over the segments walked so far, for the limits. */
struct totals {
	uint64_t unpacked; /* decompressed bytes */
	uint64_t packed;   /* compressed bytes of the streams already finished */
	uint64_t entries;
};

/* The entries' data a walk hands to its callback: regular files of at most max bytes. */
struct want_data {
	bool stream; /* rf_inspect_foreach_stream: data read through rf_inspect_chunk */
	uint64_t max;
	unsigned char *buf;
	size_t cap;
};

/* A byte stream: a range of the image file, or what one compressed segment unpacks to. */
struct src {
	struct want_data *wd;    /* NULL: no data is read for the callback */
	struct rf_inspect *img;
	struct rf_err *err;
	struct rf_inspect_segment *seg; /* the segment being walked (its counts are updated) */
	size_t index;                   /* and its index */
	struct totals *t;
	uint64_t off;            /* file: next offset to read */
	struct rf_zread *z;      /* decompressed: the reader */
	const unsigned char *p;  /* unread bytes */
	size_t avail;
	uint64_t pos;            /* stream offset of p */
	uint64_t mark;           /* stream offset of the entry being read, for messages */
	unsigned char buf[CHUNK];
};

const char *rf_inspect_compress_name(enum rf_inspect_compress c)
{
	static const char *const n[] = { "none", "zstd", "gzip", "xz", "lz4 (legacy)",
					 "lz4 (frame format)", "bzip2", "lzma", "lzo" };

	return (unsigned)c < sizeof(n) / sizeof(n[0]) ? n[c] : "?";
}

/* "IMAGE: WHY at offset N of the image[TAIL]" (or of a decompressed stream): -EBADMSG. */
static int bad_at(struct src *s, const char *why, const char *tail)
{
	if (!s->z)
		return rf_fail(s->err, -EBADMSG, "%s: %s at offset %llu of the image%s", s->img->name,
			       why, (unsigned long long)s->mark, tail);
	return rf_fail(s->err, -EBADMSG, "%s: %s at offset %llu of the decompressed %s stream at %llu%s",
		       s->img->name, why, (unsigned long long)s->mark,
		       rf_inspect_compress_name(s->seg->compress), (unsigned long long)s->seg->offset,
		       tail);
}

static int bad(struct src *s, const char *why)
{
	return bad_at(s, why, "");
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

static int fill_decoded(struct src *s)
{
	const struct rf_inspect_limits *l = &s->img->lim;
	struct rf_err why = { "" };
	const void *block;
	size_t len;
	uint64_t packed;
	int r = rf_zread_next(s->z, &block, &len, &why);

	if (r < 0)
		return rf_fail(s->err, r, "%s: the %s stream at offset %llu: %s", s->img->name,
			       rf_inspect_compress_name(s->seg->compress),
			       (unsigned long long)s->seg->offset, why.msg);
	if (r == 0)
		return 0;
	s->t->unpacked += len;
	packed = s->t->packed + rf_zread_consumed(s->z);
	if (s->t->unpacked > l->max_total)
		return rf_fail(s->err, -EFBIG, "%s: more than %llu bytes decompressed: refusing to go on",
			       s->img->name, (unsigned long long)l->max_total);
	if (s->t->unpacked > RF_INSPECT_RATIO_AFTER && s->t->unpacked / (packed ? packed : 1) > l->max_ratio)
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
	return s->z ? fill_decoded(s) : fill_file(s);
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
		if (!dst && !s->z && s->avail == 0 && n > 0) {
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
static bool only_nuls(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int read_header(struct src *s, struct newc *h)
{
	char hdr[NEWC_HDR];
	uint32_t ns;
	int r;

	s->mark = s->pos;
	r = take(s, hdr, NEWC_HDR);
	if (r <= 0)
		return r;
	if (memcmp(hdr, "070707", 6) == 0)
		return bad(s, "an old (odc) cpio header: the kernel reads only newc (cpio -H newc)");
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
	/* The kernel reads a name up to its first NUL; NULs after it pad the data to an alignment
	 * (ramforge's and iucode_tool's early microcode cpio, gen_init_cpio -a). */
	if (h->name[ns - 1] != '\0' || !only_nuls(h->name + strlen(h->name), ns - strlen(h->name)))
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

/* Read a regular file's data for the callback, when it is wanted: 1 when read, 0 when not
 * wanted, or -errno. */
static int take_data(struct src *s, const struct newc *h)
{
	struct want_data *wd = s->wd;
	size_t size = h->f[F_SIZE];
	int r;

	if (!wd || (h->f[F_MODE] & S_IFMT) != S_IFREG || size > wd->max)
		return 0;
	if (size + 1 > wd->cap) {
		unsigned char *grown = realloc(wd->buf, size + 1);

		if (!grown)
			return rf_fail(s->err, -ENOMEM, "%s: %s", s->img->name, strerror(ENOMEM));
		wd->buf = grown;
		wd->cap = size + 1;
	}
	r = take(s, wd->buf, size);
	return r < 0 ? r : r == 0 && size ? bad(s, "truncated") : 1;
}

static int emit(struct newc *h, size_t seg, unsigned char *bytes, struct rf_inspect_stream *st,
		rf_inspect_fn fn, void *data)
{
	struct rf_inspect_entry e = {
		.path = h->name, .mode = h->f[F_MODE], .uid = h->f[F_UID], .gid = h->f[F_GID],
		.nlink = h->f[F_NLINK], .rdev_major = h->f[F_RMAJ], .rdev_minor = h->f[F_RMIN],
		.size = h->f[F_SIZE], .mtime = h->f[F_MTIME], .segment = seg, .data = bytes,
		.stream = st,
	};

	if ((e.mode & S_IFMT) == S_IFLNK)
		e.link = h->link;
	while (e.path[0] == '.' && e.path[1] == '/')
		e.path += 2;
	if (!e.path[0])
		e.path = ".";
	return fn ? fn(&e, data) : 0;
}

/* A regular file's entry for rf_inspect_foreach_stream: counted, handed to fn with its data
 * still unread, then the rest of the data and the padding skipped. */
struct rf_inspect_stream {
	struct src *s;
	uint64_t left;
};

static int emit_stream(struct src *s, struct newc *h, rf_inspect_fn fn, void *data)
{
	struct rf_inspect_stream st = { .s = s, .left = h->f[F_SIZE] };
	int r;

	if (++s->t->entries > s->img->lim.max_entries)
		return bad(s, "too many entries");
	s->seg->entries++;
	r = emit(h, s->index, NULL, &st, fn, data);
	if (r >= 0 && st.left && (r = take(s, NULL, st.left)) == 0)
		r = bad(s, "truncated");
	if (r >= 0 && take(s, NULL, (4 - h->f[F_SIZE] % 4) % 4) < 0)
		r = -EBADMSG;
	return r < 0 ? r : 0;
}

int rf_inspect_chunk(struct rf_inspect_stream *st, const void **p, size_t *n)
{
	struct src *s = st->s;
	int r;

	if (st->left == 0)
		return 0;
	r = fill(s);
	if (r <= 0)
		return r < 0 ? r : bad(s, "truncated");
	*p = s->p;
	*n = s->avail < st->left ? s->avail : (size_t)st->left;
	s->p += *n, s->avail -= *n, s->pos += *n, st->left -= *n;
	return 1;
}

/* Walk one newc archive up to and including its trailer. */
static int walk_archive(struct src *s, rf_inspect_fn fn, void *data)
{
	struct newc *h = malloc(sizeof(*h));
	int r;

	if (!h)
		return rf_fail(s->err, -ENOMEM, "%s: %s", s->img->name, strerror(ENOMEM));
	while ((r = read_header(s, h)) > 0) {
		bool trailer = strcmp(h->name, "TRAILER!!!") == 0;
		int consumed = trailer ? 0 : check_entry(s, h);
		bool with_data = false;

		if (consumed == 0 && !trailer && fn && s->wd && s->wd->stream &&
		    (h->f[F_MODE] & S_IFMT) == S_IFREG) {
			if ((r = emit_stream(s, h, fn, data)) < 0)
				break;
			continue;
		}
		if (consumed == 0 && !trailer && fn && (consumed = take_data(s, h)) > 0)
			with_data = true;
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
		if (++s->t->entries > s->img->lim.max_entries) {
			r = bad(s, "too many entries");
			break;
		}
		s->seg->entries++;
		if ((r = emit(h, s->index, with_data ? s->wd->buf : NULL, NULL, fn, data)) < 0)
			break;
	}
	if (r == 0)
		r = bad(s, "truncated: no TRAILER!!! entry");
	free(h);
	if (r < 0)
		return r;
	s->seg->archives++;
	return 0;
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

/* A compressed stream unpacks to archives back to back, with zero padding between; after it,
 * the kernel (flush_buffer) takes only a 4-byte aligned header. */
static int walk_stream(struct src *s, rf_inspect_fn fn, void *data)
{
	int r;

	do {
		r = walk_archive(s, fn, data);
		if (r >= 0)
			r = skip_zeros(s);
		s->mark = s->pos;
		if (r > 0 && s->pos % 4)
			r = bad_at(s, "broken padding", " (the next header is not 4-byte aligned): "
							"the kernel stops there");
		else if (r > 0 && *s->p != '0')
			r = bad_at(s, "junk within compressed archive", ": the kernel stops there");
	} while (r > 0);
	return r;
}

/* The kernel's table (lib/decompress.c): two bytes of magic each. lz4's frame format is not
 * in it; it is listed anyway, with a note. */
static const struct {
	unsigned char magic[2];
	enum rf_inspect_compress c;
} magics[] = {
	{ { 0x1f, 0x8b }, RF_INSPECT_GZIP },   { { 0x1f, 0x9e }, RF_INSPECT_GZIP },
	{ { 'B', 'Z' }, RF_INSPECT_BZIP2 },    { { 0x5d, 0x00 }, RF_INSPECT_LZMA },
	{ { 0xfd, '7' }, RF_INSPECT_XZ },      { { 0x89, 'L' }, RF_INSPECT_LZO },
	{ { 0x02, 0x21 }, RF_INSPECT_LZ4_LEGACY }, { { 0x28, 0xb5 }, RF_INSPECT_ZSTD },
	{ { 0x04, 0x22 }, RF_INSPECT_LZ4_FRAME },
};

/* The segment that starts at s->pos (a byte that is not zero). after_cpio: it follows an
 * uncompressed archive, whose end the kernel reads as padding that must stay aligned. */
static int classify(struct src *s, bool after_cpio, enum rf_inspect_compress *c)
{
	unsigned char head[2] = { s->p[0], s->avail > 1 ? s->p[1] : 0 };
	size_t n = s->avail > 1 ? 2 : 1;
	char tail[160];

	s->mark = s->pos;
	if (n < 2 && s->pos + 1 < s->img->size && pread(s->img->fd, head + 1, 1, (off_t)s->pos + 1) == 1)
		n = 2;
	if (after_cpio && s->pos % 4)
		return bad_at(s, "a segment that is not 4-byte aligned after a cpio archive",
			      ": the kernel stops there (broken padding)");
	if (head[0] == '0' && s->pos % 4 == 0) {
		*c = RF_INSPECT_NONE;
		return 0;
	}
	if (head[0] == '0')
		return bad_at(s, "a cpio archive that is not 4-byte aligned", ": the kernel stops "
			      "there (invalid magic at start of compressed archive)");
	for (size_t i = 0; n == 2 && i < sizeof(magics) / sizeof(magics[0]); i++)
		if (memcmp(head, magics[i].magic, 2) == 0) {
			*c = magics[i].c;
			return 0;
		}
	if (s->img->nseg == 0)
		return bad(s, "not an initramfs image (unknown magic)");
	snprintf(tail, sizeof(tail), ", after the %s segment at %llu: the kernel stops there "
		 "(invalid magic at start of compressed archive)",
		 rf_inspect_compress_name(s->img->seg[s->img->nseg - 1].compress),
		 (unsigned long long)s->img->seg[s->img->nseg - 1].offset);
	return bad_at(s, "unknown data", tail);
}

/* Walk the segment at seg->offset of format seg->compress, filling in its length, unpacked
 * size and counts. */
static int walk_segment(struct src *s, struct rf_inspect_segment *seg, size_t index,
			struct totals *t, rf_inspect_fn fn, void *data)
{
	struct rf_inspect *img = s->img;
	struct rf_err *err = s->err, why = { "" };
	int r;

	*s = (struct src){ .img = img, .err = err, .seg = seg, .index = index, .t = t,
			   .off = seg->offset, .pos = seg->offset, .wd = s->wd };
	seg->archives = 0;
	seg->entries = 0;
	if (seg->compress == RF_INSPECT_NONE) {
		r = walk_archive(s, fn, data);
		seg->length = seg->unpacked = s->pos - seg->offset;
		return r;
	}
	if (seg->compress == RF_INSPECT_LZO)
		return rf_fail(err, -ENOTSUP, "%s: an lzo stream at offset %llu: ramforge cannot read lzo",
			       img->name, (unsigned long long)seg->offset);
	r = rf_zread_new(&s->z, seg->compress, img->fd, seg->offset, img->size, &why);
	if (r < 0)
		return rf_fail(err, r, "%s: the %s stream at offset %llu: %s", img->name,
			       rf_inspect_compress_name(seg->compress), (unsigned long long)seg->offset,
			       why.msg);
	s->pos = 0;
	r = walk_stream(s, fn, data);
	seg->length = rf_zread_consumed(s->z);
	seg->unpacked = s->pos;
	t->packed += seg->length;
	rf_zread_free(s->z);
	s->z = NULL;
	return r;
}

/* Segments as the kernel finds them, each walked in full: that is how its end is found, and a
 * broken image fails here, before anything is listed. */
static int find_segments(struct rf_inspect *img, struct rf_err *err)
{
	struct src *s = calloc(1, sizeof(*s));
	struct totals t = { 0 };
	uint64_t off = 0;
	bool after_cpio = false;
	int r;

	if (!s)
		return rf_fail(err, -ENOMEM, "%s: %s", img->name, strerror(ENOMEM));
	for (;;) {
		struct rf_inspect_segment seg = { 0 };

		*s = (struct src){ .img = img, .err = err, .off = off, .pos = off };
		r = skip_zeros(s);
		if (r > 0)
			r = classify(s, after_cpio, &seg.compress);
		else
			break;
		if (r >= 0 && img->nseg == MAX_SEGMENTS)
			r = rf_fail(err, -EBADMSG, "%s: more than %d segments", img->name, MAX_SEGMENTS);
		seg.offset = s->pos;
		if (r >= 0)
			r = walk_segment(s, &seg, img->nseg, &t, NULL, NULL);
		if (r < 0)
			break;
		img->seg[img->nseg++] = seg;
		off = seg.offset + seg.length;
		after_cpio = seg.compress == RF_INSPECT_NONE;
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

static int foreach(struct rf_inspect *img, struct want_data *wd, rf_inspect_fn fn, void *data,
		   struct rf_err *err)
{
	struct src *s = malloc(sizeof(*s));
	struct totals t = { 0 };
	int r = 0;

	if (!s)
		return rf_fail(err, -ENOMEM, "%s: %s", img->name, strerror(ENOMEM));
	for (size_t i = 0; r >= 0 && i < img->nseg; i++) {
		struct rf_inspect_segment seg = img->seg[i];

		s->err = err;
		s->img = img;
		s->wd = wd;
		r = walk_segment(s, &seg, i, &t, fn, data);
		if (r >= 0 && seg.length != img->seg[i].length)
			r = rf_fail(err, -EIO, "%s: the image changed while it was read", img->name);
	}
	free(s);
	return r < 0 ? r : 0;
}

int rf_inspect_foreach(struct rf_inspect *img, rf_inspect_fn fn, void *data, struct rf_err *err)
{
	return foreach(img, NULL, fn, data, err);
}

int rf_inspect_foreach_data(struct rf_inspect *img, uint64_t max_data, rf_inspect_fn fn, void *data,
			    struct rf_err *err)
{
	struct want_data wd = { .max = max_data };
	int r = foreach(img, &wd, fn, data, err);

	free(wd.buf);
	return r;
}

int rf_inspect_foreach_stream(struct rf_inspect *img, rf_inspect_fn fn, void *data,
			      struct rf_err *err)
{
	struct want_data wd = { .stream = true };

	return foreach(img, &wd, fn, data, err);
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
