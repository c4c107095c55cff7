// SPDX-License-Identifier: MIT
/* Module bytes in memory (see modbytes.h): common/decompress.c to read, the image's own
 * compressing sink (compress.h) into a memory file to write. */
#include "modbytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"

/* A plain module: all of it, read. */
static int read_all(int fd, size_t size, unsigned char **out)
{
	unsigned char *p = malloc(size ? size : 1);
	size_t done = 0;

	if (!p)
		return -ENOMEM;
	while (done < size) {
		ssize_t k = read(fd, p + done, size - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			free(p);
			return k < 0 ? -errno : -EIO; /* cut short while being read */
		}
		done += (size_t)k;
	}
	*out = p;
	return 0;
}

/* The bytes of the regular file fd, decompressed as c. */
static int load(int fd, enum rf_comp c, void **data, size_t *len)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (c != RF_COMP_NONE)
		return rf_decompress_fd(fd, c, data, len);
	if ((uint64_t)st.st_size > RF_MODBYTES_MAX) /* the decompressor's limit too */
		return -EFBIG;
	r = read_all(fd, (size_t)st.st_size, (unsigned char **)data);
	if (r >= 0)
		*len = (size_t)st.st_size;
	return r;
}

int rf_modbytes_read(const char *path, unsigned char **out, size_t *outlen, struct rf_err *err)
{
	enum rf_comp c = rf_comp_of(path);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	void *data = NULL;
	int r;

	if (fd < 0)
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	r = load(fd, c, &data, outlen);
	close(fd);
	if (r == -EINVAL)
		return rf_fail(err, r, "%s: not a regular file", path);
	if (r == -EBADMSG)
		return rf_fail(err, r, "%s: does not decompress as %s: corrupt or truncated data", path,
			       rf_comp_name(c));
	if (r == -EFBIG)
		return rf_fail(err, r, "%s: larger than 1 GiB, not a module", path);
	if (r < 0)
		return rf_fail(err, r, "%s: %s", path, strerror(-r));
	*out = data;
	return 0;
}

static enum rf_compress sink_format(enum rf_comp c)
{
	return c == RF_COMP_ZSTD ? RF_COMPRESS_ZSTD : c == RF_COMP_XZ ? RF_COMPRESS_XZ
									: RF_COMPRESS_GZIP;
}

/* The memory file's contents. */
static int slurp(int fd, unsigned char **out, size_t *outlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	*outlen = (size_t)st.st_size;
	return read_all(fd, *outlen, out);
}

int rf_modbytes_compress(enum rf_comp c, const unsigned char *p, size_t n, unsigned char **out,
			 size_t *outlen, struct rf_err *err)
{
	struct rf_zsink *z = NULL;
	int fd, r;

	if (c == RF_COMP_NONE) {
		*out = malloc(n ? n : 1);
		if (!*out)
			return -ENOMEM;
		memcpy(*out, p, n);
		*outlen = n;
		return 0;
	}
	fd = memfd_create("ramforge-module", MFD_CLOEXEC);
	if (fd < 0)
		return rf_fail(err, -errno, "compressing as %s: %s", rf_comp_name(c), strerror(errno));
	/* one thread: the same output on any machine */
	r = rf_zsink_new(&z, fd, sink_format(c), -1, 1, err);
	if (r >= 0 && rf_zsink_write(z, p, n) < 0)
		r = rf_fail(err, rf_zsink_error(z), "compressing as %s: %s", rf_comp_name(c),
			    rf_zsink_message(z));
	if (r >= 0) {
		int64_t k = rf_zsink_finish(z, err);
		r = k < 0 ? (int)k : 0;
	}
	if (r >= 0 && (r = slurp(fd, out, outlen)) < 0)
		rf_fail(err, r, "compressing as %s: %s", rf_comp_name(c), strerror(-r));
	rf_zsink_free(z);
	close(fd);
	return r;
}
