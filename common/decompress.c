// SPDX-License-Identifier: MIT
/*
 * Userspace decompression of modules with libzstd, liblzma and zlib (linked statically), for
 * kernels without in-kernel module decompression (Debian's 6.1 has none).
 */
#include "decompress.h"

#include <errno.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum rf_comp rf_comp_of(const char *path)
{
	if (ends_with(path, ".zst"))
		return RF_COMP_ZSTD;
	if (ends_with(path, ".xz"))
		return RF_COMP_XZ;
	if (ends_with(path, ".gz"))
		return RF_COMP_GZIP;
	return RF_COMP_NONE;
}

const char *rf_comp_name(enum rf_comp c)
{
	switch (c) {
	case RF_COMP_ZSTD:
		return "zstd";
	case RF_COMP_XZ:
		return "xz";
	case RF_COMP_GZIP:
		return "gzip";
	default:
		return "none";
	}
}

/* No real module comes near this; a larger output is a decompression bomb, not a module. */
#define RF_DECOMPRESS_MAX ((size_t)1 << 30)

/* A growing output buffer; a module is rarely more than 4 times its compressed size. */
struct outbuf {
	unsigned char *p;
	size_t len, cap;
};

static int grow(struct outbuf *o, size_t want)
{
	size_t cap = o->cap ? o->cap : 64 * 1024;
	void *p;

	if (want > RF_DECOMPRESS_MAX - o->len)
		return -EFBIG;
	while (cap - o->len < want)
		cap *= 2;
	if (cap == o->cap)
		return 0;
	p = realloc(o->p, cap);
	if (!p)
		return -ENOMEM;
	o->p = p;
	o->cap = cap;
	return 0;
}

static int unzstd(const void *in, size_t inlen, struct outbuf *o)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	unsigned long long size = ZSTD_getFrameContentSize(in, inlen);
	size_t ret = 1;
	int r = 0;

	if (!ds)
		return -ENOMEM;
	if (size != ZSTD_CONTENTSIZE_UNKNOWN && size != ZSTD_CONTENTSIZE_ERROR && size < SIZE_MAX)
		r = grow(o, (size_t)size + 1);
	while (r >= 0 && ret != 0) {
		ZSTD_outBuffer ob;

		r = grow(o, 64 * 1024);
		if (r < 0)
			break;
		ob = (ZSTD_outBuffer){ o->p + o->len, o->cap - o->len, 0 };
		ret = ZSTD_decompressStream(ds, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(ret) || (ret != 0 && ib.pos == ib.size && ob.pos == 0))
			r = -EBADMSG;
	}
	ZSTD_freeDStream(ds);
	return r;
}

static int unxz(const void *in, size_t inlen, struct outbuf *o)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret;
	int r = 0;

	if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = inlen;
	do {
		r = grow(o, 64 * 1024);
		if (r < 0)
			break;
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		ret = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
		if (ret != LZMA_OK && ret != LZMA_STREAM_END)
			r = ret == LZMA_MEM_ERROR ? -ENOMEM : -EBADMSG;
	} while (r >= 0 && ret != LZMA_STREAM_END);
	lzma_end(&s);
	return r;
}

static int ungzip(const void *in, size_t inlen, struct outbuf *o)
{
	z_stream s;
	int ret = Z_OK, r = 0;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	s.next_in = (unsigned char *)in;
	s.avail_in = (uInt)inlen;
	while (r >= 0 && ret != Z_STREAM_END) {
		r = grow(o, 64 * 1024);
		if (r < 0)
			break;
		s.next_out = o->p + o->len;
		s.avail_out = (uInt)(o->cap - o->len);
		ret = inflate(&s, Z_NO_FLUSH);
		o->len = o->cap - s.avail_out;
		if (ret != Z_OK && ret != Z_STREAM_END)
			r = ret == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
	}
	inflateEnd(&s);
	return r;
}

int rf_decompress_fd(int fd, enum rf_comp c, void **out, size_t *outlen)
{
	struct stat st;
	void *in;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return -EBADMSG;
	in = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (in == MAP_FAILED)
		return -errno;
	r = rf_decompress_mem(in, (size_t)st.st_size, c, out, outlen);
	munmap(in, (size_t)st.st_size);
	return r;
}

int rf_decompress_mem(const void *in, size_t n, enum rf_comp c, void **out, size_t *outlen)
{
	struct outbuf o = { 0 };
	int r;

	if (n == 0)
		return -EBADMSG;
	if (c == RF_COMP_ZSTD)
		r = unzstd(in, n, &o);
	else if (c == RF_COMP_XZ)
		r = unxz(in, n, &o);
	else if (c == RF_COMP_GZIP)
		r = ungzip(in, n, &o);
	else
		r = -EINVAL;
	if (r < 0) {
		free(o.p);
		return r;
	}
	*out = o.p;
	*outlen = o.len;
	return 0;
}
