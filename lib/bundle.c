// SPDX-License-Identifier: MIT
/* Bundles: their manifests, and which of them an image gets; see bundle.h. */
#include "bundle.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confsyntax.h"
#include "input.h"

/* modules.d/, compiled in (the Makefile generates the table from modules.d/NN-NAME/bundle.conf). */
struct rf_shipped_bundle {
	const char *dir, *text;
};
extern const struct rf_shipped_bundle rf_shipped_bundles[];

#define KNOWN_KEYS                                                                                \
	"description, tools, binaries, files, drivers, optional_drivers, off, hostonly, step"

static void step_free(struct rf_bundle_step *s)
{
	free(s->trigger);
	rf_strv_clear(&s->conds);
	rf_strv_clear(&s->argv);
	free(s->origin);
}

static void bundle_free(struct rf_bundle *b)
{
	free(b->name);
	free(b->dir);
	free(b->manifest);
	free(b->description);
	free(b->why);
	free(b->unusable);
	rf_conf_list_clear(&b->tools);
	rf_conf_list_clear(&b->binaries);
	rf_conf_list_clear(&b->files);
	rf_conf_list_clear(&b->drivers);
	rf_conf_list_clear(&b->optional_drivers);
	rf_conf_list_clear(&b->off);
	rf_conf_list_clear(&b->hostonly);
	for (size_t i = 0; i < b->nsteps; i++)
		step_free(&b->steps[i]);
	free(b->steps);
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A word for the plan: no comma (it separates conditions), nothing empty. */
static bool plain(const char *w)
{
	return *w && !strchr(w, ',');
}

static int check_trigger(const char *t)
{
	if (strncmp(t, "device=", 7) == 0 && plain(t + 7))
		return 0;
	if (strncmp(t, "root-missing=", 13) == 0 && is_number(t + 13) && strlen(t + 13) <= 4)
		return 0;
	return -EINVAL;
}

static int check_cond(const char *c)
{
	static const char *const keys[] = { "if=", "unless=", "filter=", "uuid=", "off=" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(c, keys[i], strlen(keys[i])) == 0 && plain(c + strlen(keys[i])))
			return 0;
	return -EINVAL;
}

static bool lists(const struct rf_conf_list *l, const char *word)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].word, word) == 0)
			return true;
	return false;
}

/* step+="TRIGGER [COND...] /PROGRAM ARG...": the conditions end at the first absolute path. */
static int add_step(struct rf_bundle *b, const char *value, const char *where, int line,
		    struct rf_err *err)
{
	struct rf_bundle_step s = { 0 };
	struct rf_strv w = { 0 };
	size_t i = 1;
	int r = rf_strv_split_words(&w, value);

	if (r < 0)
		return r;
	if (w.n == 0 || check_trigger(w.v[0]) < 0) {
		r = rf_fail(err, -EINVAL, "%s:%d: a step starts with device=TYPE or root-missing=SECONDS, not \"%.40s\"",
			    where, line, w.n ? w.v[0] : "");
		goto out;
	}
	for (; i < w.n && w.v[i][0] != '/'; i++) {
		if (check_cond(w.v[i]) < 0) {
			r = rf_fail(err, -EINVAL, "%s:%d: unknown step condition \"%.40s\" (known: if=KEY, unless=KEY, "
				    "filter=KEY, uuid=UUID, off=WORD; the program is an absolute path)", where, line, w.v[i]);
			goto out;
		}
		r = rf_strv_push(&s.conds, w.v[i]);
	}
	if (r >= 0 && i == w.n)
		r = rf_fail(err, -EINVAL, "%s:%d: the step runs no program (an absolute path)", where, line);
	else if (r >= 0 && !lists(&b->binaries, w.v[i]))
		r = rf_fail(err, -EINVAL, "%s:%d: the step runs %s, which is not in the bundle's binaries (set "
			    "binaries= before the steps)", where, line, w.v[i]);
	for (; r >= 0 && i < w.n; i++)
		r = rf_strv_push(&s.argv, w.v[i]);
	if (r >= 0 && (!(s.trigger = strdup(w.v[0])) || !(s.origin = rf_strdupf("%s:%d", where, line))))
		r = -ENOMEM;
	if (r >= 0 && rf_grow(&b->steps, &b->capsteps, b->nsteps, sizeof(*b->steps), 4) < 0)
		r = -ENOMEM;
	if (r >= 0) {
		b->steps[b->nsteps++] = s;
		s = (struct rf_bundle_step){ 0 };
	}
out:
	step_free(&s);
	rf_strv_clear(&w);
	return r;
}

static struct rf_conf_list *list_of(struct rf_bundle *b, const struct rf_conf_assign *a)
{
	const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "tools", offsetof(struct rf_bundle, tools) },
		{ "binaries", offsetof(struct rf_bundle, binaries) },
		{ "files", offsetof(struct rf_bundle, files) },
		{ "drivers", offsetof(struct rf_bundle, drivers) },
		{ "optional_drivers", offsetof(struct rf_bundle, optional_drivers) },
		{ "off", offsetof(struct rf_bundle, off) },
		{ "hostonly", offsetof(struct rf_bundle, hostonly) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (rf_conf_key_is(a, keys[i].key))
			return (struct rf_conf_list *)((char *)b + keys[i].off);
	return NULL;
}

/* Paths of tools, binaries and files are absolute, without "..", and hold no comma. */
static int check_paths(const struct rf_conf_list *l, size_t from, const char *where, int line,
		       struct rf_err *err)
{
	for (size_t i = from; i < l->n; i++) {
		const char *p = l->v[i].word;
		size_t len = strlen(p);

		if (p[0] != '/' || strstr(p, "/../") || (len >= 3 && strcmp(p + len - 3, "/..") == 0) ||
		    strchr(p, ','))
			return rf_fail(err, -EINVAL, "%s:%d: \"%s\" is not an absolute path", where, line, p);
	}
	return 0;
}

static int apply(void *data, const struct rf_conf_assign *a, const char *where, int line,
		 struct rf_err *err)
{
	struct rf_bundle *b = data;
	struct rf_conf_list *l = list_of(b, a);
	char *origin;
	size_t before;
	int r;

	if (rf_conf_key_is(a, "step")) {
		if (!a->append)
			return rf_fail(err, -EINVAL, "%s:%d: each step is its own step+=\"...\" line", where, line);
		return add_step(b, a->value, where, line, err);
	}
	if (rf_conf_key_is(a, "description")) {
		free(b->description);
		return (b->description = strdup(a->value)) ? 0 : -ENOMEM;
	}
	if (!l)
		return rf_fail(err, -EINVAL, "%s:%d: unknown key \"%.*s\" (known: " KNOWN_KEYS ")", where,
			       line, (int)a->keylen, a->key);
	origin = rf_strdupf("%s:%d", where, line);
	before = a->append ? l->n : 0;
	r = origin ? rf_conf_list_assign(l, a, origin) : -ENOMEM;
	free(origin);
	if (r >= 0 && (l == &b->tools || l == &b->binaries || l == &b->files))
		r = check_paths(l, before, where, line, err);
	return r;
}

int rf_bundles_parse(struct rf_bundles *b, const char *dir, const char *text, const char *display,
		     struct rf_err *err)
{
	const char *dash = strchr(dir, '-');
	struct rf_bundle nb = { 0 };
	int r;

	if (!dash || dash == dir || !dash[1])
		return rf_fail(err, -EINVAL, "%s: a bundle's directory is NN-NAME, not %s", display, dir);
	if (rf_bundles_find(b, dash + 1))
		return rf_fail(err, -EEXIST, "%s: a second bundle called %s", display, dash + 1);
	nb.name = strdup(dash + 1);
	nb.dir = strdup(dir);
	nb.manifest = strdup(display);
	r = nb.name && nb.dir && nb.manifest ? rf_conf_syntax_parse(text, display, apply, &nb, err) : -ENOMEM;
	if (r >= 0 && nb.tools.n == 0 && nb.binaries.n)
		r = rf_fail(err, -EINVAL, "%s: no tools= (the files whose presence makes the bundle usable)", display);
	if (r >= 0 && rf_grow(&b->v, &b->cap, b->n, sizeof(*b->v), 4) < 0)
		r = -ENOMEM;
	if (r == -ENOMEM)
		rf_fail(err, r, "out of memory");
	if (r < 0) {
		bundle_free(&nb);
		return r;
	}
	b->v[b->n++] = nb;
	return 0;
}

int rf_bundles_load(struct rf_bundles *b, struct rf_err *err)
{
	int r = 0;

	for (const struct rf_shipped_bundle *s = rf_shipped_bundles; r >= 0 && s->dir; s++) {
		char *display = rf_strdupf("modules.d/%s/bundle.conf", s->dir);

		r = display ? rf_bundles_parse(b, s->dir, s->text, display, err) : rf_fail(err, -ENOMEM, "out of memory");
		free(display);
	}
	return r;
}

struct rf_bundle *rf_bundles_find(const struct rf_bundles *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].name, name) == 0)
			return &b->v[i];
	return NULL;
}

/* Does the sysroot have every tool? If not, why not (malloc'd) in b->unusable. */
static int check_tools(struct rf_bundle *b, const char *sysroot)
{
	rf_freep(&b->unusable);
	for (size_t i = 0; i < b->tools.n; i++) {
		struct rf_err e = { "" };
		int fd = rf_input_open(sysroot, b->tools.v[i].word + 1, b->tools.v[i].word, RF_INPUT_OPTIONAL, &e);

		if (fd >= 0) {
			close(fd);
			continue;
		}
		b->unusable = fd == -ENOENT ? rf_strdupf("%s is not installed in %s", b->tools.v[i].word, sysroot)
					    : strdup(e.msg);
		return b->unusable ? 0 : -ENOMEM;
	}
	return 0;
}

static int choose(struct rf_bundle *b, char *why)
{
	if (!why)
		return -ENOMEM;
	free(b->why);
	b->why = why;
	b->chosen = true;
	return 0;
}

/* Does a device of the root's stack ("dm-uuid:LVM-xyz", "md:md0") match the bundle? */
static const char *stack_match(const struct rf_bundle *b, const struct rf_strv *stack)
{
	for (size_t i = 0; stack && i < stack->n; i++)
		for (size_t j = 0; j < b->hostonly.n; j++)
			if (strncmp(stack->v[i], b->hostonly.v[j].word, strlen(b->hostonly.v[j].word)) == 0)
				return stack->v[i];
	return NULL;
}

static int choose_automatic(struct rf_bundles *bs, const struct rf_bundle_choice *c)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < bs->n; i++) {
		struct rf_bundle *b = &bs->v[i];
		const char *dev;

		if (b->unusable)
			continue;
		if (c->mode == RF_BUNDLES_GENERIC && b->tools.n)
			r = choose(b, rf_strdupf("generic: %s is installed", b->tools.v[0].word));
		else if (c->mode == RF_BUNDLES_HOSTONLY && (dev = stack_match(b, c->stack)))
			r = choose(b, rf_strdupf("hostonly: the root's stack has %s", dev));
	}
	return r;
}

static int check_names(const struct rf_bundles *bs, const struct rf_conf_list *l, struct rf_err *err)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (!rf_bundles_find(bs, l->v[i].word)) {
			char *list = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&list, &len);

			for (size_t j = 0; f && j < bs->n; j++)
				fprintf(f, "%s%s", j ? ", " : "", bs->v[j].name);
			if (f)
				fclose(f);
			rf_fail(err, -ENOENT, "unknown bundle '%s' (%s); known: %s", l->v[i].word, l->v[i].origin,
				list ? list : "");
			free(list);
			return -ENOENT;
		}
	return 0;
}

int rf_bundles_choose(struct rf_bundles *bs, const struct rf_bundle_choice *c, struct rf_err *err)
{
	int r = check_names(bs, c->add, err);

	if (r >= 0)
		r = check_names(bs, c->omit, err);
	for (size_t i = 0; r >= 0 && i < bs->n; i++)
		r = check_tools(&bs->v[i], c->sysroot);
	if (r >= 0 && c->mode != RF_BUNDLES_NAMED)
		r = choose_automatic(bs, c);
	for (size_t i = 0; r >= 0 && c->add && i < c->add->n; i++) {
		struct rf_bundle *b = rf_bundles_find(bs, c->add->v[i].word);

		if (b->unusable)
			return rf_fail(err, -ENOENT, "bundle %s (%s) cannot be used: %s", b->name,
				       c->add->v[i].origin, b->unusable);
		r = choose(b, rf_strdupf("%s", c->add->v[i].origin));
		b->named = true;
	}
	for (size_t i = 0; r >= 0 && c->omit && i < c->omit->n; i++) {
		struct rf_bundle *b = rf_bundles_find(bs, c->omit->v[i].word);

		b->chosen = b->named = false;
		rf_freep(&b->why);
		r = (b->why = rf_strdupf("omitted (%s)", c->omit->v[i].origin)) ? 0 : -ENOMEM;
	}
	return r == -ENOMEM ? rf_fail(err, r, "out of memory") : r;
}

static int add_drivers(const struct rf_bundle *b, const struct rf_conf_list *l, bool optional,
		       struct rf_requests *reqs)
{
	for (size_t i = 0; i < l->n; i++) {
		char *origin = rf_strdupf("bundle %s (%s)", b->name, l->v[i].origin);
		int r = origin ? rf_requests_add(reqs, l->v[i].word, origin, false) : -ENOMEM;

		free(origin);
		if (r < 0)
			return r;
		reqs->v[reqs->n - 1].optional = optional;
	}
	return 0;
}

int rf_bundles_requests(const struct rf_bundles *bs, struct rf_requests *reqs)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < bs->n; i++) {
		if (!bs->v[i].chosen)
			continue;
		r = add_drivers(&bs->v[i], &bs->v[i].drivers, !bs->v[i].named, reqs);
		if (r >= 0)
			r = add_drivers(&bs->v[i], &bs->v[i].optional_drivers, true, reqs);
	}
	return r;
}

void rf_bundles_free(struct rf_bundles *b)
{
	for (size_t i = 0; i < b->n; i++)
		bundle_free(&b->v[i]);
	free(b->v);
	memset(b, 0, sizeof(*b));
}
