// SPDX-License-Identifier: MIT
/* Paths inside a root resolved by hand, every symlink recorded; see rootpath.h. */
#include "rootpath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strmap.h"

#define MAX_LINKS 40 /* symlinks in one resolution, as the kernel */

struct rf_rootpath {
	int rootfd;
	struct rf_strmap res;     /* path -> struct rf_rootpath_res */
	struct rf_strmap linkidx; /* link path -> index + 1 */
	struct rf_rootpath_link *links;
	size_t nlinks, linkcap;
};

static int link_index(struct rf_rootpath *rp, const char *path, const char *target, size_t *idx)
{
	void *v = rf_strmap_get(&rp->linkidx, path);
	struct rf_rootpath_link *l;

	if (v) {
		*idx = (size_t)(uintptr_t)v - 1;
		return 0;
	}
	if (rf_grow(&rp->links, &rp->linkcap, rp->nlinks, sizeof(*rp->links), 64) < 0)
		return -ENOMEM;
	l = &rp->links[rp->nlinks];
	l->path = strdup(path);
	l->target = strdup(target);
	if (!l->path || !l->target ||
	    rf_strmap_put(&rp->linkidx, path, (void *)(uintptr_t)(rp->nlinks + 1)) < 0) {
		free(l->path);
		free(l->target);
		return -ENOMEM;
	}
	*idx = rp->nlinks++;
	return 0;
}

static int res_add_link(struct rf_rootpath_res *r, size_t idx)
{
	if (rf_grow(&r->links, &r->cap, r->nlinks, sizeof(*r->links), 4) < 0)
		return -ENOMEM;
	r->links[r->nlinks++] = idx;
	return 0;
}

/* The walk's state: cur is the real path so far ("" for the root), rest what is left. */
struct walk {
	char cur[PATH_MAX];
	char *buf, *rest;
	int hops;
};

/* Follow the symlink cur (text target): the rest of the walk goes on from its directory. */
static int follow(struct rf_rootpath *rp, struct walk *w, const char *target,
		  struct rf_rootpath_res *out)
{
	size_t idx;
	char *joined;

	if (++w->hops > MAX_LINKS)
		return -ELOOP;
	if (link_index(rp, w->cur, target, &idx) < 0 || res_add_link(out, idx) < 0)
		return -ENOMEM;
	joined = rf_strdupf("%s/%s", target, w->rest);
	if (!joined)
		return -ENOMEM;
	if (strlen(joined) >= PATH_MAX) {
		free(joined);
		return -ENAMETOOLONG;
	}
	free(w->buf);
	w->buf = w->rest = joined;
	if (target[0] == '/')
		w->cur[0] = '\0';
	else
		*strrchr(w->cur, '/') = '\0';
	return 0;
}

/* One component c: step into it, or follow it. */
static int walk_step(struct rf_rootpath *rp, struct walk *w, const char *c, struct rf_rootpath_res *out)
{
	size_t len = strlen(w->cur);
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (strcmp(c, "..") == 0) {
		char *s = strrchr(w->cur, '/');

		if (s)
			*s = '\0';
		return 0;
	}
	if (len + 1 + strlen(c) >= sizeof(w->cur))
		return -ENAMETOOLONG;
	w->cur[len] = '/';
	strcpy(w->cur + len + 1, c);
	if (fstatat(rp->rootfd, w->cur + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(st.st_mode)) {
		out->dir = S_ISDIR(st.st_mode);
		return 0;
	}
	n = readlinkat(rp->rootfd, w->cur + 1, target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	return follow(rp, w, target, out);
}

/* Resolve path (absolute), or from the directory `from` when path is relative. */
static int walk(struct rf_rootpath *rp, const struct rf_rootpath_res *from, const char *path,
		struct rf_rootpath_res *out)
{
	struct walk w = { .buf = strdup(path) };
	char *c;
	int r = 0;

	if (!w.buf)
		return -ENOMEM;
	w.rest = w.buf;
	out->dir = true;
	if (from && path[0] != '/') {
		snprintf(w.cur, sizeof(w.cur), "%s", strcmp(from->real, "/") ? from->real : "");
		for (size_t i = 0; i < from->nlinks && r == 0; i++)
			r = res_add_link(out, from->links[i]);
	}
	while (r == 0 && (c = rf_path_next(&w.rest))) {
		if (!out->dir)
			r = -ENOTDIR;
		else if (strcmp(c, ".") != 0)
			r = walk_step(rp, &w, c, out);
	}
	free(w.buf);
	if (r == -ENOMEM)
		return r;
	out->err = -r;
	if (r == 0 && !(out->real = strdup(w.cur[0] ? w.cur : "/")))
		return -ENOMEM;
	return 0;
}

static void res_free(struct rf_rootpath_res *r)
{
	if (r) {
		free(r->real);
		free(r->links);
		free(r);
	}
}

/* The resolution of path (absolute), cached; a directory's resolution serves all its files. */
int rf_rootpath_resolve(struct rf_rootpath *rp, const char *path, const struct rf_rootpath_res **out)
{
	struct rf_rootpath_res *r = rf_strmap_get(&rp->res, path);
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	const struct rf_rootpath_res *parent = NULL;
	int e = 0;

	if (r) {
		*out = r;
		return 0;
	}
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	if (strlen(path) >= PATH_MAX) {
		r->err = ENAMETOOLONG;
	} else if (slash && *base && strcmp(base, ".") && strcmp(base, "..")) {
		char *dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));

		e = dir ? rf_rootpath_resolve(rp, dir, &parent) : -ENOMEM;
		free(dir);
		if (e == 0 && parent->err)
			r->err = parent->err;
		else if (e == 0 && !parent->dir)
			r->err = ENOTDIR;
		else if (e == 0)
			e = walk(rp, parent, base, r);
	} else {
		e = walk(rp, NULL, path, r);
	}
	if (e == 0)
		e = rf_strmap_put(&rp->res, path, r);
	if (e < 0) {
		res_free(r);
		return e;
	}
	*out = r;
	return 0;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append DIR/NAME to out for each name in the root's directory dir matching pattern. */
static int glob_dir(struct rf_rootpath *rp, const char *dir, const char *pattern, struct rf_strv *out)
{
	const struct rf_rootpath_res *r;
	struct rf_strv names = { 0 };
	struct dirent *de;
	DIR *dh;
	int fd, e = rf_rootpath_resolve(rp, *dir ? dir : "/", &r);

	if (e < 0 || r->err || !r->dir)
		return e;
	fd = openat(rp->rootfd, strcmp(r->real, "/") ? r->real + 1 : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dh = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0; /* as glob(3): an unreadable directory matches nothing */
	}
	while (e == 0 && (de = readdir(dh)))
		if (fnmatch(pattern, de->d_name, FNM_PERIOD) == 0)
			e = rf_strv_push(&names, de->d_name);
	closedir(dh);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; e == 0 && i < names.n; i++)
		e = rf_strv_pushf(out, "%s/%s", dir, names.v[i]);
	rf_strv_clear(&names);
	return e;
}

int rf_rootpath_glob(struct rf_rootpath *rp, const char *pattern, struct rf_strv *out)
{
	struct rf_strv cur = { 0 }, next = { 0 };
	char *buf = strdup(pattern), *rest = buf, *c;
	int e = buf ? rf_strv_push(&cur, "") : -ENOMEM;

	while (e == 0 && (c = rf_path_next(&rest))) {
		for (size_t i = 0; e == 0 && i < cur.n; i++)
			e = has_glob(c) ? glob_dir(rp, cur.v[i], c, &next) : rf_strv_pushf(&next, "%s/%s", cur.v[i], c);
		rf_strv_clear(&cur);
		cur = next;
		next = (struct rf_strv){ 0 };
	}
	for (size_t i = 0; e == 0 && i < cur.n; i++) {
		const struct rf_rootpath_res *r;

		if (*cur.v[i] && (e = rf_rootpath_resolve(rp, cur.v[i], &r)) == 0 && !r->err)
			e = rf_strv_push(out, cur.v[i]);
	}
	rf_strv_clear(&cur);
	free(buf);
	return e;
}

const struct rf_rootpath_link *rf_rootpath_link(const struct rf_rootpath *rp, size_t i)
{
	return &rp->links[i];
}

int rf_rootpath_new(struct rf_rootpath **out, const char *root)
{
	struct rf_rootpath *rp = calloc(1, sizeof(*rp));

	*out = NULL;
	if (!rp)
		return -ENOMEM;
	rp->rootfd = open(root && *root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rp->rootfd < 0) {
		int e = -errno;

		free(rp);
		return e;
	}
	*out = rp;
	return 0;
}

void rf_rootpath_free(struct rf_rootpath *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->res.cap; i++)
		if (rp->res.keys[i])
			res_free(rp->res.vals[i]);
	rf_strmap_clear(&rp->res);
	rf_strmap_clear(&rp->linkidx);
	for (size_t i = 0; i < rp->nlinks; i++) {
		free(rp->links[i].path);
		free(rp->links[i].target);
	}
	free(rp->links);
	close(rp->rootfd);
	free(rp);
}

