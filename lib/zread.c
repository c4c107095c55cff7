// SPDX-License-Identifier: MIT
/*
 * Decompressing one stream of an image; see zread.h. Each library is driven directly, not
 * through libarchive's filters: those go on into a following member or frame of the same
 * format, and read ahead, so they cannot say where a stream ended, which is where the kernel
 * goes on reading the next segment.
 */
#include "zread.h"

#include <bzlib.h>
#include <errno.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define IN_CHUNK (64 * 1024)
#define OUT_CHUNK (64 * 1024)
/* lz4 legacy (the kernel's unlz4): a magic, then chunks of 8 MiB of output, each after its
 * compressed size (little-endian 32 bits). */
#define LZ4_LEGACY_MAGIC 0x184C2102u
#define LZ4_LEGACY_CHUNK (8u << 20)

struct rf_zread {
	enum rf_inspect_compress c;
	int fd;
	uint64_t next, end;  /* file offset of the next byte to read; the file's size */
	uint64_t consumed;   /* compressed bytes the decoder took */
	unsigned char *in, *out;
	size_t in_pos, in_len, in_cap, out_cap;
	bool eof, done, ready;
	union {
		z_stream gz;
		ZSTD_DStream *zs;
		lzma_stream xz;
		bz_stream bz;
		LZ4F_dctx *lz4f;
	} u;
};

/* One step: decode from in (n bytes) into z->out. 1 at the end of the stream, 0 to go on. */
typedef int (*step_fn)(struct rf_zread *z, const unsigned char *in, size_t n, size_t *used,
		       size_t *made, struct rf_err *err);

static int corrupt(struct rf_err *err, const char *why)
{
	return rf_fail(err, -EBADMSG, "corrupt data (%s)", why);
}

static int step_gzip(struct rf_zread *z, const unsigned char *in, size_t n, size_t *used,
		     size_t *made, struct rf_err *err)
{
	z_stream *s = &z->u.gz;
	int r;

	s->next_in = (Bytef *)in;
	s->avail_in = (uInt)n;
	s->next_out = z->out;
	s->avail_out = (uInt)z->out_cap;
	r = inflate(s, Z_NO_FLUSH);
	*used = n - s->avail_in;
	*made = z->out_cap - s->avail_out;
	if (r == Z_STREAM_END)
		return 1;
	if (r == Z_OK || r == Z_BUF_ERROR)
		return 0;
	if (r == Z_MEM_ERROR)
		return rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	return corrupt(err, s->msg ? s->msg : "inflate failed");
}

static int step_zstd(struct rf_zread *z, const unsigned char *in, size_t n, size_t *used,
		     size_t *made, struct rf_err *err)
{
	ZSTD_inBuffer i = { in, n, 0 };
	ZSTD_outBuffer o = { z->out, z->out_cap, 0 };
	size_t r = ZSTD_decompressStream(z->u.zs, &o, &i);

	*used = i.pos;
	*made = o.pos;
	if (!ZSTD_isError(r))
		return r == 0; /* 0: the frame is complete and flushed */
	if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
		return rf_fail(err, -EFBIG, "needs a larger window than ramforge allows (%s)",
			       ZSTD_getErrorName(r));
	return corrupt(err, ZSTD_getErrorName(r));
}

static int step_xz(struct rf_zread *z, const unsigned char *in, size_t n, size_t *used,
		   size_t *made, struct rf_err *err)
{
	lzma_stream *s = &z->u.xz;
	lzma_ret r;

	s->next_in = in;
	s->avail_in = n;
	s->next_out = z->out;
	s->avail_out = z->out_cap;
	r = lzma_code(s, LZMA_RUN);
	*used = n - s->avail_in;
	*made = z->out_cap - s->avail_out;
	switch (r) {
	case LZMA_STREAM_END: return 1;
	case LZMA_OK:
	case LZMA_BUF_ERROR: return 0;
	case LZMA_MEMLIMIT_ERROR:
		return rf_fail(err, -EFBIG, "needs more than %llu MiB of memory to decompress",
			       RF_ZREAD_XZ_MEMLIMIT >> 20);
	case LZMA_MEM_ERROR: return rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	case LZMA_FORMAT_ERROR: return corrupt(err, "not in the format its magic says");
	case LZMA_OPTIONS_ERROR: return corrupt(err, "unsupported options");
	default: return corrupt(err, "the decoder failed");
	}
}

static int step_bzip2(struct rf_zread *z, const unsigned char *in, size_t n, size_t *used,
		      size_t *made, struct rf_err *err)
{
	bz_stream *s = &z->u.bz;
	int r;

	s->next_in = (char *)in;
	s->avail_in = (unsigned)n;
	s->next_out = (char *)z->out;
	s->avail_out = (unsigned)z->out_cap;
	r = BZ2_bzDecompress(s);
	*used = n - s->avail_in;
	*made = z->out_cap - s->avail_out;
	if (r == BZ_STREAM_END)
		return 1;
	if (r == BZ_OK)
		return 0;
	if (r == BZ_MEM_ERROR)
		return rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	return corrupt(err, "the bzip2 decoder failed");
}

static int step_lz4f(struct rf_zread *z, const unsigned char *in, size_t n, size_t *used,
		     size_t *made, struct rf_err *err)
{
	size_t dst = z->out_cap, src = n;
	size_t r = LZ4F_decompress(z->u.lz4f, z->out, &dst, in, &src, NULL);

	*used = src;
	*made = dst;
	if (LZ4F_isError(r))
		return corrupt(err, LZ4F_getErrorName(r));
	return r == 0; /* 0: the frame is complete */
}

static step_fn stepper(enum rf_inspect_compress c)
{
	switch (c) {
	case RF_INSPECT_GZIP: return step_gzip;
	case RF_INSPECT_ZSTD: return step_zstd;
	case RF_INSPECT_XZ:
	case RF_INSPECT_LZMA: return step_xz;
	case RF_INSPECT_BZIP2: return step_bzip2;
	case RF_INSPECT_LZ4_FRAME: return step_lz4f;
	default: return NULL;
	}
}

/* Read exactly n bytes at off: n, fewer at the end of the file, or -errno. */
static ssize_t read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static int refill(struct rf_zread *z, struct rf_err *err)
{
	size_t want = z->end - z->next < z->in_cap ? (size_t)(z->end - z->next) : z->in_cap;
	ssize_t n = want ? read_at(z->fd, z->in, want, z->next) : 0;

	if (n < 0)
		return rf_fail(err, (int)n, "%s", strerror((int)-n));
	z->next += (uint64_t)n;
	z->in_pos = 0;
	z->in_len = (size_t)n;
	z->eof = n == 0;
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* lz4 legacy, as the kernel's unlz4 reads an initramfs: chunk after chunk until fewer than 4
 * bytes are left or a chunk size is 0 (zero padding); a repeated magic is skipped. */
static int next_lz4_legacy(struct rf_zread *z, size_t *made, struct rf_err *err)
{
	unsigned char hdr[4];

	for (;;) {
		uint64_t at = z->next;
		ssize_t n = read_at(z->fd, hdr, 4, at);
		uint32_t size;
		int k;

		if (n < 0)
			return rf_fail(err, (int)n, "%s", strerror((int)-n));
		size = n == 4 ? le32(hdr) : 0;
		if (size == 0) {
			if (z->consumed == 0)
				return corrupt(err, "no lz4 legacy magic");
			return 1;
		}
		z->next += 4;
		z->consumed += 4;
		if (size == LZ4_LEGACY_MAGIC)
			continue;
		if (z->consumed == 4)
			return corrupt(err, "no lz4 legacy magic");
		if (size > z->in_cap)
			return corrupt(err, "an lz4 chunk larger than 8 MiB unpack to");
		if (read_at(z->fd, z->in, size, z->next) != (ssize_t)size)
			return rf_fail(err, -EBADMSG, "truncated");
		k = LZ4_decompress_safe((const char *)z->in, (char *)z->out, (int)size, (int)z->out_cap);
		if (k < 0)
			return corrupt(err, "an lz4 chunk does not decode");
		z->next += size;
		z->consumed += size;
		*made = (size_t)k;
		if (k > 0)
			return 0;
	}
}

static int init_decoder(struct rf_zread *z, struct rf_err *err)
{
	int r = 0;

	switch (z->c) {
	case RF_INSPECT_GZIP:
		/* 16 + window bits: one gzip member (header, deflate data, CRC and size) */
		r = inflateInit2(&z->u.gz, 16 + MAX_WBITS) == Z_OK ? 0 : -ENOMEM;
		break;
	case RF_INSPECT_ZSTD:
		z->u.zs = ZSTD_createDStream();
		r = z->u.zs && !ZSTD_isError(ZSTD_initDStream(z->u.zs)) ? 0 : -ENOMEM;
		break;
	case RF_INSPECT_XZ:
		z->u.xz = (lzma_stream)LZMA_STREAM_INIT;
		r = lzma_stream_decoder(&z->u.xz, RF_ZREAD_XZ_MEMLIMIT, 0) == LZMA_OK ? 0 : -ENOMEM;
		break;
	case RF_INSPECT_LZMA:
		z->u.xz = (lzma_stream)LZMA_STREAM_INIT;
		r = lzma_alone_decoder(&z->u.xz, RF_ZREAD_XZ_MEMLIMIT) == LZMA_OK ? 0 : -ENOMEM;
		break;
	case RF_INSPECT_BZIP2:
		r = BZ2_bzDecompressInit(&z->u.bz, 0, 0) == BZ_OK ? 0 : -ENOMEM;
		break;
	case RF_INSPECT_LZ4_FRAME:
		r = LZ4F_isError(LZ4F_createDecompressionContext(&z->u.lz4f, LZ4F_VERSION)) ? -ENOMEM : 0;
		break;
	case RF_INSPECT_LZ4_LEGACY:
		break;
	default:
		return rf_fail(err, -ENOTSUP, "%s is not a format ramforge reads",
			       rf_inspect_compress_name(z->c));
	}
	if (r < 0)
		return rf_fail(err, r, "cannot set up the %s decoder: %s",
			       rf_inspect_compress_name(z->c), strerror(-r));
	z->ready = true;
	return 0;
}

int rf_zread_new(struct rf_zread **out, enum rf_inspect_compress c, int fd, uint64_t offset,
		 uint64_t end, struct rf_err *err)
{
	struct rf_zread *z = calloc(1, sizeof(*z));
	bool lz4 = c == RF_INSPECT_LZ4_LEGACY;
	int r;

	if (!z)
		return rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	z->c = c;
	z->fd = fd;
	z->next = offset;
	z->end = end;
	z->in_cap = lz4 ? (size_t)LZ4_compressBound(LZ4_LEGACY_CHUNK) : IN_CHUNK;
	z->out_cap = lz4 ? LZ4_LEGACY_CHUNK : OUT_CHUNK;
	z->in = malloc(z->in_cap);
	z->out = malloc(z->out_cap);
	r = z->in && z->out ? init_decoder(z, err) : rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	if (r < 0) {
		rf_zread_free(z);
		return r;
	}
	*out = z;
	return 0;
}

/* One step of a streaming decoder, reading input as it needs it. */
static int step(struct rf_zread *z, size_t *made, struct rf_err *err)
{
	size_t used = 0;
	int r;

	if (z->in_pos == z->in_len && (r = refill(z, err)) < 0)
		return r;
	r = stepper(z->c)(z, z->in + z->in_pos, z->in_len - z->in_pos, &used, made, err);
	if (r < 0)
		return r;
	z->in_pos += used;
	z->consumed += used;
	if (r == 0 && used == 0 && *made == 0) {
		/* No progress: at the end of the file the stream is cut short; with input left
		 * the decoder is stuck (never seen, but it must not loop). */
		if (z->eof)
			return rf_fail(err, -EBADMSG, "truncated");
		if (z->in_pos < z->in_len)
			return corrupt(err, "the decoder makes no progress");
	}
	return r;
}

int rf_zread_next(struct rf_zread *z, const void **p, size_t *n, struct rf_err *err)
{
	while (!z->done) {
		size_t made = 0;
		int r = z->c == RF_INSPECT_LZ4_LEGACY ? next_lz4_legacy(z, &made, err)
						      : step(z, &made, err);

		if (r < 0)
			return r;
		z->done = r == 1;
		if (made) {
			*p = z->out;
			*n = made;
			return 1;
		}
	}
	return 0;
}

uint64_t rf_zread_consumed(const struct rf_zread *z)
{
	return z->consumed;
}

void rf_zread_free(struct rf_zread *z)
{
	if (!z)
		return;
	if (z->ready) {
		switch (z->c) {
		case RF_INSPECT_GZIP: inflateEnd(&z->u.gz); break;
		case RF_INSPECT_ZSTD: ZSTD_freeDStream(z->u.zs); break;
		case RF_INSPECT_XZ:
		case RF_INSPECT_LZMA: lzma_end(&z->u.xz); break;
		case RF_INSPECT_BZIP2: BZ2_bzDecompressEnd(&z->u.bz); break;
		case RF_INSPECT_LZ4_FRAME: LZ4F_freeDecompressionContext(z->u.lz4f); break;
		default: break;
		}
	}
	free(z->in);
	free(z->out);
	free(z);
}
