// SPDX-License-Identifier: MIT
/* The cache's entries on disk: key, names, checked reads, atomic writes; see zcache_entry.h. */
#include "zcache_entry.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define TAG "ramforge-zcache-1"
#define MAGIC "RFZCACH1"
#define MAGIC_LEN 8
#define LEN_AT (MAGIC_LEN + RF_ZENTRY_KEY_LEN)
#define DIGEST_AT (LEN_AT + 8)

_Static_assert(DIGEST_AT + RF_ZENTRY_KEY_LEN == RF_ZENTRY_HEADER_LEN, "header layout");

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int sha256(const void *p, size_t n, unsigned char md[RF_ZENTRY_KEY_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != RF_ZENTRY_KEY_LEN)
		return -ENOMEM;
	return 0;
}

int rf_zentry_key(enum rf_comp c, int level, const void *in, size_t n,
		  unsigned char key[RF_ZENTRY_KEY_LEN])
{
	const char *fmt = rf_comp_name(c);
	uint32_t version = c == RF_COMP_XZ ? lzma_version_number() : ZSTD_versionNumber();
	unsigned char fixed[4 + 4 + 8];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok;

	put_le(fixed, (uint32_t)level, 4);
	put_le(fixed + 4, version, 4);
	put_le(fixed + 8, n, 8);
	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, TAG, sizeof(TAG)) == 1 &&
	     EVP_DigestUpdate(md, fmt, strlen(fmt) + 1) == 1 &&
	     EVP_DigestUpdate(md, fixed, sizeof(fixed)) == 1 && EVP_DigestUpdate(md, in, n) == 1 &&
	     EVP_DigestFinal_ex(md, key, &len) == 1 && len == RF_ZENTRY_KEY_LEN;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -ENOMEM;
}

/* "XX" and "REST.zc" of the key. */
static void entry_names(const unsigned char key[RF_ZENTRY_KEY_LEN], char sub[3],
			char name[RF_ZENTRY_NAME_LEN + 1])
{
	char hex[2 * RF_ZENTRY_KEY_LEN + 1];

	for (int i = 0; i < RF_ZENTRY_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	memcpy(sub, hex, 2);
	sub[2] = '\0';
	snprintf(name, RF_ZENTRY_NAME_LEN + 1, "%s%s", hex + 2, RF_ZENTRY_SUFFIX);
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool rf_zentry_is_entry_name(const char *name)
{
	size_t hex = RF_ZENTRY_NAME_LEN - strlen(RF_ZENTRY_SUFFIX);

	return strlen(name) == RF_ZENTRY_NAME_LEN && all_hex(name, hex) &&
	       strcmp(name + hex, RF_ZENTRY_SUFFIX) == 0;
}

bool rf_zentry_is_tmp_name(const char *name)
{
	return strncmp(name, RF_ZENTRY_TMP_PREFIX, strlen(RF_ZENTRY_TMP_PREFIX)) == 0;
}

bool rf_zentry_is_subdir_name(const char *name)
{
	return strlen(name) == 2 && all_hex(name, 2);
}

static int read_full(int fd, void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = read(fd, (char *)buf + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		done += (size_t)k;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = write(fd, (const char *)buf + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		done += (size_t)k;
	}
	return 0;
}

/* The open file fd as the key's entry: 1 (the payload in *out), 0 (not a valid entry),
 * -ENOMEM. */
static int load(int fd, const unsigned char key[RF_ZENTRY_KEY_LEN], size_t max,
		unsigned char **out, size_t *outlen)
{
	unsigned char h[RF_ZENTRY_HEADER_LEN], md[RF_ZENTRY_KEY_LEN], *p;
	struct stat st;
	uint64_t len;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < RF_ZENTRY_HEADER_LEN ||
	    (uint64_t)st.st_size - RF_ZENTRY_HEADER_LEN > max)
		return 0;
	if (read_full(fd, h, sizeof(h)) < 0 || memcmp(h, MAGIC, MAGIC_LEN) != 0 ||
	    memcmp(h + MAGIC_LEN, key, RF_ZENTRY_KEY_LEN) != 0)
		return 0;
	len = get_le64(h + LEN_AT);
	if (len != (uint64_t)st.st_size - RF_ZENTRY_HEADER_LEN)
		return 0;
	p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	if (read_full(fd, p, len) < 0 || sha256(p, len, md) < 0 ||
	    memcmp(md, h + DIGEST_AT, sizeof(md)) != 0) {
		free(p);
		return 0;
	}
	*out = p;
	*outlen = len;
	return 1;
}

/* A bad entry, whatever it is (a file, a symlink, an empty directory): gone, best-effort. */
static void drop(int sub, const char *name)
{
	if (unlinkat(sub, name, 0) < 0 && errno == EISDIR)
		unlinkat(sub, name, AT_REMOVEDIR);
}

/* Errors that say nothing about the file. */
static bool transient(int e)
{
	return e == ENOENT || e == EMFILE || e == ENFILE || e == ENOMEM || e == EINTR;
}

enum rf_zentry_found rf_zentry_read(int dirfd, const unsigned char key[RF_ZENTRY_KEY_LEN],
				    size_t max, unsigned char **out, size_t *outlen)
{
	char subname[3], name[RF_ZENTRY_NAME_LEN + 1];
	enum rf_zentry_found found;
	int sub, fd, r;

	entry_names(key, subname, name);
	sub = openat(dirfd, subname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return RF_ZENTRY_MISSING; /* none stored there yet, or it cannot hold entries */
	fd = openat(sub, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		found = transient(errno) ? RF_ZENTRY_MISSING : RF_ZENTRY_CORRUPT;
	} else {
		r = load(fd, key, max, out, outlen);
		found = r > 0 ? RF_ZENTRY_HIT : r == 0 ? RF_ZENTRY_CORRUPT : RF_ZENTRY_MISSING;
		if (found == RF_ZENTRY_HIT)
			(void)futimens(fd, NULL); /* recently used: kept longest when trimming */
		close(fd);
	}
	if (found == RF_ZENTRY_CORRUPT)
		drop(sub, name);
	close(sub);
	return found;
}

/* A new temporary file in sub, its name into tmp: the fd or -errno. */
static int make_tmp(int sub, char *tmp, size_t size)
{
	static _Atomic unsigned long counter;

	for (int tries = 0; tries < 16; tries++) {
		unsigned long n = counter++;
		unsigned long long rnd = 0;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
			rnd = (unsigned long long)getpid() << 32; /* with n: unique in this process */
		snprintf(tmp, size, "%s%016llx%lx", RF_ZENTRY_TMP_PREFIX, rnd, n);
		fd = openat(sub, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* The entry's bytes into fd. */
static int write_entry(int fd, const unsigned char key[RF_ZENTRY_KEY_LEN], const void *p,
		       size_t n)
{
	unsigned char h[RF_ZENTRY_HEADER_LEN];
	int r;

	memcpy(h, MAGIC, MAGIC_LEN);
	memcpy(h + MAGIC_LEN, key, RF_ZENTRY_KEY_LEN);
	put_le(h + LEN_AT, n, 8);
	if ((r = sha256(p, n, h + DIGEST_AT)) < 0)
		return r;
	if ((r = write_full(fd, h, sizeof(h))) < 0)
		return r;
	return write_full(fd, p, n);
}

int rf_zentry_write(int dirfd, const unsigned char key[RF_ZENTRY_KEY_LEN], const void *p,
		    size_t n)
{
	char subname[3], name[RF_ZENTRY_NAME_LEN + 1], tmp[64];
	int sub, fd, r;

	entry_names(key, subname, name);
	if (mkdirat(dirfd, subname, 0700) < 0 && errno != EEXIST)
		return -errno;
	sub = openat(dirfd, subname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return -errno;
	fd = r = make_tmp(sub, tmp, sizeof(tmp));
	if (fd >= 0) {
		r = write_entry(fd, key, p, n);
		if (close(fd) < 0 && r >= 0)
			r = -errno;
		/* whole entries only: a concurrent reader sees the old one, none or this one */
		if (r >= 0 && renameat(sub, tmp, sub, name) < 0)
			r = -errno;
		if (r < 0)
			unlinkat(sub, tmp, 0);
	}
	close(sub);
	return r < 0 ? r : 0;
}
