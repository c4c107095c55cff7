// SPDX-License-Identifier: MIT
/*
 * Reading images: every compression, dracut's early+main layout, crafted hostile headers, a
 * decompression bomb, and a fuzz loop of a few thousand mutated images (run under ASan+UBSan
 * too): each must list or fail with a message, never crash, hang or exhaust memory.
 */
#include <bzlib.h>
#include <errno.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "archive.h"
#include "compress.h"
#include "inspect.h"
#include "manifest.h"
#include "tap.h"

struct buf {
	unsigned char *p;
	size_t n;
};

static int img_fd, tmp_fd;

static void read_back(int fd, struct buf *b)
{
	struct stat st;

	fstat(fd, &st);
	b->n = (size_t)st.st_size;
	b->p = malloc(b->n ? b->n : 1);
	if (pread(fd, b->p, b->n, 0) != (ssize_t)b->n)
		b->n = 0;
}

static void set_image(const void *p, size_t n)
{
	if (ftruncate(img_fd, 0) < 0 || (n && pwrite(img_fd, p, n, 0) != (ssize_t)n))
		abort();
}

/* Compress in with our own compressors into a fresh buffer. */
static struct buf compress_buf(enum rf_compress c, const void *in, size_t n)
{
	struct rf_zsink *z;
	struct buf out = { 0 };

	if (ftruncate(tmp_fd, 0) < 0 || lseek(tmp_fd, 0, SEEK_SET) < 0)
		abort();
	if (rf_zsink_new(&z, tmp_fd, c, c == RF_COMPRESS_ZSTD ? 1 : -1, 1, NULL) < 0)
		abort();
	rf_zsink_write(z, in, n);
	rf_zsink_finish(z, NULL);
	rf_zsink_free(z);
	read_back(tmp_fd, &out);
	return out;
}

struct seen {
	size_t n;
	int bad_name;
	char first[64], last[64];
};

static int count_entry(const struct rf_inspect_entry *e, void *data)
{
	struct seen *s = data;

	if (e->path[0] == '/' || strstr(e->path, "../") || strcmp(e->path, "..") == 0 ||
	    strchr(e->path, '\n'))
		s->bad_name++;
	if (!s->n++)
		snprintf(s->first, sizeof(s->first), "%s", e->path);
	snprintf(s->last, sizeof(s->last), "%s", e->path);
	return 0;
}

/* Inspect the current image: 0 or -errno; err filled on failure. */
static int inspect(const struct rf_inspect_limits *lim, struct seen *s, struct rf_err *err,
		   enum rf_inspect_compress *c, size_t *nseg)
{
	struct rf_inspect *img;
	int r;

	memset(s, 0, sizeof(*s));
	err->msg[0] = '\0';
	r = rf_inspect_open_fd(&img, img_fd, "test.img", lim, err);
	if (r < 0)
		return r;
	if (c)
		*c = rf_inspect_segment(img, rf_inspect_nsegments(img) - 1)->compress;
	if (nseg)
		*nseg = rf_inspect_nsegments(img);
	r = rf_inspect_foreach(img, count_entry, s, err);
	rf_inspect_free(img);
	return r;
}

static struct buf base_cpio(size_t *nentries)
{
	struct rf_manifest m = { 0 };
	struct rf_archive_opts o = { .compress = RF_COMPRESS_NONE, .level = -1, .threads = 1 };
	static unsigned char data[60000];
	struct buf b;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + i / 100);
	rf_manifest_add_bytes(&m, "init", data, 5000, 0755);
	rf_manifest_add_bytes(&m, "lib/modules/6.1.0-1-amd64/kernel/fs/ext4/ext4.ko", data,
			      sizeof(data), 0644);
	rf_manifest_add_bytes(&m, "lib/modules/6.1.0-1-amd64/kernel/drivers/virtio_blk.ko.zst",
			      data, 3000, 0644);
	rf_manifest_add_bytes(&m, "lib/modules/6.1.0-1-amd64/modules.dep", "a: b\n", 5, 0644);
	rf_manifest_add_symlink(&m, "bin", "usr/bin");
	rf_manifest_add_node(&m, "dev/console", S_IFCHR | 0600, makedev(5, 1));
	rf_manifest_add_dir(&m, "sysroot", 0755);
	rf_manifest_sort(&m);
	*nentries = m.n;
	if (ftruncate(tmp_fd, 0) < 0 || lseek(tmp_fd, 0, SEEK_SET) < 0 ||
	    rf_archive_write(&m, tmp_fd, &o, NULL) < 0)
		abort();
	rf_manifest_free(&m);
	read_back(tmp_fd, &b);
	return b;
}

static void test_compressions(const struct buf *cpio, size_t n)
{
	static const enum rf_inspect_compress want[] = { RF_INSPECT_ZSTD, RF_INSPECT_GZIP, RF_INSPECT_XZ,
							 RF_INSPECT_LZ4_LEGACY, RF_INSPECT_NONE };
	struct rf_err err;
	struct seen s;
	enum rf_inspect_compress c;

	for (int i = RF_COMPRESS_ZSTD; i <= RF_COMPRESS_NONE; i++) {
		struct buf z = compress_buf((enum rf_compress)i, cpio->p, cpio->n);
		int r;

		set_image(z.p, z.n);
		r = inspect(NULL, &s, &err, &c, NULL);
		TAP_CHECK(r == 0 && c == want[i] && s.n == n && strcmp(s.first, "bin") == 0 &&
				  strcmp(s.last, "sysroot") == 0,
			  "%s: detected as %s, %zu entries listed %s", rf_compress_name(i),
			  rf_inspect_compress_name(c), s.n, err.msg);
		free(z.p);
	}
	{
		size_t cap = LZ4F_compressFrameBound(cpio->n, NULL);
		unsigned char *f = malloc(cap);
		size_t fn = LZ4F_compressFrame(f, cap, cpio->p, cpio->n, NULL);

		set_image(f, fn);
		TAP_CHECK(inspect(NULL, &s, &err, &c, NULL) == 0 && c == RF_INSPECT_LZ4_FRAME && s.n == n,
			  "lz4 frame format: detected as such and listed %s", err.msg);
		free(f);
	}
}

/* dracut: uncompressed early cpio, zero padding to 512, then the compressed main cpio. */
static struct buf dracut_layout(const struct buf *cpio)
{
	struct buf z = compress_buf(RF_COMPRESS_ZSTD, cpio->p, cpio->n), d;
	size_t early = (cpio->n + 511) & ~(size_t)511;

	d.n = early + z.n;
	d.p = calloc(1, d.n);
	memcpy(d.p, cpio->p, cpio->n);
	memcpy(d.p + early, z.p, z.n);
	free(z.p);
	return d;
}

static void test_dracut(const struct buf *cpio, size_t n)
{
	struct buf d = dracut_layout(cpio);
	struct rf_err err;
	struct seen s;
	size_t nseg = 0;
	enum rf_inspect_compress c;
	struct rf_inspect *img;

	set_image(d.p, d.n);
	TAP_CHECK(inspect(NULL, &s, &err, &c, &nseg) == 0 && nseg == 2 && c == RF_INSPECT_ZSTD &&
			  s.n == 2 * n,
		  "dracut layout: 2 segments (none, zstd), %zu entries %s", s.n, err.msg);
	if (rf_inspect_open_fd(&img, img_fd, "t", NULL, &err) == 0) {
		TAP_CHECK(rf_inspect_segment(img, 1)->offset == ((cpio->n + 511) & ~(size_t)511),
			  "dracut layout: the main part's offset is after the zero padding");
		rf_inspect_free(img);
	}
	free(d.p);
}

/* bzip2 and lzma (.lzma) streams, which ramforge does not write, straight from the libraries. */
static struct buf other_format(enum rf_inspect_compress c, const struct buf *in)
{
	struct buf out = { malloc(in->n * 2 + 4096), in->n * 2 + 4096 };

	if (c == RF_INSPECT_BZIP2) {
		unsigned n = (unsigned)out.n;

		if (BZ2_bzBuffToBuffCompress((char *)out.p, &n, (char *)in->p, (unsigned)in->n, 9, 0, 0) != BZ_OK)
			abort();
		out.n = n;
	} else {
		lzma_stream z = LZMA_STREAM_INIT;
		lzma_options_lzma opt;

		lzma_lzma_preset(&opt, 6);
		if (lzma_alone_encoder(&z, &opt) != LZMA_OK)
			abort();
		z.next_in = in->p, z.avail_in = in->n, z.next_out = out.p, z.avail_out = out.n;
		while (lzma_code(&z, LZMA_FINISH) == LZMA_OK)
			;
		out.n = out.n - z.avail_out;
		lzma_end(&z);
	}
	return out;
}

/* Each format's stream, then zero padding and a zstd stream: the first stream must end exactly
 * where its compressor stopped, as the kernel's decompressor says, so the second is found. */
static void test_stream_ends(const struct buf *cpio, size_t n)
{
	static const enum rf_inspect_compress fmts[] = {
		RF_INSPECT_ZSTD, RF_INSPECT_GZIP, RF_INSPECT_XZ, RF_INSPECT_LZ4_LEGACY,
		RF_INSPECT_LZ4_FRAME, RF_INSPECT_BZIP2, RF_INSPECT_LZMA,
	};
	struct buf second = compress_buf(RF_COMPRESS_ZSTD, cpio->p, cpio->n);

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		enum rf_inspect_compress c = fmts[i];
		struct buf first;
		struct rf_inspect *img;
		struct rf_err err = { "" };
		struct seen s;
		unsigned char *all;
		size_t len, nseg = 0;
		int r;

		if (c == RF_INSPECT_LZ4_FRAME) {
			first.n = LZ4F_compressFrameBound(cpio->n, NULL);
			first.p = malloc(first.n);
			first.n = LZ4F_compressFrame(first.p, first.n, cpio->p, cpio->n, NULL);
		} else if (c == RF_INSPECT_BZIP2 || c == RF_INSPECT_LZMA) {
			first = other_format(c, cpio);
		} else {
			first = compress_buf(c == RF_INSPECT_ZSTD ? RF_COMPRESS_ZSTD
					     : c == RF_INSPECT_GZIP ? RF_COMPRESS_GZIP
					     : c == RF_INSPECT_XZ ? RF_COMPRESS_XZ : RF_COMPRESS_LZ4,
					     cpio->p, cpio->n);
		}
		len = first.n + 8 + second.n;
		all = calloc(1, len);
		memcpy(all, first.p, first.n);
		memcpy(all + first.n + 8, second.p, second.n);
		set_image(all, len);
		r = inspect(NULL, &s, &err, NULL, &nseg);
		if (r == 0 && rf_inspect_open_fd(&img, img_fd, "t", NULL, &err) == 0) {
			const struct rf_inspect_segment *a = rf_inspect_segment(img, 0);
			const struct rf_inspect_segment *b = rf_inspect_segment(img, 1);

			r = nseg == 2 && a->compress == c && a->length == first.n && a->unpacked == cpio->n &&
			    a->entries == n && a->archives == 1 && b && b->offset == first.n + 8 &&
			    b->length == second.n && s.n == 2 * n ? 0 : -1;
			rf_inspect_free(img);
		}
		TAP_CHECK(r == 0, "%s stream, padding, zstd stream: 2 segments, the first ends at %zu %s",
			  rf_inspect_compress_name(c), first.n, err.msg);
		free(all);
		free(first.p);
	}
	free(second.p);
}

/* One hand-made newc entry (kernel buffer-format), name and data padded to 4. */
static size_t newc(unsigned char *out, const char *name, unsigned mode, unsigned long namesize,
		   unsigned long size, const char *data)
{
	size_t len = strlen(name) + 1, n;

	n = (size_t)sprintf((char *)out, "070701%08X%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08lX%08X",
			    1, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize ? namesize : len, 0);
	memcpy(out + n, name, len);
	n = (n + len + 3) & ~(size_t)3;
	if (data) {
		memcpy(out + n, data, size);
		n = (n + size + 3) & ~(size_t)3;
	}
	return n;
}

static void expect_error(const unsigned char *p, size_t n, int code, const char *what, const char *word)
{
	struct rf_err err;
	struct seen s;
	int r;

	set_image(p, n);
	r = inspect(NULL, &s, &err, NULL, NULL);
	TAP_CHECK(r == code && strstr(err.msg, word) && s.bad_name == 0, "%s: %s", what, err.msg);
}

/* Sparse files: a long run of zeros, and a file too large to be an image, are refused
 * without reading them through. */
static void test_sparse(void)
{
	unsigned char b[512];
	size_t n = newc(b, "TRAILER!!!", 0, 0, 0, NULL);
	struct rf_err err;
	struct seen s;

	set_image(b, n);
	if (pwrite(img_fd, b, n, 40u << 20) != (ssize_t)n)
		abort();
	TAP_CHECK(inspect(NULL, &s, &err, NULL, NULL) == -EBADMSG && strstr(err.msg, "zero padding"),
		  "40 MiB of zeros between archives is refused: %s", err.msg);
	TAP_CHECK(ftruncate(img_fd, 5ll << 30) == 0 && inspect(NULL, &s, &err, NULL, NULL) == -EFBIG,
		  "a 5 GiB file is refused without reading it: %s", err.msg);
}

static void test_crafted(void)
{
	unsigned char b[4096] = { 0 };
	size_t n;

	n = newc(b, "../etc/passwd", 0100644, 0, 4, "root");
	n += newc(b + n, "TRAILER!!!", 0, 0, 0, NULL);
	expect_error(b, n, -EBADMSG, "a \"../\" name is refused", "..");
	n = newc(b, "/etc/passwd", 0100644, 0, 4, "root");
	n += newc(b + n, "TRAILER!!!", 0, 0, 0, NULL);
	expect_error(b, n, -EBADMSG, "an absolute name is refused", "absolute");
	n = newc(b, "a/../../x", 0100644, 0, 0, "");
	expect_error(b, n, -EBADMSG, "a \"..\" component inside a name is refused", "..");
	n = newc(b, "init\nfake-line", 0100644, 0, 0, "");
	expect_error(b, n, -EBADMSG, "a name with a newline is refused", "control");
	n = newc(b, "init", 0100644, 0xFFFFFFFFul, 0, NULL);
	expect_error(b, n, -EBADMSG, "a name size of 4 GiB is refused", "absurd length");
	n = newc(b, "init", 0100644, 0, 0xFFFFFFFFul, NULL);
	expect_error(b, n, -EBADMSG, "a file size of 4 GiB is refused", "absurd size");
	n = newc(b, "lnk", 0120777, 0, 0x100000ul, NULL);
	expect_error(b, n, -EBADMSG, "a 1 MiB symlink target is refused", "symlink");
	n = newc(b, "init", 0100644, 0, 4, "abcd");
	expect_error(b, n, -EBADMSG, "an archive without TRAILER!!! is truncated", "TRAILER");
	n += newc(b + n, "TRAILER!!!", 0, 0, 0, NULL);
	memcpy(b + n, "garbage!", 8);
	expect_error(b, n + 8, -EBADMSG, "garbage after the archive is refused", "unknown data");
	expect_error(b, 0, -EBADMSG, "an empty file is refused", "empty");
	memset(b, 0, 1024);
	expect_error(b, 1024, -EBADMSG, "a file of zeros is refused", "empty");
	memcpy(b, "\x7f" "ELF\2\1\1", 7);
	expect_error(b, 1024, -EBADMSG, "an ELF file is not an image", "unknown magic");
	test_sparse();
}

/* 1 GiB of zeros behind a valid header compresses to a few hundred KiB. */
static void test_bomb(void)
{
	unsigned char hdr[256], *zeros = calloc(1, 1 << 20);
	struct rf_inspect_limits lim = { .max_ratio = 1u << 30 };
	size_t n = newc(hdr, "bomb", 0100644, 0, 0x3FFFFFF0ul, NULL);
	struct rf_zsink *z;
	struct rf_err err;
	struct seen s;
	int r;

	if (ftruncate(img_fd, 0) < 0 || lseek(img_fd, 0, SEEK_SET) < 0 ||
	    rf_zsink_new(&z, img_fd, RF_COMPRESS_ZSTD, 1, 0, NULL) < 0)
		abort();
	rf_zsink_write(z, hdr, n);
	for (int i = 0; i < 1024; i++)
		rf_zsink_write(z, zeros, 1 << 20);
	rf_zsink_finish(z, NULL);
	rf_zsink_free(z);
	free(zeros);
	r = inspect(NULL, &s, &err, NULL, NULL);
	TAP_CHECK(r == -EFBIG && strstr(err.msg, "bomb"), "a zstd bomb (1 GiB of zeros) is stopped: %s",
		  err.msg);
	lim.max_total = 32u << 20;
	r = inspect(&lim, &s, &err, NULL, NULL);
	TAP_CHECK(r == -EFBIG && strstr(err.msg, "more than 33554432 bytes"),
		  "the total decompressed size is bounded: %s", err.msg);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* 1-3 random edits: bit flips, truncation, inserted garbage, hostile hex fields, zeroed and
 * duplicated ranges. out has room for in->n + 4096. */
static size_t mutate(const struct buf *in, unsigned char *out)
{
	size_t n = in->n;

	memcpy(out, in->p, n);
	for (int k = 1 + (int)rnd(3); k > 0 && n > 8; k--) {
		size_t at = rnd((uint32_t)n), len = 1 + rnd(64);
		static const char *const hex[] = { "FFFFFFFF", "7FFFFFFF", "00000000", "0000FFFF", "zzzzzzzz" };

		switch (rnd(6)) {
		case 0:
			for (int b = 1 + (int)rnd(8); b > 0; b--)
				out[rnd((uint32_t)n)] ^= (unsigned char)(1u << rnd(8));
			break;
		case 1:
			n = at;
			break;
		case 2:
			memmove(out + at + len, out + at, n - at);
			for (size_t i = 0; i < len; i++)
				out[at + i] = (unsigned char)rnd(256);
			n += len;
			break;
		case 3: /* a header field (6 + 8*i into a header) set to an extreme value */
			at = (at & ~(size_t)3) + 6 + 8 * rnd(13);
			if (at + 8 <= n)
				memcpy(out + at, hex[rnd(5)], 8);
			break;
		case 4:
			memset(out + at, 0, at + len <= n ? len : n - at);
			break;
		case 5:
			if (at + len <= n && n + len <= in->n + 4096) {
				memmove(out + at + len, out + at, n - at);
				n += len;
			}
			break;
		}
	}
	return n;
}

static int fuzz(const char *what, const struct buf *base, int count, bool recompress)
{
	unsigned char *m = malloc(base->n + 4096);
	int failed = 0, errors = 0;

	for (int i = 0; i < count; i++) {
		size_t n = mutate(base, m);
		struct rf_err err;
		struct seen s;
		int r;

		if (recompress) {
			struct buf z = compress_buf(RF_COMPRESS_ZSTD, m, n);
			set_image(z.p, z.n);
			free(z.p);
		} else {
			set_image(m, n);
		}
		r = inspect(NULL, &s, &err, NULL, NULL);
		errors += r < 0;
		if ((r < 0 && !err.msg[0]) || s.bad_name || (r < 0 && r != -EBADMSG && r != -EFBIG && r != -ENOTSUP)) {
			if (failed++ < 3)
				printf("# %s case %d: r=%d msg='%s' bad names=%d\n", what, i, r, err.msg,
				       s.bad_name);
		}
	}
	free(m);
	TAP_CHECK(failed == 0, "fuzz %s: %d mutated images, %d refused with a message, none crashed",
		  what, count, errors);
	return count;
}

int main(void)
{
	size_t n;
	struct buf cpio, d;
	int total = 0;
	/* RF_FUZZ_SCALE=N runs N times as many cases (for a longer local run). */
	int k = getenv("RF_FUZZ_SCALE") ? atoi(getenv("RF_FUZZ_SCALE")) : 1;

	img_fd = memfd_create("image", MFD_CLOEXEC);
	tmp_fd = memfd_create("scratch", MFD_CLOEXEC);
	if (img_fd < 0 || tmp_fd < 0)
		return 1;
	cpio = base_cpio(&n);
	test_compressions(&cpio, n);
	test_dracut(&cpio, n);
	test_stream_ends(&cpio, n);
	test_crafted();
	test_bomb();
	d = dracut_layout(&cpio);
	total += fuzz("uncompressed cpio", &cpio, 2000 * k, false);
	total += fuzz("cpio behind zstd", &cpio, 600 * k, true);
	total += fuzz("dracut layout", &d, 600 * k, false);
	for (int c = RF_COMPRESS_ZSTD; c < RF_COMPRESS_NONE; c++) {
		struct buf z = compress_buf((enum rf_compress)c, cpio.p, cpio.n);
		char what[64];

		snprintf(what, sizeof(what), "%s stream", rf_compress_name(c));
		total += fuzz(what, &z, 300 * k, false);
		free(z.p);
	}
	printf("# %d mutated images in all\n", total);
	free(d.p);
	free(cpio.p);
	return tap_done();
}
