// SPDX-License-Identifier: MIT
/* Digests of byte streams, decompressed on the way when asked; see zdigest.h. */
#include "zdigest.h"

#include <errno.h>
#include <lzma.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define OUT_CHUNK (64 * 1024)

struct rf_zdigest {
	enum rf_comp c;
	uint64_t max, out;
	bool ended; /* the compressed stream is complete */
	EVP_MD_CTX *md;
	ZSTD_DStream *zs;
	lzma_stream xz;
	z_stream gz;
	bool xz_on, gz_on;
	unsigned char buf[OUT_CHUNK];
};

int rf_zdigest_new(struct rf_zdigest **out, enum rf_comp c, uint64_t max, struct rf_err *err)
{
	struct rf_zdigest *z = calloc(1, sizeof(*z));
	int ok;

	if (!z)
		return rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	z->c = c;
	z->max = max;
	z->md = EVP_MD_CTX_new();
	ok = z->md && EVP_DigestInit_ex(z->md, EVP_sha256(), NULL) == 1;
	if (ok && c == RF_COMP_ZSTD)
		ok = (z->zs = ZSTD_createDStream()) && !ZSTD_isError(ZSTD_initDStream(z->zs));
	if (ok && c == RF_COMP_XZ) {
		z->xz = (lzma_stream)LZMA_STREAM_INIT;
		ok = z->xz_on = lzma_stream_decoder(&z->xz, 256ULL << 20, 0) == LZMA_OK;
	}
	if (ok && c == RF_COMP_GZIP)
		ok = z->gz_on = inflateInit2(&z->gz, 15 + 16) == Z_OK;
	if (!ok) {
		rf_zdigest_free(z);
		return rf_fail(err, -ENOMEM, "cannot set up the %s decoder", rf_comp_name(c));
	}
	*out = z;
	return 0;
}

static int hash_out(struct rf_zdigest *z, size_t n, struct rf_err *err)
{
	z->out += n;
	if (z->out > z->max)
		return rf_fail(err, -EFBIG, "more than %llu bytes decompressed",
			       (unsigned long long)z->max);
	if (EVP_DigestUpdate(z->md, z->buf, n) != 1)
		return rf_fail(err, -ENOMEM, "SHA-256 failed");
	return 0;
}

static int junk(struct rf_err *err, const char *fmt)
{
	return rf_fail(err, -EBADMSG, "data after the end of the %s stream", fmt);
}

static int feed_zstd(struct rf_zdigest *z, const void *p, size_t n, struct rf_err *err)
{
	ZSTD_inBuffer in = { p, n, 0 };

	while (in.pos < in.size) {
		ZSTD_outBuffer o = { z->buf, sizeof(z->buf), 0 };
		size_t r;
		int e;

		if (z->ended)
			return junk(err, "zstd");
		r = ZSTD_decompressStream(z->zs, &o, &in);
		if (ZSTD_isError(r))
			return rf_fail(err, -EBADMSG, "zstd: %s", ZSTD_getErrorName(r));
		if ((e = hash_out(z, o.pos, err)) < 0)
			return e;
		z->ended = r == 0;
	}
	return 0;
}

static int feed_xz(struct rf_zdigest *z, const void *p, size_t n, lzma_action a, struct rf_err *err)
{
	z->xz.next_in = p;
	z->xz.avail_in = n;
	for (;;) {
		lzma_ret r;
		int e;

		if (z->ended)
			return z->xz.avail_in ? junk(err, "xz") : 0;
		z->xz.next_out = z->buf;
		z->xz.avail_out = sizeof(z->buf);
		r = lzma_code(&z->xz, a);
		if ((e = hash_out(z, sizeof(z->buf) - z->xz.avail_out, err)) < 0)
			return e;
		if (r == LZMA_STREAM_END)
			z->ended = true;
		else if (r == LZMA_BUF_ERROR)
			return 0; /* no progress possible: truncated, said by the final call */
		else if (r != LZMA_OK)
			return rf_fail(err, -EBADMSG, "xz: corrupt data (lzma error %d)", (int)r);
		else if (z->xz.avail_in == 0 && z->xz.avail_out != 0)
			return 0;
	}
}

static int feed_gzip(struct rf_zdigest *z, const void *p, size_t n, struct rf_err *err)
{
	z->gz.next_in = (unsigned char *)(uintptr_t)p;
	z->gz.avail_in = (uInt)n;
	while (z->gz.avail_in) {
		int r, e;

		if (z->ended)
			return junk(err, "gzip");
		z->gz.next_out = z->buf;
		z->gz.avail_out = sizeof(z->buf);
		r = inflate(&z->gz, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			return rf_fail(err, -EBADMSG, "gzip: %s", z->gz.msg ? z->gz.msg : "corrupt data");
		if ((e = hash_out(z, sizeof(z->buf) - z->gz.avail_out, err)) < 0)
			return e;
		z->ended = r == Z_STREAM_END;
		if (r == Z_BUF_ERROR)
			break;
	}
	return 0;
}

int rf_zdigest_update(struct rf_zdigest *z, const void *p, size_t n, struct rf_err *err)
{
	switch (z->c) {
	case RF_COMP_ZSTD: return feed_zstd(z, p, n, err);
	case RF_COMP_XZ: return feed_xz(z, p, n, LZMA_RUN, err);
	case RF_COMP_GZIP: return feed_gzip(z, p, n, err);
	default: break;
	}
	z->out += n;
	if (EVP_DigestUpdate(z->md, p, n) != 1)
		return rf_fail(err, -ENOMEM, "SHA-256 failed");
	return 0;
}

int rf_zdigest_final(struct rf_zdigest *z, unsigned char md[RF_ZDIGEST_LEN], uint64_t *len,
		     struct rf_err *err)
{
	unsigned int mdlen = 0;

	if (z->c == RF_COMP_XZ && !z->ended) {
		int r = feed_xz(z, NULL, 0, LZMA_FINISH, err);

		if (r < 0)
			return r;
	}
	if (z->c != RF_COMP_NONE && !z->ended)
		return rf_fail(err, -EBADMSG, "%s: truncated data", rf_comp_name(z->c));
	if (EVP_DigestFinal_ex(z->md, md, &mdlen) != 1 || mdlen != RF_ZDIGEST_LEN)
		return rf_fail(err, -ENOMEM, "SHA-256 failed");
	if (len)
		*len = z->out;
	return 0;
}

void rf_zdigest_free(struct rf_zdigest *z)
{
	if (!z)
		return;
	EVP_MD_CTX_free(z->md);
	ZSTD_freeDStream(z->zs);
	if (z->xz_on)
		lzma_end(&z->xz);
	if (z->gz_on)
		inflateEnd(&z->gz);
	free(z);
}
