// SPDX-License-Identifier: MIT
/* The manifest: the image's entries in memory, with path lookup for replace and parents;
 * see manifest.h. */
#include "manifest.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

#define MAX_LINKS 40 /* symlinks followed in one path, as the kernel */

/* Canonical image path: no leading "/", no "//", no trailing "/", no "." component; ".." is
 * refused. malloc'd, or NULL (errno EINVAL or ENOMEM). */
static char *canon_path(const char *in)
{
	size_t len = strlen(in);
	char *out = malloc(len + 1), *o = out;
	const char *p = in;

	if (!out)
		return NULL;
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			p++; /* "./init", "a/./b" */
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			goto invalid;
		if (o != out)
			*o++ = '/';
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	if (o == out)
		goto invalid;
	return out;
invalid:
	free(out);
	errno = EINVAL;
	return NULL;
}

static struct rf_entry *lookup(const struct rf_manifest *m, const char *path)
{
	uintptr_t pos = (uintptr_t)rf_strmap_get(&m->index, path);

	if (pos && pos <= m->n && strcmp(m->v[pos - 1].path, path) == 0)
		return &m->v[pos - 1];
	if (!pos)
		return NULL;
	/* Stale index (a re-point after sorting ran out of memory): search. */
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].path, path) == 0)
			return &m->v[i];
	return NULL;
}

void rf_entry_release(struct rf_entry *e)
{
	free(e->path);
	free(e->source);
	free(e->root);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/* Drop the last component of the image path p in place ("" stays ""). */
static void up(char *p)
{
	char *s = strrchr(p, '/');

	if (s)
		*s = '\0';
	else
		p[0] = '\0';
}

/* Where path (relative to the image's root; '.', '..' and repeated '/' allowed) lands in the
 * image: every component that is a symlink of the manifest is replaced by its target, as the
 * kernel resolves paths in the unpacked image (".." stops at the root), the last component
 * only when follow_last. malloc'd canonical path ("" for the root), or NULL with errno
 * (ELOOP, ENAMETOOLONG, ENOMEM). */
static char *place(const struct rf_manifest *m, const char *path, bool follow_last)
{
	char cur[PATH_MAX] = "", *buf = strdup(path), *rest = buf, *c;
	int links = 0, e = buf ? 0 : ENOMEM;

	while (!e && (c = rf_path_next(&rest))) {
		size_t len = strlen(cur);
		const struct rf_entry *l;
		char *joined;

		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			up(cur);
			continue;
		}
		if (len + 1 + strlen(c) >= sizeof(cur)) {
			e = ENAMETOOLONG;
			break;
		}
		snprintf(cur + len, sizeof(cur) - len, "%s%s", len ? "/" : "", c);
		if (!m->has_links || !(l = lookup(m, cur)) || l->type != RF_ENTRY_SYMLINK ||
		    (!follow_last && rest[strspn(rest, "/")] == '\0'))
			continue;
		if (++links > MAX_LINKS) {
			e = ELOOP;
			break;
		}
		if (!(joined = rf_strdupf("%s/%s", l->source, rest))) {
			e = ENOMEM;
			break;
		}
		free(buf);
		buf = rest = joined;
		if (l->source[0] == '/')
			cur[0] = '\0';
		else
			up(cur);
	}
	free(buf);
	if (!e && !(buf = strdup(cur)))
		e = ENOMEM;
	errno = e;
	return e ? NULL : buf;
}

/* The index again, after entries were taken out of the array. -ENOMEM. */
static int reindex(struct rf_manifest *m)
{
	rf_strmap_clear(&m->index);
	for (size_t i = 0; i < m->n; i++)
		if (rf_strmap_put(&m->index, m->v[i].path, (void *)(uintptr_t)(i + 1)) < 0)
			return -ENOMEM;
	return 0;
}

/* Append e (taking its strings), or replace the entry of the same path. */
static int put(struct rf_manifest *m, struct rf_entry *e)
{
	struct rf_entry *old = lookup(m, e->path);

	if (e->type == RF_ENTRY_SYMLINK)
		m->has_links = true;
	if (old) {
		/* A directory may have contents already: only a directory can replace it. */
		if (old->type == RF_ENTRY_DIR && e->type != RF_ENTRY_DIR)
			return -EISDIR;
		rf_entry_release(old);
		*old = *e;
		return 0;
	}
	if (rf_grow(&m->v, &m->cap, m->n, sizeof(*m->v), 256) < 0)
		return -ENOMEM;
	if (rf_strmap_put(&m->index, e->path, (void *)(uintptr_t)(m->n + 1)) < 0)
		return -ENOMEM;
	m->v[m->n++] = *e;
	return 0;
}

/* Add every missing parent directory of path (mode 0755), outermost first. */
static int add_parents(struct rf_manifest *m, const char *path)
{
	char *buf = strdup(path);
	size_t depth = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	/* Walk up to the first existing ancestor: parents of an entry always exist. */
	for (char *slash = strrchr(buf, '/'); slash; slash = strrchr(buf, '/')) {
		const struct rf_entry *e;

		*slash = '\0';
		e = lookup(m, buf);
		if (e) {
			r = e->type == RF_ENTRY_DIR ? 0 : -ENOTDIR;
			*slash = '/';
			break;
		}
		depth++;
	}
	/* buf is now cut at the first missing ancestor; restore one component at a time. */
	for (size_t i = 0; r >= 0 && i < depth; i++) {
		struct rf_entry d = { .type = RF_ENTRY_DIR, .mode = 0755, .path = strdup(buf) };

		r = d.path ? put(m, &d) : -ENOMEM;
		if (r < 0)
			free(d.path);
		buf[strlen(buf)] = '/';
	}
	free(buf);
	return r;
}

/* Put e at path, its parents' symlinks followed (a directory's own too: the link leads to it). */
static int add_entry(struct rf_manifest *m, const char *path, struct rf_entry *e)
{
	char *canon = canon_path(path);
	int r;

	e->path = canon ? place(m, canon, e->type == RF_ENTRY_DIR) : NULL;
	free(canon);
	if (!e->path) {
		r = -errno;
		goto fail;
	}
	if (!e->path[0]) { /* through a link to the root: the root is no entry */
		r = -EINVAL;
		goto fail;
	}
	r = add_parents(m, e->path);
	if (r >= 0)
		r = put(m, e);
	if (r >= 0)
		return 0;
fail:
	rf_entry_release(e);
	return r;
}

int rf_manifest_add_file(struct rf_manifest *m, const char *path, const char *source, mode_t mode,
			 struct rf_err *err)
{
	struct rf_entry e = { .type = RF_ENTRY_FILE };
	struct stat st;
	int r;

	if (stat(source, &st) < 0)
		return rf_fail(err, -errno, "%s: %s", source, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rf_fail(err, -EINVAL, "%s: not a regular file", source);
	e.mode = mode ? mode & 07777 : st.st_mode & 07777;
	e.size = (size_t)st.st_size;
	e.source = strdup(source);
	if (!e.source)
		return rf_fail(err, -ENOMEM, "%s: %s", source, strerror(ENOMEM));
	r = add_entry(m, path, &e);
	if (r < 0)
		return rf_fail(err, r, "adding %s to the image: %s", path, strerror(-r));
	return 0;
}

int rf_manifest_add_file_in(struct rf_manifest *m, const char *path, const char *root,
			    const char *source, mode_t mode, struct rf_err *err)
{
	struct rf_entry e = { .type = RF_ENTRY_FILE };
	char *display = rf_path_join(root, source);
	struct stat st;
	int r, fd = display ? rf_input_open(root, source, display, 0, err) : -ENOMEM;

	if (fd >= 0) {
		r = fstat(fd, &st) < 0 ? rf_fail(err, -errno, "%s: %s", display, strerror(errno)) : 0;
		close(fd);
	} else {
		r = fd == -ENOMEM ? rf_fail(err, fd, "%s: %s", source, strerror(ENOMEM)) : fd;
	}
	free(display);
	if (r < 0)
		return r;
	e.mode = mode ? mode & 07777 : st.st_mode & 07777;
	e.size = (size_t)st.st_size;
	e.source = strdup(source);
	e.root = strdup(root);
	if (!e.source || !e.root) {
		rf_entry_release(&e);
		return rf_fail(err, -ENOMEM, "%s: %s", source, strerror(ENOMEM));
	}
	r = add_entry(m, path, &e);
	if (r < 0)
		return rf_fail(err, r, "adding %s to the image: %s", path, strerror(-r));
	return 0;
}

int rf_manifest_add_bytes(struct rf_manifest *m, const char *path, const void *data, size_t size,
			  mode_t mode)
{
	struct rf_entry e = { .type = RF_ENTRY_BYTES, .mode = mode & 07777, .size = size };

	e.data = malloc(size ? size : 1);
	if (!e.data)
		return -ENOMEM;
	if (size)
		memcpy(e.data, data, size);
	return add_entry(m, path, &e);
}

int rf_manifest_add_dir(struct rf_manifest *m, const char *path, mode_t mode)
{
	struct rf_entry e = { .type = RF_ENTRY_DIR, .mode = mode & 07777 };

	return add_entry(m, path, &e);
}

int rf_manifest_add_symlink(struct rf_manifest *m, const char *path, const char *target)
{
	struct rf_entry e = { .type = RF_ENTRY_SYMLINK, .mode = 0777 };

	if (!target[0])
		return -EINVAL;
	e.source = strdup(target);
	if (!e.source)
		return -ENOMEM;
	return add_entry(m, path, &e);
}

int rf_manifest_add_node(struct rf_manifest *m, const char *path, mode_t mode, dev_t rdev)
{
	struct rf_entry e = { .type = RF_ENTRY_NODE, .mode = mode, .rdev = rdev };

	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return -EINVAL;
	return add_entry(m, path, &e);
}

/* p is dir (len bytes) or under it. */
static bool in_dir(const char *p, const char *dir, size_t len)
{
	return strncmp(p, dir, len) == 0 && (p[len] == '\0' || p[len] == '/');
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Two entries that are one and the same in the image. */
static bool same_entry(const struct rf_entry *a, const struct rf_entry *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case RF_ENTRY_DIR: return true;
	case RF_ENTRY_FILE: return same_str(a->source, b->source) && same_str(a->root, b->root);
	case RF_ENTRY_SYMLINK: return same_str(a->source, b->source);
	case RF_ENTRY_BYTES: return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
	case RF_ENTRY_NODE: return a->mode == b->mode && a->rdev == b->rdev;
	}
	return false;
}

/* Take the entries at dir and under it out of the array, into *out (*n of them). -ENOMEM. */
static int take_subtree(struct rf_manifest *m, const char *dir, struct rf_entry **out, size_t *n)
{
	size_t len = strlen(dir), kept = 0, count = 0;

	for (size_t i = 0; i < m->n; i++)
		count += in_dir(m->v[i].path, dir, len);
	*n = 0;
	*out = malloc(count * sizeof(**out) + 1);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		if (in_dir(m->v[i].path, dir, len))
			(*out)[(*n)++] = m->v[i];
		else
			m->v[kept++] = m->v[i];
	}
	m->n = kept;
	return reindex(m);
}

static int cmp_path(const void *a, const void *b);

/* Move the taken entries from under `from` to under `to` (where the link from -> target
 * leads), a directory one or merged. */
static int move_subtree(struct rf_manifest *m, struct rf_entry *v, size_t n, const char *from,
			const char *to, const char *target, struct rf_err *err)
{
	size_t len = strlen(from), i;
	int r = 0;

	qsort(v, n, sizeof(*v), cmp_path); /* a directory before its contents */
	for (i = 0; r >= 0 && i < n; i++) {
		char *dst = rf_strdupf("%s%s", to, v[i].path + len);
		char *at = dst ? place(m, dst, v[i].type == RF_ENTRY_DIR) : NULL;
		const struct rf_entry *there = at ? lookup(m, at) : NULL;

		free(dst);
		if (!at) {
			r = rf_fail(err, -errno, "%s: moving it under the link %s -> %s: %s", v[i].path,
				    from, target, strerror(errno));
		} else if (there && same_entry(there, &v[i])) {
			free(at);
			rf_entry_release(&v[i]);
		} else if (there) {
			r = rf_fail(err, -EEXIST, "%s: the link %s -> %s moves it to %s, where the image "
				    "has another entry", v[i].path, from, target, at);
			free(at);
		} else {
			free(v[i].path);
			v[i].path = at;
			r = add_parents(m, at);
			if (r >= 0)
				r = put(m, &v[i]);
			if (r >= 0)
				memset(&v[i], 0, sizeof(v[i]));
			else
				rf_fail(err, r, "%s: moving it under the link %s -> %s: %s", at, from,
					target, strerror(-r));
		}
	}
	for (i = 0; i < n; i++)
		rf_entry_release(&v[i]);
	free(v);
	return r;
}

int rf_manifest_add_symlink_merge(struct rf_manifest *m, const char *path, const char *target,
				  struct rf_err *err)
{
	char *canon = canon_path(path), *at = canon ? place(m, canon, false) : NULL, *dir, *to = NULL;
	const struct rf_entry *old = at ? lookup(m, at) : NULL;
	struct rf_entry *moved;
	size_t n, len;
	int r = 0;

	free(canon);
	if (!at || !at[0] || !target[0]) {
		r = at || errno != ENOMEM ? -EINVAL : -ENOMEM;
		free(at);
		return rf_fail(err, r, "%s -> %s: %s", path, target, strerror(-r));
	}
	if (!old || old->type != RF_ENTRY_DIR) {
		r = rf_manifest_add_symlink(m, at, target);
		free(at);
		return r < 0 ? rf_fail(err, r, "%s -> %s: %s", path, target, strerror(-r)) : 0;
	}
	/* Where the link leads, from its own directory. */
	dir = strdup(at);
	if (dir) {
		up(dir);
		to = target[0] == '/' ? place(m, target, true) : rf_strdupf("%s/%s", dir, target);
		if (to && target[0] != '/') {
			char *rel = to;

			to = place(m, rel, true);
			free(rel);
		}
	}
	free(dir);
	len = strlen(at);
	if (!to)
		r = rf_fail(err, -errno, "%s -> %s: %s", at, target, strerror(errno));
	else if (!to[0] || in_dir(to, at, len))
		r = rf_fail(err, -ELOOP, "%s -> %s: the directory %s would move into itself or the "
			    "image's root", at, target, at);
	if (r >= 0 && (r = take_subtree(m, at, &moved, &n)) < 0)
		rf_fail(err, r, "%s -> %s: %s", at, target, strerror(-r));
	if (r >= 0)
		r = move_subtree(m, moved, n, at, to, target, err);
	if (r >= 0 && (r = rf_manifest_add_symlink(m, at, target)) < 0)
		rf_fail(err, r, "%s -> %s: %s", at, target, strerror(-r));
	free(at);
	free(to);
	return r;
}

const struct rf_entry *rf_manifest_get(const struct rf_manifest *m, const char *path)
{
	char *canon = canon_path(path), *at = canon ? place(m, canon, false) : NULL;
	const struct rf_entry *e = at ? lookup(m, at) : NULL;

	free(canon);
	free(at);
	return e;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct rf_entry *)a)->path, ((const struct rf_entry *)b)->path);
}

/* Byte-wise order: a directory's path is a prefix of its contents', so it always comes first. */
void rf_manifest_sort(struct rf_manifest *m)
{
	qsort(m->v, m->n, sizeof(*m->v), cmp_path);
	/* Positions moved: re-point the index. Should that run out of memory, lookup() notices
	 * the stale positions and searches instead. */
	for (size_t i = 0; i < m->n; i++)
		rf_strmap_put(&m->index, m->v[i].path, (void *)(uintptr_t)(i + 1));
}

int rf_manifest_move_first(struct rf_manifest *m, const char *path)
{
	size_t *first = calloc(m->n ? m->n : 1, sizeof(*first)), nfirst = 0, k = 0;
	struct rf_entry *v = malloc((m->n ? m->n : 1) * sizeof(*v));
	char *prefix = strdup(path), *slash = prefix;
	bool *taken = calloc(m->n ? m->n : 1, sizeof(*taken));
	int r = first && v && prefix && taken ? 0 : -ENOMEM;

	/* each parent ("etc", "etc/ramforge"), then path itself, where they are entries */
	while (r == 0 && slash) {
		uintptr_t pos;

		slash = strchr(slash, '/');
		if (slash)
			*slash = '\0';
		pos = (uintptr_t)rf_strmap_get(&m->index, prefix);
		if (pos && pos <= m->n && strcmp(m->v[pos - 1].path, prefix) == 0 && !taken[pos - 1])
			first[nfirst++] = pos - 1, taken[pos - 1] = true;
		if (slash)
			*slash++ = '/';
	}
	if (r == 0 && (!nfirst || strcmp(m->v[first[nfirst - 1]].path, path) != 0))
		nfirst = 0; /* path is no entry: nothing moves */
	for (size_t i = 0; r == 0 && nfirst && i < nfirst; i++)
		v[k++] = m->v[first[i]];
	for (size_t i = 0; r == 0 && nfirst && i < m->n; i++)
		if (!taken[i])
			v[k++] = m->v[i];
	if (r == 0 && nfirst) {
		memcpy(m->v, v, m->n * sizeof(*v));
		r = reindex(m);
	}
	free(first);
	free(v);
	free(prefix);
	free(taken);
	return r;
}

int rf_manifest_take(struct rf_manifest *m, const char *const *paths, size_t n,
		     struct rf_entry *out)
{
	bool *gone = calloc(m->n ? m->n : 1, sizeof(*gone));
	size_t kept = 0;

	if (!gone)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct rf_entry *e = paths[i] ? rf_manifest_get(m, paths[i]) : NULL;
		size_t at = e ? (size_t)(e - m->v) : 0;

		out[i] = (struct rf_entry){ 0 };
		if (e && !gone[at]) {
			out[i] = *e;
			gone[at] = true;
		}
	}
	for (size_t i = 0; i < m->n; i++)
		if (!gone[i])
			m->v[kept++] = m->v[i];
	m->n = kept;
	free(gone);
	return reindex(m);
}

void rf_manifest_free(struct rf_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		rf_entry_release(&m->v[i]);
	free(m->v);
	rf_strmap_clear(&m->index);
	memset(m, 0, sizeof(*m));
}
