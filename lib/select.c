// SPDX-License-Identifier: MIT
/* From options and configuration to the closure's input; see select.h. */
#include "select.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "generic.h"
#include "hostonly.h"
#include "modules_load.h"

static int set_paths(struct rf_select *s, const struct rf_select_opts *o, struct rf_err *err)
{
	struct utsname u;

	s->sysroot = strdup(o->sysroot ? o->sysroot : "/");
	if (o->kver) {
		s->kver = strdup(o->kver);
	} else {
		if (uname(&u) < 0)
			return rf_fail(err, -errno, "cannot tell the running kernel: %s", strerror(errno));
		s->kver = strdup(u.release);
	}
	if (!s->sysroot || !s->kver)
		return rf_fail(err, -ENOMEM, "out of memory");
	if (!s->kver[0] || strchr(s->kver, '/') || strcmp(s->kver, "..") == 0 || strcmp(s->kver, ".") == 0)
		return rf_fail(err, -EINVAL, "invalid kernel version '%s'", s->kver);
	if (o->kmoddir)
		s->kmoddir = strdup(o->kmoddir);
	else
		s->kmoddir = rf_strdupf("%s/lib/modules/%s",
					strcmp(s->sysroot, "/") == 0 ? "" : s->sysroot, s->kver);
	if (!s->kmoddir)
		return rf_fail(err, -ENOMEM, "out of memory");
	s->sel = (struct rf_selection){ .sysroot = s->sysroot, .kver = s->kver,
					.kmoddir = s->kmoddir, .omit = &s->omit };
	return 0;
}

static int add_words(struct rf_requests *r, const struct rf_strv *words, const char *origin)
{
	int ret = 0;

	for (size_t i = 0; words && i < words->n && ret >= 0; i++)
		ret = rf_requests_add(r, words->v[i], origin, false);
	return ret;
}

static int add_conf(struct rf_requests *r, const struct rf_conf_list *l, const char *key)
{
	int ret = 0;

	for (size_t i = 0; i < l->n && ret >= 0; i++) {
		char *origin = rf_strdupf("%s %s", key, l->v[i].origin);

		ret = origin ? rf_requests_add(r, l->v[i].word, origin, false) : -ENOMEM;
		free(origin);
	}
	return ret;
}

/* The automatic part of the selection: the generic rules or the hostonly probe. Skipped when
 * the caller named the modules (--drivers, or the NAMEs of `deps`). */
static int scan(struct rf_select *s, const struct rf_select_opts *o, struct rf_err *err)
{
	struct rf_generic_rules rules = { 0 };
	bool hostonly = o->hostonly >= 0 ? o->hostonly : strcmp(s->conf.hostonly, "yes") == 0;
	size_t first = s->reqs.n;
	int r;

	if (o->drivers_only || (o->names && o->names->n))
		return 0;
	if (hostonly) {
		s->hostonly = true;
		r = rf_hostonly_scan(o->host_root ? o->host_root : "/", s->kmoddir, &s->reqs,
				     &s->warnings, &s->stack, err);
	} else {
		r = rf_generic_rules_default(&rules, err);
		if (r >= 0)
			r = rf_generic_scan(&rules, s->kmoddir, &s->reqs, err);
		rf_generic_rules_free(&rules);
	}
	/* What a scan found is loaded on demand: the init's coldplug loads it when a device
	 * that is there matches one of its aliases (or the root's filesystem needs it). */
	for (size_t i = first; i < s->reqs.n; i++)
		s->reqs.v[i].early = false;
	return r;
}

/* The CLI's bundle names (origin "--add-bundles") then ramforge.conf's ("add_bundles FILE:LINE"). */
static int bundle_list(struct rf_conf_list *out, const struct rf_strv *cli, const char *opt,
		       const struct rf_conf_list *conf, const char *key)
{
	int r = 0;

	for (size_t i = 0; cli && r >= 0 && i < cli->n; i++)
		r = rf_conf_list_push(out, cli->v[i], strlen(cli->v[i]), opt);
	for (size_t i = 0; r >= 0 && i < conf->n; i++) {
		char *origin = rf_strdupf("%s %s", key, conf->v[i].origin);

		r = origin ? rf_conf_list_push(out, conf->v[i].word, strlen(conf->v[i].word), origin) : -ENOMEM;
		free(origin);
	}
	return r;
}

/* Which bundles: those named, plus the generic or hostonly choice when there was a scan. */
static int choose_bundles(struct rf_select *s, const struct rf_select_opts *o, struct rf_err *err)
{
	struct rf_conf_list add = { 0 }, omit = { 0 };
	struct rf_bundle_choice c = { .sysroot = s->sysroot, .add = &add, .omit = &omit,
				      .stack = &s->stack };
	int r = rf_bundles_load(&s->bundles, err);

	if (o->drivers_only || (o->names && o->names->n))
		c.mode = RF_BUNDLES_NAMED;
	else
		c.mode = s->hostonly ? RF_BUNDLES_HOSTONLY : RF_BUNDLES_GENERIC;
	if (r >= 0 && (bundle_list(&add, o->add_bundles, "--add-bundles", &s->conf.add_bundles, "add_bundles") < 0 ||
		       bundle_list(&omit, o->omit_bundles, "--omit-bundles", &s->conf.omit_bundles, "omit_bundles") < 0))
		r = rf_fail(err, -ENOMEM, "out of memory");
	if (r >= 0)
		r = rf_bundles_choose(&s->bundles, &c, err);
	if (r >= 0 && rf_bundles_requests(&s->bundles, &s->reqs) < 0)
		r = rf_fail(err, -ENOMEM, "out of memory");
	rf_conf_list_clear(&add);
	rf_conf_list_clear(&omit);
	return r;
}

int rf_select_init(struct rf_select *s, const struct rf_select_opts *o, struct rf_err *err)
{
	int r = set_paths(s, o, err);

	if (r < 0)
		return r;
	r = rf_conf_load(&s->conf, s->sysroot, err);
	if (r < 0)
		return r;
	r = add_words(&s->reqs, o->add, "requested");
	if (r >= 0)
		r = add_words(&s->reqs, o->names, "requested");
	if (r >= 0)
		r = add_conf(&s->reqs, &s->conf.add_drivers, "add_drivers");
	if (r >= 0)
		r = add_conf(&s->reqs, &s->conf.force_drivers, "force_drivers");
	if (r >= 0)
		r = add_words(&s->omit, o->omit, "-o on the command line");
	if (r >= 0)
		r = add_conf(&s->omit, &s->conf.omit_drivers, "omit_drivers");
	if (r < 0)
		return rf_fail(err, r, "out of memory");
	if (!o->no_modules_load)
		r = rf_modules_load_read(s->sysroot, &s->reqs, err);
	if (r >= 0)
		r = scan(s, o, err);
	if (r >= 0)
		r = choose_bundles(s, o, err);
	return r;
}

void rf_select_free(struct rf_select *s)
{
	rf_bundles_free(&s->bundles);
	rf_strv_clear(&s->stack);
	rf_conf_free(&s->conf);
	rf_requests_clear(&s->reqs);
	rf_requests_clear(&s->omit);
	rf_strv_clear(&s->warnings);
	free(s->sysroot);
	free(s->kver);
	free(s->kmoddir);
	memset(s, 0, sizeof(*s));
}
