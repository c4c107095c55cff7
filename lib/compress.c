// SPDX-License-Identifier: MIT
/*
 * Compressors for the image, driven directly through their libraries; see compress.h.
 * Not libarchive's filters: its xz filter always writes a CRC64 check (the 6.1 kernel's
 * unpacker rejects it), its lz4 filter writes only the frame format (rejected too: the kernel
 * reads lz4's legacy format), and zstd worker threads depend on the libarchive version.
 */
#include "compress.h"

#include <errno.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define STAGE_SIZE (256 * 1024)
/* lz4 legacy: each block holds 8 MiB of input (the kernel's unlz4 expects exactly this). */
#define LZ4_LEGACY_BLOCK (8 * 1024 * 1024)
#define LZ4_LEGACY_MAGIC 0x184C2102u
/* xz: the kernel's own initramfs rule uses a 1 MiB dictionary; it bounds boot-time memory. */
#define XZ_DICT_MAX (1u << 20)

struct rf_zsink {
	int fd;
	enum rf_compress c;
	int level;
	int64_t written;
	int error;
	struct rf_err msg;
	unsigned char *stage, *out;
	size_t staged, stage_cap, out_cap;
	ZSTD_CCtx *zc;
	z_stream gz;
	bool gz_ready;
	lzma_stream xz;
	bool xz_ready;
	lzma_options_lzma xz_opt;
};

static int zfail(struct rf_zsink *z, int code, const char *what, const char *why)
{
	if (!z->error) {
		z->error = code;
		snprintf(z->msg.msg, sizeof(z->msg.msg), "%s: %s", what, why);
	}
	return z->error;
}

static int out_write(struct rf_zsink *z, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(z->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return zfail(z, -errno, "writing the image", strerror(errno));
		buf += n;
		len -= (size_t)n;
		z->written += n;
	}
	return 0;
}

static int push_zstd(struct rf_zsink *z, const void *buf, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { z->out, z->out_cap, 0 };

		left = ZSTD_compressStream2(z->zc, &out, &in, end);
		if (ZSTD_isError(left))
			return zfail(z, -EIO, "zstd", ZSTD_getErrorName(left));
		if (out_write(z, z->out, out.pos) < 0)
			return z->error;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int push_gzip(struct rf_zsink *z, const void *buf, size_t len, int flush)
{
	int r;

	z->gz.next_in = (Bytef *)(uintptr_t)buf;
	z->gz.avail_in = (uInt)len;
	do {
		z->gz.next_out = z->out;
		z->gz.avail_out = (uInt)z->out_cap;
		r = deflate(&z->gz, flush);
		if (r == Z_STREAM_ERROR)
			return zfail(z, -EIO, "gzip", "deflate failed");
		if (out_write(z, z->out, z->out_cap - z->gz.avail_out) < 0)
			return z->error;
	} while (flush == Z_FINISH ? r != Z_STREAM_END : z->gz.avail_in > 0 || z->gz.avail_out == 0);
	return 0;
}

static int push_xz(struct rf_zsink *z, const void *buf, size_t len, lzma_action action)
{
	lzma_ret r;

	z->xz.next_in = buf;
	z->xz.avail_in = len;
	do {
		z->xz.next_out = z->out;
		z->xz.avail_out = z->out_cap;
		r = lzma_code(&z->xz, action);
		if (r != LZMA_OK && r != LZMA_STREAM_END)
			return zfail(z, r == LZMA_MEM_ERROR ? -ENOMEM : -EIO, "xz",
				     "compression failed");
		if (out_write(z, z->out, z->out_cap - z->xz.avail_out) < 0)
			return z->error;
	} while (action == LZMA_FINISH ? r != LZMA_STREAM_END
				       : z->xz.avail_in > 0 || z->xz.avail_out == 0);
	return 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* One legacy block: little-endian compressed size, then the block. */
static int push_lz4(struct rf_zsink *z, const void *buf, size_t len)
{
	int n;

	if (len == 0)
		return 0;
	if (z->level >= LZ4HC_CLEVEL_MIN)
		n = LZ4_compress_HC(buf, (char *)z->out + 4, (int)len, (int)z->out_cap - 4, z->level);
	else
		n = LZ4_compress_default(buf, (char *)z->out + 4, (int)len, (int)z->out_cap - 4);
	if (n <= 0)
		return zfail(z, -EIO, "lz4", "compression failed");
	put_le32(z->out, (uint32_t)n);
	return out_write(z, z->out, (size_t)n + 4);
}

/* Compress what is staged (and, at the end, finish the stream). */
static int flush_stage(struct rf_zsink *z, bool end)
{
	int r = 0;

	switch (z->c) {
	case RF_COMPRESS_ZSTD:
		r = push_zstd(z, z->stage, z->staged, end ? ZSTD_e_end : ZSTD_e_continue);
		break;
	case RF_COMPRESS_GZIP:
		r = push_gzip(z, z->stage, z->staged, end ? Z_FINISH : Z_NO_FLUSH);
		break;
	case RF_COMPRESS_XZ:
		r = push_xz(z, z->stage, z->staged, end ? LZMA_FINISH : LZMA_RUN);
		break;
	case RF_COMPRESS_LZ4:
		r = push_lz4(z, z->stage, z->staged);
		break;
	case RF_COMPRESS_NONE:
		r = out_write(z, z->stage, z->staged);
		break;
	}
	z->staged = 0;
	return r;
}

int rf_zsink_write(struct rf_zsink *z, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (z->error)
		return z->error;
	while (len > 0) {
		size_t n = z->stage_cap - z->staged;

		if (n > len)
			n = len;
		memcpy(z->stage + z->staged, p, n);
		z->staged += n;
		p += n;
		len -= n;
		if (z->staged == z->stage_cap && flush_stage(z, false) < 0)
			return z->error;
	}
	return 0;
}

static int level_range(enum rf_compress c, int *lo, int *hi, int *def)
{
	static const int t[][3] = {
		[RF_COMPRESS_ZSTD] = { 1, 19, RF_ZSTD_LEVEL_DEFAULT },
		[RF_COMPRESS_GZIP] = { 1, 9, RF_GZIP_LEVEL_DEFAULT },
		[RF_COMPRESS_XZ] = { 0, 9, RF_XZ_LEVEL_DEFAULT },
		[RF_COMPRESS_LZ4] = { 1, LZ4HC_CLEVEL_MAX, RF_LZ4_LEVEL_DEFAULT },
		[RF_COMPRESS_NONE] = { 0, 0, 0 },
	};

	if ((unsigned)c > RF_COMPRESS_NONE)
		return -EINVAL;
	*lo = t[c][0], *hi = t[c][1], *def = t[c][2];
	return 0;
}

static int init_zstd(struct rf_zsink *z, int threads)
{
	z->zc = ZSTD_createCCtx();
	if (!z->zc)
		return -ENOMEM;
	/* nbWorkers >= 1 always: the output is then the same for any number of workers. */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->zc, ZSTD_c_compressionLevel, z->level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->zc, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->zc, ZSTD_c_nbWorkers, threads)))
		return -EINVAL;
	z->out_cap = ZSTD_CStreamOutSize();
	return 0;
}

static int init_xz(struct rf_zsink *z, int threads)
{
	lzma_filter filters[2] = { { LZMA_FILTER_LZMA2, &z->xz_opt }, { LZMA_VLI_UNKNOWN, NULL } };
	/* The multi-threaded encoder always (any thread count) writes sized blocks: reproducible. */
	lzma_mt mt = { .threads = (uint32_t)threads, .filters = filters, .check = LZMA_CHECK_CRC32 };
	lzma_stream init = LZMA_STREAM_INIT;

	if (lzma_lzma_preset(&z->xz_opt, (uint32_t)z->level))
		return -EINVAL;
	if (z->xz_opt.dict_size > XZ_DICT_MAX)
		z->xz_opt.dict_size = XZ_DICT_MAX;
	z->xz = init;
	if (lzma_stream_encoder_mt(&z->xz, &mt) != LZMA_OK)
		return -ENOMEM;
	z->xz_ready = true;
	z->out_cap = STAGE_SIZE;
	return 0;
}

static int init_gzip(struct rf_zsink *z)
{
	/* windowBits 16+15: a gzip header, written by zlib with mtime 0 (reproducible). */
	if (deflateInit2(&z->gz, z->level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z->gz_ready = true;
	z->out_cap = STAGE_SIZE;
	return 0;
}

static int init_codec(struct rf_zsink *z, int threads)
{
	unsigned char magic[4];

	switch (z->c) {
	case RF_COMPRESS_ZSTD: return init_zstd(z, threads);
	case RF_COMPRESS_GZIP: return init_gzip(z);
	case RF_COMPRESS_XZ: return init_xz(z, threads);
	case RF_COMPRESS_LZ4:
		z->stage_cap = LZ4_LEGACY_BLOCK;
		z->out_cap = (size_t)LZ4_compressBound(LZ4_LEGACY_BLOCK) + 4;
		put_le32(magic, LZ4_LEGACY_MAGIC);
		return out_write(z, magic, 4);
	case RF_COMPRESS_NONE: return 0;
	}
	return -EINVAL;
}

int rf_zsink_new(struct rf_zsink **out, int fd, enum rf_compress c, int level, int threads,
		 struct rf_err *err)
{
	struct rf_zsink *z;
	int lo, hi, def, r;

	if (level_range(c, &lo, &hi, &def) < 0)
		return rf_fail(err, -EINVAL, "unknown compression %d", (int)c);
	if (level < 0)
		level = def;
	if (level < lo || level > hi)
		return rf_fail(err, -EINVAL, "%s: compression level %d out of range (%d-%d)",
			       rf_compress_name(c), level, lo, hi);
	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads <= 0)
		threads = 1;
	z = calloc(1, sizeof(*z));
	if (!z)
		return rf_fail(err, -ENOMEM, "compressor: %s", strerror(ENOMEM));
	z->fd = fd, z->c = c, z->level = level, z->stage_cap = STAGE_SIZE;
	r = init_codec(z, threads);
	if (r >= 0) {
		z->stage = malloc(z->stage_cap);
		z->out = z->out_cap ? malloc(z->out_cap) : NULL;
		if (!z->stage || (z->out_cap && !z->out))
			r = -ENOMEM;
	}
	if (r < 0) {
		if (z->error)
			rf_fail(err, z->error, "%s", z->msg.msg);
		else
			rf_fail(err, r, "%s compressor: %s", rf_compress_name(c), strerror(-r));
		rf_zsink_free(z);
		return r;
	}
	*out = z;
	return 0;
}

int64_t rf_zsink_finish(struct rf_zsink *z, struct rf_err *err)
{
	if (!z->error)
		flush_stage(z, true);
	if (z->error)
		return rf_fail(err, z->error, "%s", z->msg.msg);
	return z->written;
}

int rf_zsink_error(const struct rf_zsink *z)
{
	return z->error;
}

const char *rf_zsink_message(const struct rf_zsink *z)
{
	return z->msg.msg;
}

void rf_zsink_free(struct rf_zsink *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->zc);
	if (z->gz_ready)
		deflateEnd(&z->gz);
	if (z->xz_ready)
		lzma_end(&z->xz);
	free(z->stage);
	free(z->out);
	free(z);
}

int rf_compress_parse(const char *name, enum rf_compress *out)
{
	static const char *const names[] = { "zstd", "gzip", "xz", "lz4", "none" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum rf_compress)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *rf_compress_name(enum rf_compress c)
{
	switch (c) {
	case RF_COMPRESS_ZSTD: return "zstd";
	case RF_COMPRESS_GZIP: return "gzip";
	case RF_COMPRESS_XZ: return "xz";
	case RF_COMPRESS_LZ4: return "lz4";
	case RF_COMPRESS_NONE: return "none";
	}
	return "?";
}
