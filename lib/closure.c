// SPDX-License-Identifier: MIT
/*
 * The module closure, walked the way libkmod's probe does it (for each hard dependency its
 * pre-softdeps, the dependency, its post-softdeps; then the same for the module), so the
 * order matches `modprobe --show-depends`. On top: ramforge's deny rules and the record of
 * why each module is in or out.
 */
#include "closure.h"
#include "modname.h"

#include <errno.h>
#include <libkmod.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input.h"
#include "log.h"
#include "modfile.h"
#include "modprobe_conf.h"
#include "strmap.h"

/* What the walk knows about one module name. */
struct node {
	unsigned visited; /* walk generation that visited it (kmod resets per request) */
	bool inprogress;  /* its softdeps are being expanded: reaching it again is a loop */
	bool loop_reported;
	const char *deny;  /* owned by the walk: why it can never load, or NULL */
	bool deny_checked;
	bool softdeps_known; /* pre_l/post_l below are filled */
	/* libkmod recomputes softdeps (fnmatch over every softdep rule) and copies dependency
	 * lists on each call; the walk asks for the same modules once per request, so keep them. */
	struct kmod_list *pre_l, *post_l, *deps_l;
	bool deps_known;
	const char *broken; /* owned by the walk: why its file cannot load, or NULL */
	bool broken_checked;
	struct rf_modinfo info; /* read with the check; moved into the set when the module is added */
};

/* Why a module is in: `text` alone, or "`text` `of`" ("dependency of ext4"), formatted only
 * when the module is actually added. */
struct why {
	const char *text;
	const char *of;
};

struct walk {
	const struct rf_selection *sel;
	struct kmod_ctx *ctx;
	struct rf_modprobe_conf conf;
	struct rf_strmap nodes;    /* name -> struct node */
	struct rf_strmap builtins; /* names listed in modules.builtin */
	bool builtins_loaded;
	struct rf_strmap omitted;  /* name -> origin */
	struct rf_strmap in_set;   /* name -> index + 1 */
	struct rf_strmap excluded; /* name -> 1 */
	struct rf_strmap moddep;   /* modules.dep: module path -> its dependency paths */
	bool moddep_loaded;
	struct rf_strv stack;      /* modules whose softdeps are being expanded */
	struct rf_strv owned;      /* strings the walk allocated for node->deny */
	struct rf_modset *set;
	struct rf_err *err;
	unsigned gen;
	const struct rf_request *req; /* the request being walked */
	bool early; /* the request being walked is early */
	const char *dirname; /* the tree as libkmod resolved it (absolute) */
	size_t dirname_len;
};

static int probe(struct walk *w, struct kmod_module *mod, struct why why);

static struct node *node_of(struct walk *w, const char *name)
{
	struct node *n = rf_strmap_get(&w->nodes, name);

	if (n)
		return n;
	n = calloc(1, sizeof(*n));
	if (n && rf_strmap_put(&w->nodes, name, n) < 0)
		rf_freep(&n);
	return n;
}


/* Record an exclusion once, and warn about it. */
static int exclude(struct walk *w, const char *name, const char *why)
{
	struct rf_modset *set = w->set;
	struct rf_exclusion *e;

	if (rf_strmap_get(&w->excluded, name))
		return 0;
	if (rf_strmap_put(&w->excluded, name, (void *)1) < 0)
		return -ENOMEM;
	if (rf_grow(&set->excl, &set->exclcap, set->nexcl, sizeof(*set->excl), 8) < 0)
		return -ENOMEM;
	e = &set->excl[set->nexcl++];
	e->name = strdup(name);
	e->why = strdup(why);
	if (!e->name || !e->why)
		return -ENOMEM;
	return rf_strv_pushf(&w->set->warnings, "%s left out: %s", name, why);
}

/* The words after a no-op command: plain arguments or a shell comment, nothing the shell
 * would run as a second command. */
static bool only_plain_words(const char *rest)
{
	rest += strspn(rest, " \t\r\n");
	if (*rest == '#' || (*rest == ';' && rest[1 + strspn(rest + 1, " \t\r\n")] == '\0'))
		return true;
	return strpbrk(rest, ";&|<>()$`\\\"'\n") == NULL;
}

/* kmod hands over the command as written after the module name, with the blanks that
 * separated them and a DOS line's CR still on it; the shell ignores both. */
static bool is_noop_command(const char *cmd)
{
	static const char *const noops[] = { "/bin/false", "/bin/true", "/usr/bin/false",
					     "/usr/bin/true", "false", "true" };
	size_t len;

	cmd += strspn(cmd, " \t\r\n");
	len = strcspn(cmd, " \t\r\n;");
	for (size_t i = 0; i < sizeof(noops) / sizeof(noops[0]); i++)
		if (strlen(noops[i]) == len && strncmp(cmd, noops[i], len) == 0)
			return only_plain_words(cmd + len);
	return false;
}

static bool has_softdeps(struct kmod_module *mod)
{
	struct kmod_list *pre = NULL, *post = NULL;
	bool any;

	kmod_module_get_softdeps(mod, &pre, &post);
	any = pre || post;
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return any;
}

/* Why this module itself can never load (omit_drivers, install /bin/false), or NULL. */
static const char *own_deny(struct walk *w, struct kmod_module *mod, struct node *n)
{
	const char *name = kmod_module_get_name(mod), *origin, *cmd;
	char *why = NULL;

	if (n->deny_checked)
		return n->deny;
	n->deny_checked = true;
	origin = rf_strmap_get(&w->omitted, name);
	cmd = kmod_module_get_install_commands(mod);
	if (origin) {
		why = rf_strdupf("omitted (%s)", origin);
	} else if (cmd && is_noop_command(cmd)) {
		const struct rf_modprobe_rule *rule = rf_modprobe_find_install(&w->conf, name, NULL);

		why = rf_strdupf("%s: install %s %s%s", rule ? rule->where : "modprobe configuration",
				 rule ? rule->pattern : name, cmd,
				 has_softdeps(mod) ? " (honoured although modprobe ignores install "
						     "commands of modules with softdeps)"
						   : "");
	} else if (cmd) {
		const struct rf_modprobe_rule *rule = rf_modprobe_find_install(&w->conf, name, NULL);

		rf_strv_pushf(&w->set->warnings, "%s%s%s: install command is not run at boot; %s is loaded directly",
		     rule ? rule->where : "", rule ? ": " : "", cmd, name);
	}
	if (why && rf_strv_push_owned(&w->owned, why) < 0)
		why = NULL;
	n->deny = why;
	return n->deny;
}

typedef const char *(*reason_fn)(struct walk *w, struct kmod_module *mod, struct node *n);

/* The first hard dependency in deps that own() gives a reason for: the reason, and the
 * dependency's name in *dep (borrowed from libkmod, valid while deps is). NULL if none. */
static const char *first_dep(struct walk *w, struct kmod_list *deps, reason_fn own,
			     const char **dep)
{
	struct kmod_list *l;

	kmod_list_foreach(l, deps) {
		struct kmod_module *d = kmod_module_get_module(l);
		struct node *dn = node_of(w, kmod_module_get_name(d));
		const char *why = dn ? own(w, d, dn) : NULL;

		*dep = kmod_module_get_name(d);
		kmod_module_unref(d); /* deps still holds it */
		if (why)
			return why;
	}
	return NULL;
}

/* Why mod cannot be in the image: its own rule, or a hard dependency's. NULL if it can.
 * *buf receives an allocated message for the dependency case (caller frees). */
static const char *blocked(struct walk *w, struct kmod_module *mod, struct node *n,
			   struct kmod_list *deps, char **buf)
{
	const char *why = own_deny(w, mod, n), *dep;

	if (why || !(why = first_dep(w, deps, own_deny, &dep)))
		return why;
	*buf = rf_strdupf("needs %s, which is left out: %s", dep, why);
	if (*buf && exclude(w, dep, why) < 0)
		rf_freep(buf);
	return *buf;
}

static int load_moddep(struct walk *w);

static struct kmod_list *deps_of(struct node *n, struct kmod_module *mod)
{
	if (!n->deps_known) {
		n->deps_l = kmod_module_get_dependencies(mod);
		n->deps_known = true;
	}
	return n->deps_l;
}

/* libkmod drops a module's whole dependency list when one file of it is gone; modules.dep
 * still names them. The first dependency whose file is missing, as a reason, or NULL. */
static char *missing_dep(struct walk *w, struct kmod_module *mod, struct node *n, const char *rel)
{
	const char *line;
	char *copy, *save, *dep, *why = NULL;

	if (deps_of(n, mod) || (!w->moddep_loaded && load_moddep(w) < 0))
		return NULL;
	line = rf_strmap_get(&w->moddep, rel);
	copy = line && *line ? strdup(line) : NULL;
	for (dep = copy ? strtok_r(copy, " ", &save) : NULL; dep && !why; dep = strtok_r(NULL, " ", &save)) {
		struct rf_err e = { "" };
		char *full = rf_path_join(w->dirname, dep), name[256];
		const char *base = strrchr(dep, '/') ? strrchr(dep, '/') + 1 : dep;

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
		(void)rf_kmod_normalize(name, name);
		if (full && rf_modfile_check(full, &e) == -ENOENT)
			why = rf_strdupf("needs %s: %s", name, e.msg);
		free(full);
	}
	free(copy);
	return why;
}

/* Why mod's own file cannot load (missing, empty, corrupt), or NULL; builtins have no file. */
static const char *own_broken(struct walk *w, struct kmod_module *mod, struct node *n)
{
	const char *path = kmod_module_get_path(mod);
	struct rf_err e = { "" };
	char *why = NULL;

	if (n->broken_checked)
		return n->broken;
	n->broken_checked = true;
	if (path && rf_modfile_read(path, &n->info, &e) < 0)
		why = strdup(e.msg);
	else if (path && strncmp(path, w->dirname, w->dirname_len) == 0 && path[w->dirname_len] == '/')
		why = missing_dep(w, mod, n, path + w->dirname_len + 1);
	if (why && rf_strv_push_owned(&w->owned, why) < 0)
		why = NULL;
	n->broken = why;
	return why;
}

/* Why mod cannot load because of a file: its own, or a hard dependency's. NULL if none.
 * *buf receives an allocated message for the dependency case (caller frees). */
static const char *unloadable(struct walk *w, struct kmod_module *mod, struct node *n,
			      struct kmod_list *deps, char **buf)
{
	const char *why = own_broken(w, mod, n), *dep;

	if (why || !(why = first_dep(w, deps, own_broken, &dep)))
		return why;
	*buf = rf_strdupf("needs %s: %s", dep, why);
	return *buf;
}

static int load_builtins(struct walk *w);

/* Built in: listed in the tree's modules.builtin (read on first need: most walks never ask). */
static bool is_builtin(struct walk *w, const char *name)
{
	if (!w->builtins_loaded) {
		w->builtins_loaded = true;
		if (load_builtins(w) < 0)
			return false;
	}
	return rf_strmap_get(&w->builtins, name) != NULL;
}

static int add_module(struct walk *w, struct kmod_module *mod, struct why why)
{
	const char *name = kmod_module_get_name(mod), *path = kmod_module_get_path(mod);
	struct rf_modset *set = w->set;
	uintptr_t at = (uintptr_t)rf_strmap_get(&w->in_set, name);
	struct rf_module *m;

	/* The first request that reaches a module names why it is in; it is early when any
	 * early request reaches it (each request walks its whole closure, see w->gen). */
	if (at) {
		set->mods[at - 1].early |= w->early;
		return 0;
	}
	if (!path && !is_builtin(w, name))
		return rf_strv_pushf(&w->set->warnings, "%s has no module file in %s; skipped", name, w->sel->kmoddir);
	if (rf_grow(&set->mods, &set->cap, set->n, sizeof(*set->mods), 64) < 0)
		return -ENOMEM;
	m = &set->mods[set->n];
	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	m->why = why.of ? rf_strdupf("%s %s", why.text, why.of) : strdup(why.text);
	m->builtin = !path;
	m->early = w->early;
	if (path)
		m->path = strdup(strncmp(path, w->dirname, w->dirname_len) == 0 &&
					 path[w->dirname_len] == '/'
				 ? path + w->dirname_len + 1
				 : path);
	m->options = rf_modprobe_options(&w->conf, name);
	if (!m->name || !m->why || (path && !m->path))
		return -ENOMEM;
	if (path) { /* the module's file was read when it was checked: keep what that found */
		struct node *n = node_of(w, name);

		if (!n)
			return -ENOMEM;
		if (!n->broken_checked)
			(void)own_broken(w, mod, n);
		m->info = n->info;
		memset(&n->info, 0, sizeof(n->info));
	}
	set->n++;
	return rf_strmap_put(&w->in_set, name, (void *)(uintptr_t)set->n);
}

static int report_loop(struct walk *w, const char *name, struct node *n)
{
	char line[2048] = "";
	size_t start = w->stack.n;

	if (n->loop_reported)
		return 0;
	n->loop_reported = true;
	while (start > 0 && strcmp(w->stack.v[start - 1], name) != 0)
		start--;
	for (size_t i = start ? start - 1 : 0; i < w->stack.n; i++) {
		strncat(line, w->stack.v[i], sizeof(line) - strlen(line) - 1);
		strncat(line, " -> ", sizeof(line) - strlen(line) - 1);
	}
	strncat(line, name, sizeof(line) - strlen(line) - 1);
	return rf_strv_pushf(&w->set->warnings, "softdep loop: %s; each module is included once", line);
}

static int probe_list(struct walk *w, struct kmod_list *list, const char *kind, const char *of)
{
	struct why why = { kind, of };
	struct kmod_list *l;
	int r = 0;

	kmod_list_foreach(l, list) {
		if (r < 0)
			break;
		r = probe(w, kmod_module_get_module(l), why);
	}
	return r;
}

/* kmod's __kmod_module_fill_softdep: pre-softdeps, the module, post-softdeps. */
static int fill_softdep(struct walk *w, struct kmod_module *mod, struct why why)
{
	const char *name = kmod_module_get_name(mod);
	struct kmod_list *pre, *post;
	struct node *n = node_of(w, name);
	int r = 0;

	if (!n)
		return -ENOMEM;
	if (!n->softdeps_known) {
		r = kmod_module_get_softdeps(mod, &n->pre_l, &n->post_l);
		n->softdeps_known = true;
	}
	pre = n->pre_l;
	post = n->post_l;
	if (r >= 0)
		r = rf_strv_push(&w->stack, name);
	if (r < 0)
		return r;
	n->inprogress = true;
	r = probe_list(w, pre, "softdep pre of", name);
	if (r >= 0)
		r = add_module(w, mod, why);
	if (r >= 0)
		r = probe_list(w, post, "softdep post of", name);
	n->inprogress = false;
	free(w->stack.v[--w->stack.n]);
	w->stack.v[w->stack.n] = NULL;
	return r;
}

/* kmod's __kmod_module_get_probe_list with ramforge's deny rules. Takes a reference to mod. */
static int probe(struct walk *w, struct kmod_module *mod, struct why why)
{
	const char *name = kmod_module_get_name(mod), *deny;
	struct node *n = node_of(w, name);
	struct why depwhy = { "dependency of", name };
	struct kmod_list *deps = NULL, *l;
	char *buf = NULL;
	int r = 0;

	if (!n) {
		r = -ENOMEM;
	} else if (n->inprogress) {
		r = report_loop(w, name, n);
	} else if (n->visited != w->gen) {
		n->visited = w->gen;
		deps = deps_of(n, mod);
		deny = blocked(w, mod, n, deps, &buf);
		if (deny) {
			r = exclude(w, name, deny);
			goto out;
		}
		deny = unloadable(w, mod, n, deps, &buf);
		if (deny && !w->req->automatic) {
			r = rf_fail(w->err, -ENOEXEC, "cannot include %s (%s): %s", name,
				    w->req->origin, deny);
			goto out;
		}
		if (deny) {
			r = exclude(w, name, deny);
			goto out;
		}
		kmod_list_foreach(l, deps) {
			if (r < 0)
				break;
			struct kmod_module *d = kmod_module_get_module(l);
			r = fill_softdep(w, d, depwhy);
			kmod_module_unref(d);
		}
		if (r >= 0)
			r = fill_softdep(w, mod, why);
	}
out:
	free(buf);
	kmod_module_unref(mod);
	return r;
}

static bool is_blacklisted(struct kmod_list *filtered, struct kmod_module *mod)
{
	struct kmod_list *l;

	kmod_list_foreach(l, filtered) {
		struct kmod_module *m = kmod_module_get_module(l);
		bool same = m == mod;

		kmod_module_unref(m);
		if (same)
			return false;
	}
	return true;
}

static int skip_blacklisted(struct walk *w, const struct rf_request *req, const char *name,
			    bool alias)
{
	const struct rf_modprobe_rule *rule = rf_modprobe_find_blacklist(&w->conf, name);
	char *why = rf_strdupf("%s: blacklist %s (asked for %s%s%s, %s)",
			       rule ? rule->where : "kernel command line", name,
			       alias ? "as alias " : "by name", alias ? req->name : "",
			       alias ? "" : " in an automatic request", req->origin);
	int r = why ? exclude(w, name, why) : -ENOMEM;

	free(why);
	return r;
}

/* One request: look the name up (module, alias, builtin), apply the blacklist where modprobe
 * applies it, and walk each match. */
static int resolve_request(struct walk *w, const struct rf_request *req)
{
	struct kmod_list *list = NULL, *filtered = NULL, *l;
	char norm[512], *why = NULL;
	struct rf_quoted q;
	int r;

	if (!rf_modname_valid(req->name) || strlen(req->name) >= sizeof(norm))
		return rf_fail(w->err, -EINVAL, "invalid module name '%s' (%s): not a module name or alias",
			       rf_quote_prefix(&q, req->name), req->origin);
	(void)rf_kmod_normalize(norm, req->name);
	r = kmod_module_new_from_lookup(w->ctx, req->name, &list);
	if (r < 0)
		return rf_fail(w->err, r, "cannot look up '%s' (%s): %s", rf_quote_prefix(&q, req->name),
			       req->origin, strerror(-r));
	if (!list) {
		if (req->optional)
			return 0;
		if (!req->automatic)
			return rf_fail(w->err, -ENOENT, "module '%s' (%s) not found in %s",
				       rf_quote_prefix(&q, req->name), req->origin, w->sel->kmoddir);
		return rf_strv_pushf(&w->set->warnings, "module '%s' (%s) not found in %s; skipped",
				     rf_quote_prefix(&q, req->name), req->origin, w->sel->kmoddir);
	}
	r = kmod_module_apply_filter(w->ctx, KMOD_FILTER_BLACKLIST, list, &filtered);
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);
		bool alias = strcmp(name, norm) != 0;

		if (r >= 0 && (alias || req->automatic) &&
		    (is_blacklisted(filtered, mod) || rf_modprobe_find_blacklist(&w->conf, name))) {
			r = skip_blacklisted(w, req, name, alias);
			kmod_module_unref(mod);
			continue;
		}
		free(why);
		why = alias ? (strcmp(req->origin, "requested") == 0
				       ? rf_strdupf("alias %s", req->name)
				       : rf_strdupf("alias %s (%s)", req->name, req->origin))
			    : strdup(req->origin);
		if (r >= 0)
			r = why ? probe(w, mod, (struct why){ why, NULL }) : -ENOMEM;
		else
			kmod_module_unref(mod);
	}
	if (r < 0 && !w->err->msg[0])
		rf_fail(w->err, r, "resolving '%s' (%s): %s", rf_quote_prefix(&q, req->name),
			req->origin, strerror(-r));
	free(why);
	kmod_module_unref_list(filtered);
	kmod_module_unref_list(list);
	return r;
}

static bool file_exists(const char *dir, const char *name)
{
	char *p = rf_path_join(dir, name);
	struct stat st;
	bool ok = p && stat(p, &st) == 0;

	free(p);
	return ok;
}

static int check_tree(const struct rf_selection *sel, struct rf_err *err)
{
	struct stat st;
	int r;

	if (stat(sel->kmoddir, &st) < 0 || !S_ISDIR(st.st_mode))
		return rf_fail(err, -ENOENT, "kernel %s: no module tree at %s%s", sel->kver,
			       sel->kmoddir, errno == ENOENT ? "" : " (not a directory)");
	/* libkmod opens these itself, with a blocking open and no size limit. */
	r = rf_input_check_kmod_tree(sel->kmoddir, err);
	if (r < 0)
		return r;
	if (!file_exists(sel->kmoddir, "modules.dep.bin") && !file_exists(sel->kmoddir, "modules.dep"))
		return rf_fail(err, -ENOENT,
			       "%s has no modules.dep: run `depmod -b %s %s` (or depmod for that tree) first",
			       sel->kmoddir, sel->sysroot, sel->kver);
	return 0;
}

/* modules.builtin names: a module found there is satisfied without a file. */
static int load_builtins(struct walk *w)
{
	char *path = rf_path_join(w->sel->kmoddir, "modules.builtin"), *text = NULL, *line, *nl;
	int r = path ? rf_input_read(NULL, path, path, RF_INPUT_INDEX_MAX, RF_INPUT_OPTIONAL, &text,
				     NULL, w->err)
		     : rf_fail(w->err, -ENOMEM, "out of memory");

	w->builtins_loaded = true;
	free(path);
	if (r == -ENOENT)
		return 0; /* an old tree without it: lookups still work */
	for (line = text; r >= 0 && line && *line; line = nl ? nl + 1 : line + strlen(line)) {
		char *base, *dot;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		dot = strstr(base, ".ko");
		if (dot)
			*dot = '\0';
		(void)rf_kmod_normalize(base, base);
		r = rf_strmap_put(&w->builtins, base, (void *)1);
		if (r < 0)
			rf_fail(w->err, r, "out of memory");
	}
	free(text);
	return r;
}

/* modules.dep (the text depmod writes beside the .bin): path -> dependency paths. Without it
 * a missing dependency file cannot be told apart from none; libkmod reads only the .bin. */
static int load_moddep(struct walk *w)
{
	char *path = rf_path_join(w->sel->kmoddir, "modules.dep"), *line = NULL;
	FILE *f = path ? fopen(path, "re") : NULL;
	size_t cap = 0;
	int r = 0;

	w->moddep_loaded = true;
	free(path);
	if (!f)
		return 0;
	while (r >= 0 && getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *deps;

		if (!colon)
			continue;
		*colon = '\0';
		deps = colon + 1 + strspn(colon + 1, " ");
		deps[strcspn(deps, "\n")] = '\0';
		if (rf_strmap_get(&w->moddep, line))
			continue;
		deps = strdup(deps);
		r = deps ? rf_strmap_put(&w->moddep, line, deps) : -ENOMEM;
		if (r < 0)
			free(deps);
	}
	free(line);
	fclose(f);
	return r;
}

static int load_omits(struct walk *w)
{
	char norm[512];
	int r = 0;

	for (size_t i = 0; w->sel->omit && i < w->sel->omit->n && r >= 0; i++) {
		const struct rf_request *o = &w->sel->omit->v[i];

		snprintf(norm, sizeof(norm), "%s", o->name);
		(void)rf_kmod_normalize(norm, norm);
		r = rf_strmap_put(&w->omitted, norm, o->origin);
	}
	return r;
}

static int index_one(struct walk *w, const char *name, size_t **out, size_t *n)
{
	uintptr_t at = (uintptr_t)rf_strmap_get(&w->in_set, name);
	size_t *v;

	if (!at)
		return 0;
	v = realloc(*out, (*n + 1) * sizeof(**out));
	if (!v)
		return -ENOMEM;
	*out = v;
	(*out)[(*n)++] = at - 1;
	return 0;
}

static int index_list(struct walk *w, struct kmod_list *list, size_t **out, size_t *n)
{
	struct kmod_list *l;
	int r = 0;

	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		if (r >= 0)
			r = index_one(w, kmod_module_get_name(m), out, n);
		kmod_module_unref(m);
	}
	return r;
}

/* Fill each module's deps/pre/post as indices into the set. */
static int link_indices(struct walk *w)
{
	int r = 0;

	for (size_t i = 0; i < w->set->n && r >= 0; i++) {
		struct rf_module *m = &w->set->mods[i];
		struct node *n = rf_strmap_get(&w->nodes, m->name);
		struct kmod_module *mod = NULL;
		struct kmod_list *deps;

		r = kmod_module_new_from_name(w->ctx, m->name, &mod);
		if (r < 0)
			break;
		deps = kmod_module_get_dependencies(mod);
		r = index_list(w, deps, &m->deps, &m->ndeps);
		if (r >= 0 && n)
			r = index_list(w, n->pre_l, &m->pre, &m->npre);
		if (r >= 0 && n)
			r = index_list(w, n->post_l, &m->post, &m->npost);
		kmod_module_unref_list(deps);
		kmod_module_unref(mod);
	}
	return r;
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->nodes.cap; i++) {
		struct node *n = w->nodes.keys && w->nodes.keys[i] ? w->nodes.vals[i] : NULL;

		if (!n)
			continue;
		kmod_module_unref_list(n->pre_l);
		kmod_module_unref_list(n->post_l);
		kmod_module_unref_list(n->deps_l);
		rf_modinfo_free(&n->info);
		free(n);
	}
	rf_strmap_clear(&w->nodes);
	rf_strmap_clear(&w->builtins);
	rf_strmap_clear(&w->omitted);
	rf_strmap_clear(&w->in_set);
	rf_strmap_clear(&w->excluded);
	for (size_t i = 0; i < w->moddep.cap; i++)
		if (w->moddep.keys && w->moddep.keys[i])
			free(w->moddep.vals[i]);
	rf_strmap_clear(&w->moddep);
	rf_strv_clear(&w->stack);
	rf_strv_clear(&w->owned);
	rf_modprobe_conf_free(&w->conf);
	kmod_unref(w->ctx);
}

static int walk_init(struct walk *w, struct rf_err *err)
{
	const struct rf_selection *sel = w->sel;
	int r = check_tree(sel, err);

	if (r < 0)
		return r;
	r = rf_modprobe_conf_load(&w->conf, sel->sysroot, err);
	if (r < 0)
		return r;
	r = rf_modprobe_conf_kmod_new(&w->conf, sel->kmoddir, &w->ctx, err);
	if (r < 0)
		return r;
	rf_log_attach_kmod(w->ctx);
	w->dirname = kmod_get_dirname(w->ctx);
	w->dirname_len = strlen(w->dirname);
	while (w->dirname_len > 1 && w->dirname[w->dirname_len - 1] == '/')
		w->dirname_len--;
	r = kmod_load_resources(w->ctx);
	if (r < 0)
		return rf_fail(err, r, "cannot load the indexes of %s: %s (run depmod for that tree)",
			       sel->kmoddir, strerror(-r));
	/* Read now, not on first need, so that a read error fails the walk. */
	r = load_builtins(w);
	if (r < 0)
		return r;
	r = load_omits(w);
	for (size_t i = 0; r >= 0 && i < w->conf.warnings.n; i++)
		r = rf_strv_push(&w->set->warnings, w->conf.warnings.v[i]);
	return r < 0 ? rf_fail(err, r, "out of memory") : 0;
}

int rf_closure_resolve(const struct rf_selection *sel, const struct rf_requests *reqs,
		       struct rf_modset *set, struct rf_err *err)
{
	struct walk w = { .sel = sel, .set = set, .err = err };
	int r;

	set->kver = strdup(sel->kver);
	set->kmoddir = strdup(sel->kmoddir);
	r = set->kver && set->kmoddir ? walk_init(&w, err) : -ENOMEM;
	for (size_t i = 0; r >= 0 && i < reqs->n; i++) {
		w.gen++;
		w.early = reqs->v[i].early;
		w.req = &reqs->v[i];
		r = resolve_request(&w, &reqs->v[i]);
	}
	if (r >= 0 && sel->graph)
		r = link_indices(&w);
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "module closure: %s", strerror(-r));
	walk_free(&w);
	return r;
}

long rf_modset_find(const struct rf_modset *set, const char *name)
{
	char norm[512];

	snprintf(norm, sizeof(norm), "%s", name);
	(void)rf_kmod_normalize(norm, norm);
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->mods[i].name, norm) == 0)
			return (long)i;
	return -1;
}

void rf_modset_free(struct rf_modset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct rf_module *m = &set->mods[i];

		free(m->name);
		free(m->path);
		free(m->stored);
		free(m->why);
		free(m->options);
		free(m->deps);
		free(m->pre);
		free(m->post);
		rf_modinfo_free(&m->info);
	}
	for (size_t i = 0; i < set->nexcl; i++) {
		free(set->excl[i].name);
		free(set->excl[i].why);
	}
	free(set->mods);
	free(set->excl);
	free(set->kver);
	free(set->kmoddir);
	rf_strv_clear(&set->warnings);
	memset(set, 0, sizeof(*set));
}
