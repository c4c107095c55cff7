// SPDX-License-Identifier: MIT
/* Signing a module file in place, atomically, keeping its compression. See signfile.h. */
#include "signfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "decompress.h"
#include "modfile.h"

#define MODULE_MAX ((size_t)1 << 30) /* as the decompressor's limit */

/* The file's bytes, decompressed as its name says. */
static int read_module(const char *path, int fd, const struct stat *st, unsigned char **out,
		       size_t *n, struct rf_err *err)
{
	enum rf_comp c = rf_comp_of(path);
	size_t got = 0;
	ssize_t k;
	int r;

	if (c != RF_COMP_NONE) {
		r = rf_decompress_fd(fd, c, (void **)out, n);
		if (r < 0)
			return rf_fail(err, r, "%s: does not decompress as %s: %s", path, rf_comp_name(c),
				       r == -EBADMSG ? "corrupt or truncated data" : strerror(-r));
		return 0;
	}
	if ((size_t)st->st_size > MODULE_MAX)
		return rf_fail(err, -EFBIG, "%s: larger than 1 GiB, not a module", path);
	*out = malloc((size_t)st->st_size + 1);
	if (!*out)
		return rf_fail(err, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
	while (got < (size_t)st->st_size && (k = read(fd, *out + got, (size_t)st->st_size - got)) > 0)
		got += (size_t)k;
	if (got < (size_t)st->st_size) {
		rf_freep(out);
		return rf_fail(err, -EIO, "%s: %s", path, errno ? strerror(errno) : "short read");
	}
	*n = got;
	return 0;
}

/* The bytes to sign: the module without its old signature (force), else refused when signed. */
static int unsigned_part(const char *path, const unsigned char *p, size_t n, bool force,
			 size_t *len, struct rf_err *err)
{
	struct rf_modsig sig;
	const char *why;
	int r = rf_modsig_parse(p, n, &sig);

	if (r < 0)
		return rf_fail(err, r, "%s: %s", path, strerror(-r));
	if (sig.state == RF_MODSIG_MALFORMED)
		r = rf_fail(err, -EBADMSG, "%s: malformed signature trailer (%s); not signing it", path,
			    sig.why);
	else if (sig.state == RF_MODSIG_SIGNED && !force)
		r = rf_fail(err, -EEXIST, "%s: already signed (signer \"%s\", sig_key %s); --force "
			    "replaces the signature", path, sig.signer, sig.sig_key);
	*len = sig.content_len;
	rf_modsig_free(&sig);
	if (r >= 0 && rf_modfile_check_elf(p, *len, &why) < 0)
		r = rf_fail(err, -ENOEXEC, "%s: not a kernel module (%s)", path, why);
	return r;
}

static enum rf_compress sink_of(enum rf_comp c)
{
	switch (c) {
	case RF_COMP_ZSTD: return RF_COMPRESS_ZSTD;
	case RF_COMP_XZ: return RF_COMPRESS_XZ; /* CRC32, 1 MiB dictionary: kbuild's xz options */
	case RF_COMP_GZIP: return RF_COMPRESS_GZIP; /* no name, no time: gzip -n */
	default: return RF_COMPRESS_NONE;
	}
}

/* p in the file's format to fd. */
static int write_module(const char *tmp, int fd, enum rf_comp c, const unsigned char *p, size_t n,
			struct rf_err *err)
{
	struct rf_zsink *z = NULL;
	int r = rf_zsink_new(&z, fd, sink_of(c), -1, 1, err);

	if (r >= 0 && (r = rf_zsink_write(z, p, n)) < 0)
		r = rf_fail(err, r, "%s: %s", tmp, rf_zsink_message(z));
	if (r >= 0 && (r = (int)rf_zsink_finish(z, err)) < 0)
		r = rf_fail(err, r, "%s: %s", tmp, rf_zsink_message(z)[0] ? rf_zsink_message(z) : strerror(-r));
	rf_zsink_free(z);
	if (r >= 0 && fsync(fd) < 0)
		r = rf_fail(err, -errno, "%s: fsync: %s", tmp, strerror(errno));
	return r < 0 ? r : 0;
}

/* Write p as path's new contents: a temporary file in its directory, renamed over it. */
static int replace(const char *path, const struct stat *st, const unsigned char *p, size_t n,
		   struct rf_err *err)
{
	char *dup = strdup(path), *dir = dup ? dirname(dup) : NULL, *tmp;
	int fd, dfd, r;

	tmp = dup ? rf_strdupf("%s.rf-sign.XXXXXX", path) : NULL;
	if (!tmp) {
		free(dup);
		return rf_fail(err, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = rf_fail(err, -errno, "%s: cannot create a file beside it: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, st->st_mode & 07777) < 0) {
		r = rf_fail(err, -errno, "%s: chmod: %s", tmp, strerror(errno));
	} else {
		if (fchown(fd, st->st_uid, st->st_gid) < 0) {
			/* not root: the file stays the caller's, as a copy would */
		}
		r = write_module(tmp, fd, rf_comp_of(path), p, n, err);
	}
	if (close(fd) < 0 && r >= 0)
		r = rf_fail(err, -errno, "%s: close: %s", tmp, strerror(errno));
	if (r >= 0 && rename(tmp, path) < 0)
		r = rf_fail(err, -errno, "%s: rename: %s", path, strerror(errno));
	if (r < 0) {
		unlink(tmp);
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			r = rf_fail(err, -errno, "%s: fsync of its directory: %s", path, strerror(errno));
		close(dfd);
	}
out:
	free(tmp);
	free(dup);
	return r;
}

int rf_sign_file(const char *path, const struct rf_signer *s, bool force, struct rf_err *err)
{
	char real[PATH_MAX];
	unsigned char *mod = NULL, *out = NULL;
	size_t n = 0, len = 0, outlen = 0;
	struct stat st;
	int fd, r;

	/* A symlink's target is signed (rename would replace the link with a file). */
	if (!realpath(path, real))
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = rf_fail(err, -errno, "%s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return rf_fail(err, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, "%s: %s", path,
			       S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
	}
	r = read_module(path, fd, &st, &mod, &n, err);
	close(fd);
	if (r >= 0)
		r = unsigned_part(path, mod, n, force, &len, err);
	if (r >= 0) {
		r = rf_modsig_sign(s, mod, len, &out, &outlen, err);
		if (r < 0) {
			struct rf_err why = *err;

			r = rf_fail(err, r, "%s: %s", path, why.msg);
		}
	}
	if (r >= 0)
		r = replace(real, &st, out, outlen, err);
	free(mod);
	free(out);
	return r;
}
