// SPDX-License-Identifier: MIT
/*
 * modules-load.d reader with systemd-modules-load's rules (see modules_load.h): the directories
 * are merged by file name, an earlier directory hides (or, with a /dev/null symlink, masks) a
 * later one, and the survivors are read in file-name order.
 */
#include "modules_load.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* In systemd's order of precedence, relative to the sysroot. */
static const char *const dirs[] = {
	"etc/modules-load.d", "run/modules-load.d", "usr/local/lib/modules-load.d",
	"usr/lib/modules-load.d", "lib/modules-load.d",
};

/* One file name and the first directory that has it. */
struct entry {
	char *name;
	const char *dir;
	bool masked;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static void entries_clear(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].name);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static bool entries_has(const struct entries *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].name, name) == 0)
			return true;
	return false;
}

static int entries_add(struct entries *e, const char *name, const char *dir, bool masked)
{
	if (rf_grow(&e->v, &e->cap, e->n, sizeof(*e->v), 16) < 0)
		return -ENOMEM;
	e->v[e->n].name = strdup(name);
	if (!e->v[e->n].name)
		return -ENOMEM;
	e->v[e->n].dir = dir;
	e->v[e->n].masked = masked;
	e->n++;
	return 0;
}

/* Is this directory entry a symlink to /dev/null (a mask)? The link is read, not followed:
 * inside a sysroot /dev/null may not exist. */
static bool is_mask(int dfd, const char *name, const struct stat *lst)
{
	char target[PATH_MAX];
	ssize_t n;

	if (S_ISCHR(lst->st_mode))
		return true;
	if (!S_ISLNK(lst->st_mode))
		return false;
	n = readlinkat(dfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}

/* Add the *.conf files of one directory that no earlier directory had. */
static int scan_dir(const char *sysroot, const char *rel, struct entries *e, struct rf_err *err)
{
	char *path = rf_path_join(sysroot, rel);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!path)
		return rf_fail(err, -ENOMEM, "out of memory");
	d = opendir(path);
	free(path);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : rf_fail(err, -errno, "cannot read %s: %s", rel, strerror(errno));
	while (r >= 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct stat lst, st;
		bool mask;

		if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".conf") != 0)
			continue;
		if (entries_has(e, de->d_name) || fstatat(dirfd(d), de->d_name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		mask = is_mask(dirfd(d), de->d_name, &lst);
		/* Directories and other odd files are skipped, as systemd does. */
		if (!mask && (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode)))
			continue;
		r = entries_add(e, de->d_name, rel, mask);
	}
	closedir(d);
	return r < 0 ? rf_fail(err, r, "out of memory") : 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Strip white space at both ends, in place. */
static char *strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int read_one(const char *sysroot, const struct entry *en, struct rf_requests *reqs, struct rf_err *err)
{
	char *rel = rf_strdupf("%s/%s", en->dir, en->name), *path = rel ? rf_path_join(sysroot, rel) : NULL;
	char *buf = NULL, origin[PATH_MAX + 32];
	size_t cap = 0;
	int line = 0, r = 0;
	FILE *f;

	if (!path) {
		free(rel);
		return rf_fail(err, -ENOMEM, "out of memory");
	}
	f = fopen(path, "re");
	if (!f)
		r = rf_fail(err, -errno, "cannot read %s: %s", rel, strerror(errno));
	while (f && r >= 0 && getline(&buf, &cap, f) >= 0) {
		char *s = strip(buf);

		line++;
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (!rf_modname_valid(s)) {
			r = rf_fail(err, -EINVAL, "%s:%d: \"%s\" is not a module name (one name a line)", rel, line, s);
			break;
		}
		snprintf(origin, sizeof(origin), "%s:%d", rel, line);
		r = rf_requests_add(reqs, s, origin, true);
		if (r < 0)
			rf_fail(err, r, "out of memory");
	}
	if (f && r >= 0 && ferror(f))
		r = rf_fail(err, -EIO, "cannot read %s: %s", rel, strerror(EIO));
	if (f)
		fclose(f);
	free(buf);
	free(path);
	free(rel);
	return r;
}

int rf_modules_load_read(const char *sysroot, struct rf_requests *reqs, struct rf_err *err)
{
	struct entries e = { 0 };
	int r = 0;

	for (size_t i = 0; r >= 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		r = scan_dir(sysroot, dirs[i], &e, err);
	if (r >= 0 && e.n)
		qsort(e.v, e.n, sizeof(*e.v), cmp_entry);
	for (size_t i = 0; r >= 0 && i < e.n; i++)
		if (!e.v[i].masked)
			r = read_one(sysroot, &e.v[i], reqs, err);
	entries_clear(&e);
	return r;
}
