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
		r = rf_hostonly_scan(o->host_root ? o->host_root : "/", s->kmoddir, &s->reqs,
				     &s->warnings, err);
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
	return r;
}

void rf_select_free(struct rf_select *s)
{
	rf_conf_free(&s->conf);
	rf_requests_clear(&s->reqs);
	rf_requests_clear(&s->omit);
	rf_strv_clear(&s->warnings);
	free(s->sysroot);
	free(s->kver);
	free(s->kmoddir);
	memset(s, 0, sizeof(*s));
}
