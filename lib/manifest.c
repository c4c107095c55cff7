// SPDX-License-Identifier: MIT
/* The manifest: the image's entries in memory, with path lookup for replace and parents;
 * see manifest.h. */
#include "manifest.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static void entry_release(struct rf_entry *e)
{
	free(e->path);
	free(e->source);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/* Append e (taking its strings), or replace the entry of the same path. */
static int put(struct rf_manifest *m, struct rf_entry *e)
{
	struct rf_entry *old = lookup(m, e->path);

	if (old) {
		/* A directory may have contents already: only a directory can replace it. */
		if (old->type == RF_ENTRY_DIR && e->type != RF_ENTRY_DIR)
			return -EISDIR;
		entry_release(old);
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

static int add_entry(struct rf_manifest *m, const char *path, struct rf_entry *e)
{
	int r;

	e->path = canon_path(path);
	if (!e->path) {
		r = -errno;
		goto fail;
	}
	r = add_parents(m, e->path);
	if (r >= 0)
		r = put(m, e);
	if (r >= 0)
		return 0;
fail:
	entry_release(e);
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

void rf_manifest_free(struct rf_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		entry_release(&m->v[i]);
	free(m->v);
	rf_strmap_clear(&m->index);
	memset(m, 0, sizeof(*m));
}
