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

#include "decompress.h"
#include "modbytes.h"
#include "modfile.h"

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

/* p, compressed in the file's format, to fd, synced. */
static int write_module(const char *tmp, int fd, enum rf_comp c, const unsigned char *p, size_t n,
			struct rf_err *err)
{
	unsigned char *z = NULL;
	size_t zn = 0, done = 0;
	int r = rf_modbytes_compress(c, p, n, &z, &zn, err);

	while (r >= 0 && done < zn) {
		ssize_t k = write(fd, z + done, zn - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = rf_fail(err, -errno, "%s: %s", tmp, strerror(errno));
		else
			done += (size_t)k;
	}
	free(z);
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
	int r;

	/* A symlink's target is signed (rename would replace the link with a file). */
	if (!realpath(path, real) || stat(real, &st) < 0)
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rf_fail(err, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, "%s: %s", path,
			       S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
	r = rf_modbytes_read(path, &mod, &n, err);
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
