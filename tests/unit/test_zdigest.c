// SPDX-License-Identifier: MIT
/* Digests of modules (lib/zdigest.c): the same content gives the same digest however it is
 * compressed (zstd, xz, gzip) and however it is fed in pieces; corrupt, truncated, trailing
 * and oversized data are errors with a reason, never a crash. */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "tap.h"
#include "zdigest.h"

#define N (300 * 1024)

static unsigned char plain[N];

struct buf {
	unsigned char *p;
	size_t n;
};

static struct buf zstd_of(const void *in, size_t n)
{
	struct buf b = { malloc(ZSTD_compressBound(n)), 0 };

	b.n = ZSTD_compress(b.p, ZSTD_compressBound(n), in, n, 3);
	return b;
}

static struct buf xz_of(const void *in, size_t n)
{
	struct buf b = { malloc(n + 4096), 0 };

	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, b.p, &b.n, n + 4096) != LZMA_OK)
		abort();
	return b;
}

static struct buf gzip_of(const void *in, size_t n)
{
	struct buf b = { malloc(n + 4096), 0 };
	z_stream z = { 0 };

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = b.p;
	z.avail_out = (uInt)(n + 4096);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	b.n = z.total_out;
	deflateEnd(&z);
	return b;
}

/* The digest of p fed in pieces of `piece` bytes: 0, or the error (reason in err). */
static int digest(enum rf_comp c, const void *p, size_t n, size_t piece, uint64_t max,
		  unsigned char md[RF_ZDIGEST_LEN], struct rf_err *err)
{
	struct rf_zdigest *z;
	int r = rf_zdigest_new(&z, c, max, err);

	for (size_t at = 0; r >= 0 && at < n; at += piece)
		r = rf_zdigest_update(z, (const char *)p + at, n - at < piece ? n - at : piece, err);
	if (r >= 0)
		r = rf_zdigest_final(z, md, NULL, err);
	rf_zdigest_free(z);
	return r;
}

static void test_same_content(void)
{
	unsigned char want[RF_ZDIGEST_LEN], got[RF_ZDIGEST_LEN];
	struct rf_err err = { "" };
	struct buf bufs[3] = { zstd_of(plain, N), xz_of(plain, N), gzip_of(plain, N) };
	enum rf_comp comps[3] = { RF_COMP_ZSTD, RF_COMP_XZ, RF_COMP_GZIP };
	static const size_t pieces[] = { 1, 7, 4096, 1 << 20 };

	TAP_CHECK(digest(RF_COMP_NONE, plain, N, 1000, UINT64_MAX, want, &err) == 0, "plain digest");
	for (int i = 0; i < 3; i++) {
		for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
			memset(got, 0, sizeof(got));
			int r = digest(comps[i], bufs[i].p, bufs[i].n, pieces[k], N, got, &err);

			TAP_CHECK(r == 0 && memcmp(got, want, sizeof(want)) == 0,
				  "%s in pieces of %zu: the plain content's digest (%s)",
				  rf_comp_name(comps[i]), pieces[k], r < 0 ? err.msg : "ok");
		}
		/* truncated: an error, never a silent short digest */
		TAP_CHECK(digest(comps[i], bufs[i].p, bufs[i].n / 2, 4096, N, got, &err) == -EBADMSG &&
				  strstr(err.msg, rf_comp_name(comps[i])),
			  "%s cut in half: -EBADMSG (%s)", rf_comp_name(comps[i]), err.msg);
		/* one byte over the limit */
		TAP_CHECK(digest(comps[i], bufs[i].p, bufs[i].n, 4096, N - 1, got, &err) == -EFBIG,
			  "%s decompressing past max: -EFBIG (%s)", rf_comp_name(comps[i]), err.msg);
		/* data after the stream */
		bufs[i].p = realloc(bufs[i].p, bufs[i].n + 4);
		memcpy(bufs[i].p + bufs[i].n, "junk", 4);
		TAP_CHECK(digest(comps[i], bufs[i].p, bufs[i].n + 4, 4096, N, got, &err) == -EBADMSG,
			  "%s followed by junk: -EBADMSG (%s)", rf_comp_name(comps[i]), err.msg);
		free(bufs[i].p);
	}
}

static void test_garbage(void)
{
	unsigned char md[RF_ZDIGEST_LEN];
	struct rf_err err = { "" };
	static const enum rf_comp comps[3] = { RF_COMP_ZSTD, RF_COMP_XZ, RF_COMP_GZIP };

	for (int i = 0; i < 3; i++) {
		err.msg[0] = '\0';
		TAP_CHECK(digest(comps[i], plain, 5000, 100, N, md, &err) < 0 && err.msg[0],
			  "random bytes as %s: an error with a reason (%s)", rf_comp_name(comps[i]),
			  err.msg);
		TAP_CHECK(digest(comps[i], "", 0, 1, N, md, &err) == -EBADMSG,
			  "nothing at all as %s: truncated", rf_comp_name(comps[i]));
	}
	/* a bomb: 64 MiB of zeros in a few KiB stops at max without using the memory */
	{
		size_t n = 64 << 20;
		unsigned char *zeros = calloc(1, n);
		struct buf b = zstd_of(zeros, n);

		free(zeros);
		TAP_CHECK(digest(RF_COMP_ZSTD, b.p, b.n, 65536, 1 << 20, md, &err) == -EFBIG,
			  "a %zu-byte zstd bomb: -EFBIG at 1 MiB", b.n);
		free(b.p);
	}
}

int main(void)
{
	srand(7);
	for (size_t i = 0; i < N; i++)
		plain[i] = (unsigned char)(i % 251 < 100 ? (size_t)rand() : i % 13);
	test_same_content();
	test_garbage();
	return tap_done();
}
