// SPDX-License-Identifier: MIT
/* Comparing two image indexes; see imgdiff.h. Both lists are sorted, so each comparison is a
 * merge. */
#include "imgdiff.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plan.h"

#define LINE_MAX_OUT (3 * 4096 + 256)

struct out {
	rf_imgdiff_fn fn;
	void *data;
	size_t count;
	char line[LINE_MAX_OUT];
};

static void __attribute__((format(printf, 3, 4))) say(struct out *o, char sign, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->line, sizeof(o->line), fmt, ap);
	va_end(ap);
	o->fn(o->data, sign, o->line);
	o->count++;
}

/* The kernel version of an image: that of its first module (by name), "" without any. */
static const char *kver_of(const struct rf_imgindex *ix)
{
	return ix->nmods ? ix->mods[0].kver : "";
}

static void diff_modules(struct out *o, const struct rf_imgindex *a, const struct rf_imgindex *b)
{
	size_t i = 0, j = 0;

	if (a->nmods && b->nmods && strcmp(kver_of(a), kver_of(b)) != 0)
		say(o, '~', "kernel: %s -> %s", kver_of(a), kver_of(b));
	while (i < a->nmods || j < b->nmods) {
		int c = i == a->nmods ? 1 : j == b->nmods ? -1 : strcmp(a->mods[i].name, b->mods[j].name);

		if (c < 0)
			say(o, '-', "%s", a->mods[i++].name);
		else if (c > 0)
			say(o, '+', "%s", b->mods[j++].name);
		else {
			if (memcmp(a->mods[i].md, b->mods[j].md, sizeof(a->mods[i].md)) != 0)
				say(o, '~', "%s: content", a->mods[i].name);
			i++, j++;
		}
	}
}

/* The plan of an image, parsed; false when it has none (another generator) or a bad one. */
static bool plan_of(const struct rf_imgindex *ix, struct rf_plan *plan)
{
	const struct rf_imgent *e = rf_imgindex_find(ix, RF_PLAN_PATH);

	return e && e->text && rf_plan_parse(plan, e->text, strlen(e->text), NULL, 0) == 0;
}

static void diff_plans(struct out *o, const struct rf_imgindex *a, const struct rf_imgindex *b)
{
	struct rf_plan pa = { 0 }, pb = { 0 };

	if (plan_of(a, &pa) && plan_of(b, &pb))
		for (size_t i = 0; i < pa.n; i++) {
			const struct rf_plan_mod *m = &pa.mods[i], *n;
			long k = rf_plan_find(&pb, m->name);
			const char *oa, *ob;

			if (k < 0)
				continue;
			n = &pb.mods[k];
			oa = m->options ? m->options : "";
			ob = n->options ? n->options : "";
			if (strcmp(oa, ob) != 0)
				say(o, '~', "%s: options \"%s\" -> \"%s\"", m->name, oa, ob);
			if (m->early != n->early)
				say(o, '~', "%s: loaded %s -> %s", m->name, m->early ? "early" : "on demand",
				    n->early ? "early" : "on demand");
		}
	rf_plan_free(&pa);
	rf_plan_free(&pb);
}

static const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "file";
	}
}

/* Not compared as files: modules (compared as modules) and the module tree's directories. */
static bool skipped(const struct rf_imgent *e)
{
	const char *p = strncmp(e->path, "usr/", 4) == 0 ? e->path + 4 : e->path;

	return e->module || (S_ISDIR(e->mode) && strncmp(p, "lib/modules/", 12) == 0);
}

/* A rule line of a modprobe.d file: trimmed, not blank, not a comment. */
struct line {
	const char *p;
	size_t len, at; /* at: its position in the file */
	bool matched;
};

static size_t split_lines(const char *text, struct line **out)
{
	size_t n = 0, cap = 0, at = 0;
	struct line *v = NULL;

	for (const char *p = text; *p; at++) {
		const char *end = p + strcspn(p, "\n"), *s = p + strspn(p, " \t");
		size_t len = (size_t)(end - s);

		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
			len--;
		if (len && *s != '#' && rf_grow(&v, &cap, n, sizeof(*v), 16) == 0)
			v[n++] = (struct line){ s, len, at, false };
		p = *end ? end + 1 : end;
	}
	*out = v;
	return n;
}

static int by_text(const void *x, const void *y)
{
	const struct line *a = *(const struct line *const *)x, *b = *(const struct line *const *)y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);

	return c ? c : a->len < b->len ? -1 : a->len > b->len ? 1 : a->at < b->at ? -1 : a->at > b->at;
}

static struct line **sorted(struct line *v, size_t n)
{
	struct line **s = malloc((n ? n : 1) * sizeof(*s));

	for (size_t i = 0; s && i < n; i++)
		s[i] = &v[i];
	if (s)
		qsort(s, n, sizeof(*s), by_text);
	return s;
}

/* Lines in one file and not in the other (as many times as they are missing). */
static size_t diff_lines(struct out *o, const char *path, const char *ta, const char *tb)
{
	struct line *a, *b, **sa, **sb;
	size_t na = split_lines(ta ? ta : "", &a), nb = split_lines(tb ? tb : "", &b), i = 0, j = 0;
	size_t before = o->count;

	sa = sorted(a, na);
	sb = sorted(b, nb);
	while (sa && sb && i < na && j < nb) {
		size_t n = sa[i]->len < sb[j]->len ? sa[i]->len : sb[j]->len;
		int c = memcmp(sa[i]->p, sb[j]->p, n);

		c = c ? c : sa[i]->len < sb[j]->len ? -1 : sa[i]->len > sb[j]->len;
		if (c == 0)
			sa[i++]->matched = sb[j++]->matched = true;
		else if (c < 0)
			i++;
		else
			j++;
	}
	for (size_t k = 0; sa && sb && k < na; k++)
		if (!a[k].matched)
			say(o, '-', "/%s: %.*s", path, (int)a[k].len, a[k].p);
	for (size_t k = 0; sa && sb && k < nb; k++)
		if (!b[k].matched)
			say(o, '+', "/%s: %.*s", path, (int)b[k].len, b[k].p);
	free(sa);
	free(sb);
	free(a);
	free(b);
	return o->count - before;
}

static bool is_conf(const struct rf_imgent *e)
{
	return e->text && strcmp(e->path, RF_PLAN_PATH) != 0;
}

static void one_side(struct out *o, char sign, const struct rf_imgent *e)
{
	say(o, sign, "/%s%s%s%s", e->path, S_ISDIR(e->mode) ? "/" : "", e->link ? " -> " : "",
	    e->link ? e->link : "");
	if (is_conf(e))
		diff_lines(o, e->path, sign == '-' ? e->text : NULL, sign == '+' ? e->text : NULL);
}

static void diff_entry(struct out *o, const struct rf_imgent *a, const struct rf_imgent *b)
{
	if ((a->mode & S_IFMT) != (b->mode & S_IFMT)) {
		say(o, '~', "/%s: %s -> %s", a->path, type_name(a->mode), type_name(b->mode));
		return;
	}
	if ((a->mode & 07777) != (b->mode & 07777))
		say(o, '~', "/%s: mode %04o -> %04o", a->path, a->mode & 07777, b->mode & 07777);
	if (a->uid != b->uid || a->gid != b->gid)
		say(o, '~', "/%s: owner %u:%u -> %u:%u", a->path, a->uid, a->gid, b->uid, b->gid);
	if ((S_ISCHR(a->mode) || S_ISBLK(a->mode)) &&
	    (a->rdev_major != b->rdev_major || a->rdev_minor != b->rdev_minor))
		say(o, '~', "/%s: device %u,%u -> %u,%u", a->path, a->rdev_major, a->rdev_minor,
		    b->rdev_major, b->rdev_minor);
	if (S_ISLNK(a->mode) && strcmp(a->link, b->link) != 0)
		say(o, '~', "/%s: link %s -> %s", a->path, a->link, b->link);
	if (!S_ISREG(a->mode) || memcmp(a->md, b->md, sizeof(a->md)) == 0)
		return;
	if (is_conf(a) && is_conf(b) && diff_lines(o, a->path, a->text, b->text) > 0)
		return;
	say(o, '~', "/%s: content (%llu -> %llu bytes)", a->path, (unsigned long long)a->size,
	    (unsigned long long)b->size);
}

static void diff_files(struct out *o, const struct rf_imgindex *a, const struct rf_imgindex *b)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->ents[i].path, b->ents[j].path);

		if (c < 0 && !skipped(&a->ents[i]))
			one_side(o, '-', &a->ents[i]);
		else if (c > 0 && !skipped(&b->ents[j]))
			one_side(o, '+', &b->ents[j]);
		else if (c == 0 && skipped(&a->ents[i]) != skipped(&b->ents[j]))
			say(o, '~', "/%s: %s -> %s", a->ents[i].path,
			    a->ents[i].module ? "module" : type_name(a->ents[i].mode),
			    b->ents[j].module ? "module" : type_name(b->ents[j].mode));
		else if (c == 0 && !skipped(&a->ents[i]))
			diff_entry(o, &a->ents[i], &b->ents[j]);
		i += c <= 0;
		j += c >= 0;
	}
}

size_t rf_imgdiff(const struct rf_imgindex *old, const struct rf_imgindex *new_, rf_imgdiff_fn fn,
		  void *data)
{
	struct out *o = calloc(1, sizeof(*o));
	size_t n;

	if (!o)
		return (size_t)-1;
	o->fn = fn;
	o->data = data;
	diff_modules(o, old, new_);
	diff_plans(o, old, new_);
	diff_files(o, old, new_);
	if (old->size != new_->size)
		say(o, '~', "image: %llu -> %llu bytes", (unsigned long long)old->size,
		    (unsigned long long)new_->size);
	if (strcmp(old->layout, new_->layout) != 0)
		say(o, '~', "image: %s -> %s", old->layout, new_->layout);
	n = o->count;
	free(o);
	return n;
}
