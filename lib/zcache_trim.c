// SPDX-License-Identifier: MIT
/* The cache directory kept under its bound, least recently used entries first; see
 * rf_zentry_trim in zcache_entry.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "zcache_entry.h"

#define TMP_MAX_AGE 3600 /* seconds: older temporary files belong to no running build */

struct entry {
	struct timespec mtime;
	uint64_t size;
	char path[3 + RF_ZENTRY_NAME_LEN + 1]; /* "XX/REST.zc" */
};

struct entries {
	struct entry *v;
	size_t n, cap;
	uint64_t total;
};

static void note(struct entries *l, const char *sub, const char *name, const struct stat *st)
{
	struct entry *e;

	if (rf_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 256) < 0)
		return; /* out of memory: this one is not counted, nor removed */
	e = &l->v[l->n++];
	e->mtime = st->st_mtim;
	e->size = (uint64_t)st->st_size;
	snprintf(e->path, sizeof(e->path), "%.2s/%.*s", sub, (int)RF_ZENTRY_NAME_LEN, name);
	l->total += e->size;
}

/* The entries of DIR/sub into l; its stale temporary files removed. */
static void scan_sub(int dirfd, const char *sub, struct entries *l, time_t now)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		bool tmp = rf_zentry_is_tmp_name(de->d_name);
		struct stat st;

		if (!tmp && !rf_zentry_is_entry_name(de->d_name))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (!tmp)
			note(l, sub, de->d_name, &st);
		else if (st.st_mtime < now - TMP_MAX_AGE)
			unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
}

static int older(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

void rf_zentry_trim(int dirfd, uint64_t max)
{
	struct entries l = { 0 };
	uint64_t target = max - max / 10;
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d); /* the duplicate shares its offset with dirfd */
	while ((de = readdir(d)))
		if (rf_zentry_is_subdir_name(de->d_name))
			scan_sub(dirfd, de->d_name, &l, time(NULL));
	closedir(d);
	if (l.total > max) {
		qsort(l.v, l.n, sizeof(*l.v), older);
		for (size_t i = 0; i < l.n && l.total > target; i++) {
			if (unlinkat(dirfd, l.v[i].path, 0) < 0 && errno != ENOENT)
				break; /* a read-only cache: it stays as it is */
			l.total -= l.v[i].size;
		}
	}
	free(l.v);
}
