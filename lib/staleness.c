// SPDX-License-Identifier: MIT
/* The input record against the state now: see staleness.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recorder.h"
#include "staleness.h"
#include "strmap.h"

static const char *value_of(const struct rf_record *rec, enum rf_record_kind k)
{
	const struct rf_record_line *l = rf_record_find(rec, k);

	return l ? l->value : NULL;
}

static int check_version(const char *was, const char *now, struct rf_strv *d)
{
	if (!was || strcmp(was, now) == 0)
		return was ? 0 : rf_strv_pushf(d, "ramforge upgraded (unknown) -> %s", now);
	return rf_strv_pushf(d, "ramforge %s %s -> %s",
			     strverscmp(was, now) < 0 ? "upgraded" : "downgraded", was, now);
}

/* The options by name: NAME -> "VALUE" (borrowed); names not in other go to names too. */
static int options_map(struct rf_strmap *m, const struct rf_strmap *other, struct rf_strv *names,
		       const char *const *v, size_t n)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		const char *eq = strchr(v[i], '=');
		char *name = eq ? strndup(v[i], (size_t)(eq - v[i])) : strdup(v[i]);

		if (!name)
			return -ENOMEM;
		if (!rf_strmap_get(m, name) && !rf_strmap_get(other, name))
			r = rf_strv_push(names, name);
		if (r >= 0)
			r = rf_strmap_put(m, name, (void *)(eq ? eq + 1 : ""));
		free(name);
	}
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_options(const struct rf_record *rec, const struct rf_strv *now,
			 struct rf_strv *d)
{
	struct rf_strmap was_m = { 0 }, now_m = { 0 };
	struct rf_strv names = { 0 }, was = { 0 };
	int r = 0;

	for (size_t i = 0; r >= 0 && i < rec->n; i++)
		if (rec->v[i].kind == RF_REC_OPTION)
			r = rf_strv_push(&was, rec->v[i].value);
	if (r >= 0)
		r = options_map(&was_m, &now_m, &names, (const char *const *)was.v, was.n);
	if (r >= 0)
		r = options_map(&now_m, &was_m, &names, (const char *const *)now->v, now->n);
	if (r >= 0 && names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; r >= 0 && i < names.n; i++) {
		const char *a = rf_strmap_get(&was_m, names.v[i]), *b = rf_strmap_get(&now_m, names.v[i]);

		if (!a || !b || strcmp(a, b) != 0)
			r = rf_strv_pushf(d, "options changed: %s: %s -> %s", names.v[i],
					  a ? a : "(none)", b ? b : "(none)");
	}
	rf_strmap_clear(&was_m);
	rf_strmap_clear(&now_m);
	rf_strv_clear(&names);
	rf_strv_clear(&was);
	return r;
}

static int check_tree(const char *was, const char *kmoddir, struct rf_strv *d, struct rf_err *err)
{
	char hex[RF_DIGEST_HEX + 1];
	int r = rf_record_tree_digest(kmoddir, hex, err);

	if (r < 0 && r != -ENOENT)
		return r;
	if ((r == -ENOENT) != !was || (was && strcmp(was, hex) != 0))
		return rf_strv_push(d, "module tree changed");
	return 0;
}

/* A path line, with the path last for sorting: "PATH\tWHAT". */
static int path_line(struct rf_strv *lines, struct rf_strmap *told, const char *what,
		     const char *path)
{
	if (rf_strmap_get(told, path))
		return 0;
	if (rf_strmap_put(told, path, (void *)1) < 0)
		return -ENOMEM;
	return rf_strv_pushf(lines, "%s\t%s", path, what);
}

/* The digests of the file lines, a few threads at a time: the files of a generic image are
 * tens of MiB, the part of the check that takes time. */
#define DIGEST_THREADS 4
#define DIGEST_MIN_PER_THREAD 32

struct digests {
	const struct rf_record *rec;
	const char *sysroot;
	char (*hex)[RF_DIGEST_HEX + 1]; /* per line of rec */
	int *res;                        /* per line: 0, or -errno of the digest */
	size_t next;
	pthread_mutex_t lock;
};

static void *digest_some(void *data)
{
	struct digests *d = data;

	for (;;) {
		struct rf_err err = { "" };
		size_t i;

		pthread_mutex_lock(&d->lock);
		while (d->next < d->rec->n && d->rec->v[d->next].kind != RF_REC_FILE)
			d->next++;
		i = d->next++;
		pthread_mutex_unlock(&d->lock);
		if (i >= d->rec->n)
			return NULL;
		d->res[i] = rf_record_digest_path(d->sysroot, d->rec->v[i].path, d->hex[i], &err);
	}
}

static int digest_files(struct digests *d)
{
	pthread_t t[DIGEST_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t files = 0, n = 0;

	for (size_t i = 0; i < d->rec->n; i++)
		files += d->rec->v[i].kind == RF_REC_FILE;
	d->hex = calloc(d->rec->n ? d->rec->n : 1, sizeof(*d->hex));
	d->res = calloc(d->rec->n ? d->rec->n : 1, sizeof(*d->res));
	if (!d->hex || !d->res || pthread_mutex_init(&d->lock, NULL) != 0)
		return -ENOMEM;
	/* this thread too: n more */
	while (n + 1 < DIGEST_THREADS && (long)n + 1 < cpus && files > (n + 1) * DIGEST_MIN_PER_THREAD &&
	       pthread_create(&t[n], NULL, digest_some, d) == 0)
		n++;
	digest_some(d);
	while (n)
		pthread_join(t[--n], NULL);
	pthread_mutex_destroy(&d->lock);
	return 0;
}

static int check_file(const struct rf_record_line *l, const struct digests *d, size_t i,
		      struct rf_strv *lines, struct rf_strmap *told, struct rf_err *err)
{
	char hex[RF_DIGEST_HEX + 1];
	int r = d->res[i];

	if (r < 0 && r != -ENOENT) /* again, for the message */
		r = rf_record_digest_path(d->sysroot, l->path, hex, err);
	if (r == -ENOENT)
		return path_line(lines, told, "removed", l->path);
	if (r < 0)
		return r;
	return strcmp(d->hex[i], l->value) == 0 ? 0 : path_line(lines, told, "changed", l->path);
}

static int check_absent(const struct rf_record_line *l, const char *sysroot,
			struct rf_strv *lines, struct rf_strmap *told, struct rf_err *err)
{
	char hex[RF_DIGEST_HEX + 1];
	struct rf_err sub = { "" };
	int r = rf_record_digest_path(sysroot, l->path, hex, &sub);

	(void)err;
	/* there now, even unreadable: a build would see it */
	return r == -ENOENT ? 0 : path_line(lines, told, "added", l->path);
}

/* The directory's names now against its entry lines. */
static int check_dir(const struct rf_record *rec, const struct rf_record_line *l,
		     const char *sysroot, struct rf_strmap *entries, struct rf_strv *lines,
		     struct rf_strmap *told, struct rf_err *err)
{
	struct rf_strv now = { 0 };
	struct rf_strmap now_m = { 0 };
	size_t n = strlen(l->path);
	int r = rf_record_list_dir(sysroot, l->path, l->value, &now, err);

	for (size_t i = 0; r >= 0 && i < now.n; i++) {
		r = rf_strmap_put(&now_m, now.v[i], (void *)1);
		if (r >= 0 && !rf_strmap_get(entries, now.v[i]))
			r = path_line(lines, told, "added", now.v[i]);
	}
	for (size_t i = 0; r >= 0 && i < rec->n; i++) {
		const char *p = rec->v[i].path;

		if (rec->v[i].kind == RF_REC_ENTRY && strncmp(p, l->path, n) == 0 && p[n] == '/' &&
		    !strchr(p + n + 1, '/') && !rf_strmap_get(&now_m, p))
			r = path_line(lines, told, "removed", p);
	}
	rf_strmap_clear(&now_m);
	rf_strv_clear(&now);
	return r;
}

static int check_paths(const struct rf_record *rec, const char *sysroot, struct rf_strv *lines,
		       struct rf_err *err)
{
	struct rf_strmap entries = { 0 }, told = { 0 };
	struct digests d = { .rec = rec, .sysroot = sysroot };
	int r = digest_files(&d);

	for (size_t i = 0; r >= 0 && i < rec->n; i++)
		if (rec->v[i].kind == RF_REC_ENTRY)
			r = rf_strmap_put(&entries, rec->v[i].path, (void *)1);
	for (size_t i = 0; r >= 0 && i < rec->n; i++) {
		const struct rf_record_line *l = &rec->v[i];

		if (l->kind == RF_REC_FILE)
			r = check_file(l, &d, i, lines, &told, err);
		else if (l->kind == RF_REC_ABSENT)
			r = check_absent(l, sysroot, lines, &told, err);
		else if (l->kind == RF_REC_DIR)
			r = check_dir(rec, l, sysroot, &entries, lines, &told, err);
	}
	rf_strmap_clear(&entries);
	rf_strmap_clear(&told);
	free(d.hex);
	free(d.res);
	return r;
}

int rf_stale_check(const struct rf_record *rec, const struct rf_stale_now *now,
		   struct rf_strv *diffs, struct rf_err *err)
{
	const char *kver = value_of(rec, RF_REC_KERNEL);
	struct rf_strv lines = { 0 };
	int r = check_version(value_of(rec, RF_REC_RAMFORGE), now->version, diffs);

	if (r >= 0 && (!kver || strcmp(kver, now->kver) != 0))
		r = rf_strv_pushf(diffs, "kernel changed: %s -> %s", kver ? kver : "(none)", now->kver);
	if (r >= 0)
		r = check_options(rec, now->options, diffs);
	if (r >= 0)
		r = check_tree(value_of(rec, RF_REC_TREE), now->kmoddir, diffs, err);
	if (r >= 0)
		r = check_paths(rec, now->sysroot, &lines, err);
	if (r >= 0 && lines.n)
		qsort(lines.v, lines.n, sizeof(*lines.v), cmp_str);
	for (size_t i = 0; r >= 0 && i < lines.n; i++) {
		char *tab = strchr(lines.v[i], '\t');

		*tab = '\0';
		r = rf_strv_pushf(diffs, "%s: %s", tab + 1, lines.v[i]);
	}
	rf_strv_clear(&lines);
	if (r == -ENOMEM && !err->msg[0])
		rf_fail(err, r, "status: %s", strerror(ENOMEM));
	return r;
}
