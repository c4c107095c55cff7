// SPDX-License-Identifier: MIT
/* One file of an image; see imgfile.h. Two walks: the first notes every entry's type, link and
 * position, the second streams the one entry the name resolves to. */
#include "imgfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strmap.h"

#define MAX_LINKS 40
#define PATH_CAP (RF_INSPECT_NAME_MAX * 2 + 2)

struct node {
	uint32_t mode;
	uint64_t index; /* the entry's position in the image */
	char link[];
};

struct walk {
	struct rf_strmap nodes;
	uint64_t count, want;
	rf_imgfile_fn fn;
	void *data;
	struct rf_err *err;
};

static int note(const struct rf_inspect_entry *e, void *data)
{
	struct walk *w = data;
	size_t ll = e->link ? strlen(e->link) : 0;
	struct node *n = malloc(sizeof(*n) + ll + 1), *old = rf_strmap_get(&w->nodes, e->path);

	if (!n || rf_strmap_put(&w->nodes, e->path, n) < 0) {
		free(n);
		return rf_fail(w->err, -ENOMEM, "%s: %s", e->path, strerror(ENOMEM));
	}
	free(old);
	n->mode = e->mode;
	n->index = w->count++;
	memcpy(n->link, e->link ? e->link : "", ll + 1);
	return 0;
}

/* Follow symlinks component by component: the resolved path into out ("" for the root). */
static int resolve(struct walk *w, const char *file, const char *image, char *out)
{
	char rest[PATH_CAP], tmp[PATH_CAP];
	size_t olen = 0;
	int links = 0;

	snprintf(rest, sizeof(rest), "%s", file);
	out[0] = '\0';
	for (;;) {
		char *r = rest + strspn(rest, "/");
		size_t clen = strcspn(r, "/");
		struct node *n;

		if (!clen)
			return 0;
		if (clen == 1 && r[0] == '.') {
			memmove(rest, r + 1, strlen(r + 1) + 1);
			continue;
		}
		if (clen == 2 && r[0] == '.' && r[1] == '.') {
			char *slash = strrchr(out, '/');

			olen = slash ? (size_t)(slash - out) : 0;
			out[olen] = '\0';
			memmove(rest, r + 2, strlen(r + 2) + 1);
			continue;
		}
		if (olen + 1 + clen >= PATH_CAP)
			return rf_fail(w->err, -ENAMETOOLONG, "%s: name too long", file);
		olen += (size_t)snprintf(out + olen, PATH_CAP - olen, "%s%.*s", olen ? "/" : "",
					 (int)clen, r);
		memmove(rest, r + clen, strlen(r + clen) + 1);
		n = rf_strmap_get(&w->nodes, out);
		if (!n || !S_ISLNK(n->mode))
			continue;
		if (++links > MAX_LINKS)
			return rf_fail(w->err, -ELOOP, "%s: more than %d symlinks in %s", file,
				       MAX_LINKS, image);
		/* The link's target takes its place: absolute from the root, else from its dir. */
		if (strlen(n->link) + strlen(rest) + 2 > PATH_CAP)
			return rf_fail(w->err, -ENAMETOOLONG, "%s: name too long", file);
		{
			size_t ll = strlen(n->link);

			memcpy(tmp, n->link, ll);
			tmp[ll] = '/';
			memcpy(tmp + ll + 1, rest, strlen(rest) + 1);
			memcpy(rest, tmp, strlen(tmp) + 1);
		}
		if (n->link[0] == '/') {
			olen = 0;
		} else {
			char *slash = strrchr(out, '/');

			olen = slash ? (size_t)(slash - out) : 0;
		}
		out[olen] = '\0';
	}
}

static int send(const struct rf_inspect_entry *e, void *data)
{
	struct walk *w = data;
	const void *p;
	size_t n;
	int r;

	if (w->count++ != w->want || !e->stream)
		return 0;
	while ((r = rf_inspect_chunk(e->stream, &p, &n)) > 0)
		if ((r = w->fn(p, n, w->data)) < 0)
			return r;
	return r;
}

int rf_imgfile_read(struct rf_inspect *img, const char *image, const char *file, rf_imgfile_fn fn,
		    void *data, struct rf_err *err)
{
	struct walk w = { .fn = fn, .data = data, .err = err };
	char path[PATH_CAP];
	struct node *n = NULL;
	int r = rf_inspect_foreach(img, note, &w, err);

	if (r >= 0)
		r = resolve(&w, file, image, path);
	if (r >= 0) {
		n = rf_strmap_get(&w.nodes, path[0] ? path : ".");
		if (!n && !path[0])
			r = rf_fail(err, -EISDIR, "%s: a directory in %s", file, image);
		else if (!n)
			r = rf_fail(err, -ENOENT, "%s: not in %s", file, image);
		else if (S_ISDIR(n->mode))
			r = rf_fail(err, -EISDIR, "%s: a directory in %s", file, image);
		else if (!S_ISREG(n->mode))
			r = rf_fail(err, -EINVAL, "%s: not a regular file in %s", file, image);
	}
	if (r >= 0) {
		w.want = n->index;
		w.count = 0;
		r = rf_inspect_foreach_stream(img, send, &w, err);
	}
	for (size_t i = 0; i < w.nodes.cap; i++)
		if (w.nodes.keys && w.nodes.keys[i])
			free(w.nodes.vals[i]);
	rf_strmap_clear(&w.nodes);
	return r < 0 ? r : 0;
}
