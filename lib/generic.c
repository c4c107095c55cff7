// SPDX-License-Identifier: MIT
/*
 * The generic selection (see generic.h): path rules over the tree's modules.dep, and the
 * symbol rule, which reads the undefined symbols of each candidate module through libkmod.
 */
#include "generic.h"
#include "modname.h"

#include <ctype.h>
#include <errno.h>
#include <libkmod.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "log.h"
#include "modfile.h"
#include "strmap.h"

extern const char rf_generic_conf[];

#define MAX_WORKERS 8

static const struct {
	const char *word;
	enum rf_generic_kind kind;
} kinds[] = {
	{ "symbols-in", RF_GEN_SYMBOLS_IN }, { "symbol", RF_GEN_SYMBOL }, { "dir", RF_GEN_DIR },
	{ "exclude", RF_GEN_EXCLUDE },       { "module", RF_GEN_MODULE },
};

static int rule_push(struct rf_generic_rules *rules, enum rf_generic_kind kind, const char *arg,
		     size_t len, char *where)
{
	struct rf_generic_rule *r;

	if (rules->n == rules->cap) {
		size_t cap = rules->cap ? rules->cap * 2 : 64;
		void *v = realloc(rules->v, cap * sizeof(*rules->v));

		if (!v) {
			free(where);
			return -ENOMEM;
		}
		rules->v = v;
		rules->cap = cap;
	}
	while (len > 1 && arg[len - 1] == '/') /* "kernel/fs/" is "kernel/fs" */
		len--;
	r = &rules->v[rules->n];
	r->kind = kind;
	r->arg = strndup(arg, len);
	r->where = where;
	if (!r->arg || !where) {
		free(r->arg);
		free(where);
		return -ENOMEM;
	}
	rules->n++;
	return 0;
}

/* One line: "WORD ARG" with optional white space and a '#' comment. */
static int parse_line(struct rf_generic_rules *rules, const char *line, size_t len,
		      const char *display, int lineno, struct rf_err *err)
{
	const char *p = line, *end = line + len, *w, *a;
	size_t wlen, alen;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	for (w = p; p < end && !isspace((unsigned char)*p); p++)
		;
	wlen = (size_t)(p - w);
	while (p < end && isspace((unsigned char)*p))
		p++;
	for (a = p; p < end && !isspace((unsigned char)*p) && *p != '#'; p++)
		;
	alen = (size_t)(p - a);
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (alen == 0 || (p < end && *p != '#'))
		return rf_fail(err, -EINVAL, "%s:%d: expected `RULE ARGUMENT` (one argument)", display,
			       lineno);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].word) == wlen && strncmp(kinds[i].word, w, wlen) == 0)
			return rule_push(rules, kinds[i].kind, a, alen,
					 rf_strdupf("%s:%d", display, lineno));
	return rf_fail(err, -EINVAL, "%s:%d: unknown rule '%.*s' (rules: symbols-in, symbol, dir, exclude, module)",
		       display, lineno, (int)wlen, w);
}

int rf_generic_rules_parse(struct rf_generic_rules *rules, const char *text, const char *display,
			   struct rf_err *err)
{
	int lineno = 0;

	while (*text) {
		size_t len = strcspn(text, "\n");
		int r = parse_line(rules, text, len, display, ++lineno, err);

		if (r < 0)
			return r == -ENOMEM ? rf_fail(err, r, "out of memory") : r;
		text += len + (text[len] == '\n');
	}
	return 0;
}

int rf_generic_rules_default(struct rf_generic_rules *rules, struct rf_err *err)
{
	return rf_generic_rules_parse(rules, rf_generic_conf, "generic.conf", err);
}

void rf_generic_rules_free(struct rf_generic_rules *rules)
{
	for (size_t i = 0; i < rules->n; i++) {
		free(rules->v[i].arg);
		free(rules->v[i].where);
	}
	free(rules->v);
	memset(rules, 0, sizeof(*rules));
}

/* path is dir itself or below it ("kernel/fs/ext4/ext4.ko" under "kernel/fs"). */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The first rule of `kind` that path is under, or -1. */
static long first_under(const struct rf_generic_rules *rules, enum rf_generic_kind kind,
			const char *path)
{
	for (size_t i = 0; i < rules->n; i++)
		if (rules->v[i].kind == kind && under(path, rules->v[i].arg))
			return (long)i;
	return -1;
}

/* A module taken by a dir rule, or to read: its path and the rule that took it (-1: none). */
struct cand {
	char *path; /* relative to the tree */
	long rule;
	bool read;  /* the symbol rules decide */
	bool unreadable; /* libkmod could not read its symbols */
};

struct scan {
	const struct rf_generic_rules *rules;
	const char *kmoddir;
	struct rf_requests *reqs;
	struct rf_strmap symbols; /* symbol -> rule index + 1 */
	struct cand *cands;
	size_t ncands, capcands;
	atomic_size_t next; /* the next candidate a worker takes */
};

static int add_request(struct scan *s, const char *path, const struct rf_generic_rule *rule)
{
	const char *base = strrchr(path, '/');
	char name[256], *origin;
	size_t len;
	int r;

	base = base ? base + 1 : path;
	len = strcspn(base, ".");
	if (len == 0 || len >= sizeof(name))
		return 0;
	memcpy(name, base, len);
	name[len] = '\0';
	(void)rf_kmod_normalize(name, name);
	if (rule->kind == RF_GEN_SYMBOL) {
		long in = first_under(s->rules, RF_GEN_SYMBOLS_IN, path);

		origin = rf_strdupf("generic: %s module importing %s (%s)",
				    in >= 0 ? s->rules->v[in].arg : "", rule->arg, rule->where);
	} else {
		origin = rf_strdupf("generic: %s (%s)", rule->arg, rule->where);
	}
	r = origin ? rf_requests_add(s->reqs, name, origin, true) : -ENOMEM;
	free(origin);
	return r;
}

static int push_cand(struct scan *s, const char *path, long rule)
{
	if (rf_grow(&s->cands, &s->capcands, s->ncands, sizeof(*s->cands), 1024) < 0)
		return -ENOMEM;
	s->cands[s->ncands].path = strdup(path);
	s->cands[s->ncands].rule = rule;
	s->cands[s->ncands].read = rule < 0;
	s->cands[s->ncands].unreadable = false;
	return s->cands[s->ncands++].path ? 0 : -ENOMEM;
}

/* One module of modules.dep: taken by a dir rule, or kept for the symbol read. Requests
 * are made after the read, in modules.dep order. */
static int classify(struct scan *s, const char *path)
{
	long dir;

	if (first_under(s->rules, RF_GEN_EXCLUDE, path) >= 0)
		return 0;
	dir = first_under(s->rules, RF_GEN_DIR, path);
	if (dir >= 0)
		return push_cand(s, path, dir);
	if (s->symbols.n && first_under(s->rules, RF_GEN_SYMBOLS_IN, path) >= 0)
		return push_cand(s, path, -1);
	return 0;
}

/* 0, or 1 when the tree does not exist (the closure reports that, with the fix). */
static int read_dep(struct scan *s, struct rf_err *err)
{
	char *file = rf_path_join(s->kmoddir, "modules.dep"), *text = NULL, *line, *nl;
	size_t dirlen = strlen(s->kmoddir);
	struct stat st;
	int r;

	if (!file)
		return rf_fail(err, -ENOMEM, "out of memory");
	/* libkmod opens the tree's indexes itself (blocking, unbounded): check them first. */
	r = rf_input_check_kmod_tree(s->kmoddir, err);
	if (r >= 0)
		r = rf_input_read(NULL, file, file, RF_INPUT_INDEX_MAX, RF_INPUT_OPTIONAL, &text, NULL, err);
	free(file);
	/* No tree at all: the closure says so, with the fix; nothing to select here. */
	if (r == -ENOENT && stat(s->kmoddir, &st) < 0)
		return 1;
	if (r == -ENOENT)
		return rf_fail(err, -ENOENT, "%s has no modules.dep: run depmod for that tree first", s->kmoddir);
	for (line = text; r >= 0 && line && *line; line = nl ? nl + 1 : line + strlen(line)) {
		char *path = line;

		nl = strchr(line, '\n');
		line[strcspn(line, ":\n")] = '\0';
		/* Old depmod wrote absolute paths: make them relative to the tree. */
		if (strncmp(path, s->kmoddir, dirlen) == 0 && path[dirlen] == '/')
			path += dirlen + 1;
		if (*path && classify(s, path) < 0)
			r = rf_fail(err, -ENOMEM, "out of memory");
	}
	free(text);
	return r;
}

/* The lowest-numbered symbol rule among mod's undefined symbols, or -1 (and *bad set when
 * the file cannot be read as a module). */
static long match_symbols(struct scan *s, struct kmod_ctx *ctx, const char *path, bool *bad)
{
	char *full = rf_path_join(s->kmoddir, path);
	struct kmod_module *mod = NULL;
	struct kmod_list *syms = NULL, *l;
	struct stat st;
	long best = -1;

	/* libkmod's open would block on a FIFO: only regular files are read. */
	*bad = full && (stat(full, &st) < 0 || !S_ISREG(st.st_mode) ||
			kmod_module_new_from_path(ctx, full, &mod) < 0 ||
			kmod_module_get_dependency_symbols(mod, &syms) < 0);
	if (full && !*bad) {
		kmod_list_foreach(l, syms) {
			const char *sym = kmod_module_dependency_symbol_get_symbol(l);
			uintptr_t at = sym ? (uintptr_t)rf_strmap_get(&s->symbols, sym) : 0;

			if (at && (best < 0 || (long)at - 1 < best))
				best = (long)at - 1;
		}
	}
	kmod_module_dependency_symbols_free_list(syms);
	kmod_module_unref(mod);
	free(full);
	return best;
}

/* libkmod keeps no global state, so each worker reads with its own context. Decompressing
 * .ko.xz/.ko.zst trees and a cold page cache make this the slow part; threads hide both. */
static void *worker(void *arg)
{
	static const char *const no_config[] = { NULL };
	struct scan *s = arg;
	struct kmod_ctx *ctx = kmod_new(s->kmoddir, no_config);
	size_t i;

	if (!ctx)
		return (void *)(intptr_t)-ENOMEM;
	while ((i = atomic_fetch_add(&s->next, 1)) < s->ncands)
		if (s->cands[i].read)
			s->cands[i].rule = match_symbols(s, ctx, s->cands[i].path, &s->cands[i].unreadable);
	kmod_unref(ctx);
	return NULL;
}

/* A module the symbol rules could not judge is not silently dropped: say which and why. */
static void warn_unreadable(const struct scan *s, const char *path)
{
	char *full = rf_path_join(s->kmoddir, path);
	struct rf_err e = { "" };

	if (full && rf_modfile_check(full, &e) < 0)
		rf_warn("generic: left out %s", e.msg);
	else
		rf_warn("generic: left out %s: libkmod cannot read its symbols", full ? full : path);
	free(full);
}

static int read_symbols(struct scan *s, struct rf_err *err)
{
	pthread_t tids[MAX_WORKERS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (size_t)cpus, started = 0;
	void *ret = NULL;
	int r = 0;

	if (n > s->ncands / 64 + 1)
		n = s->ncands / 64 + 1; /* a small tree is read faster than threads start */
	for (; started + 1 < n; started++)
		if (pthread_create(&tids[started], NULL, worker, s) != 0)
			break;
	ret = worker(s);
	if (ret)
		r = (int)(intptr_t)ret;
	for (size_t i = 0; i < started; i++) {
		pthread_join(tids[i], &ret);
		if (ret)
			r = (int)(intptr_t)ret;
	}
	for (size_t i = 0; r >= 0 && i < s->ncands; i++) {
		if (s->cands[i].unreadable)
			warn_unreadable(s, s->cands[i].path);
		if (s->cands[i].rule >= 0)
			r = add_request(s, s->cands[i].path, &s->rules->v[s->cands[i].rule]);
	}
	return r < 0 ? rf_fail(err, r, "reading module symbols in %s: %s", s->kmoddir, strerror(-r)) : 0;
}

/* `module` rules: requested when the tree has the name (a module, alias or builtin). */
static int add_named(struct scan *s, struct rf_err *err)
{
	static const char *const no_config[] = { NULL };
	struct kmod_ctx *ctx = kmod_new(s->kmoddir, no_config);
	int r = ctx ? kmod_load_resources(ctx) : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < s->rules->n; i++) {
		const struct rf_generic_rule *rule = &s->rules->v[i];
		struct kmod_list *list = NULL;
		char *origin;

		if (rule->kind != RF_GEN_MODULE || kmod_module_new_from_lookup(ctx, rule->arg, &list) < 0)
			continue;
		if (!list) {
			rf_debug("generic: %s (%s) is not in %s", rule->arg, rule->where, s->kmoddir);
			continue;
		}
		kmod_module_unref_list(list);
		origin = rf_strdupf("generic: listed (%s)", rule->where);
		r = origin ? rf_requests_add(s->reqs, rule->arg, origin, true) : -ENOMEM;
		free(origin);
	}
	kmod_unref(ctx);
	return r < 0 ? rf_fail(err, r, "looking up the generic module list in %s: %s", s->kmoddir,
			       strerror(-r))
		     : 0;
}

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->ncands; i++)
		free(s->cands[i].path);
	free(s->cands);
	rf_strmap_clear(&s->symbols);
}

int rf_generic_scan(const struct rf_generic_rules *rules, const char *kmoddir,
		    struct rf_requests *reqs, struct rf_err *err)
{
	struct scan s = { .rules = rules, .kmoddir = kmoddir, .reqs = reqs };
	double t0 = rf_now();
	size_t before = reqs->n, nread = 0;
	int r = 0;

	for (size_t i = rules->n; r >= 0 && i-- > 0;) /* the first rule naming a symbol wins */
		if (rules->v[i].kind == RF_GEN_SYMBOL)
			r = rf_strmap_put(&s.symbols, rules->v[i].arg, (void *)(uintptr_t)(i + 1));
	if (r < 0)
		return rf_fail(err, r, "out of memory");
	r = read_dep(&s, err); /* 1: no tree at all */
	if (r == 0)
		r = read_symbols(&s, err);
	if (r == 0)
		r = add_named(&s, err);
	for (size_t i = 0; i < s.ncands; i++)
		nread += s.cands[i].read;
	rf_info("generic: %zu requests (%zu modules read for symbols) in %.1f ms", reqs->n - before,
		nread, (rf_now() - t0) * 1000);
	scan_free(&s);
	return r < 0 ? r : 0;
}
