// SPDX-License-Identifier: MIT
/*
 * Module loading with finit_module/init_module. No libkmod here: the builder already resolved
 * every name, order and option into the plan, so the init needs only the two system calls.
 */
#include "modload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "decompress.h"
#include "log.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* What each module waits for: hard deps, pre softdeps, and modules that name it as a post
 * softdep — only earlier ones in the plan's order, so the graph cannot have a cycle. */
static int build_waits(struct rf_loader *l)
{
	const struct rf_plan *p = l->plan;

	for (size_t i = 0; i < p->n; i++) {
		const struct rf_plan_mod *m = &p->mods[i];
		size_t cap = m->ndeps + m->npre + p->n;

		l->waits[i] = malloc(cap * sizeof(size_t));
		if (!l->waits[i])
			return -ENOMEM;
		for (size_t k = 0; k < m->ndeps; k++)
			if (m->deps[k] < i)
				l->waits[i][l->nwaits[i]++] = m->deps[k];
		for (size_t k = 0; k < m->npre; k++)
			if (m->pre[k] < i)
				l->waits[i][l->nwaits[i]++] = m->pre[k];
		for (size_t j = 0; j < i; j++)
			for (size_t k = 0; k < p->mods[j].npost; k++)
				if (p->mods[j].post[k] == i)
					l->waits[i][l->nwaits[i]++] = j;
	}
	return 0;
}

int rf_loader_init(struct rf_loader *l, const struct rf_plan *plan, const struct rf_cmdline *cmd)
{
	size_t n = plan->n ? plan->n : 1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_condattr_t attr;

	memset(l, 0, sizeof(*l));
	l->plan = plan;
	l->cmd = cmd;
	snprintf(l->moddir, sizeof(l->moddir), "/lib/modules/%s", plan->kver ? plan->kver : "");
	read_line("/sys/module/compression", l->kcomp, sizeof(l->kcomp));
	/* Loading mostly waits on the kernel (relocation, signature check, probes): a few more
	 * threads than CPUs keep it busy. ramforge.threads=1 loads one at a time. */
	l->nthreads = cmd->threads > 0 ? cmd->threads : (int)(ncpu > 0 ? ncpu : 1) + 2;
	l->stall = cmd->load_timeout >= 0 ? cmd->load_timeout : RF_LOADER_STALL;
	if (l->nthreads > RF_LOADER_MAX_THREADS)
		l->nthreads = RF_LOADER_MAX_THREADS;
	l->res = calloc(n, sizeof(*l->res));
	l->waits = calloc(n, sizeof(*l->waits));
	l->nwaits = calloc(n, sizeof(*l->nwaits));
	l->wanted = calloc(n, sizeof(*l->wanted));
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* the bounded waits' clock */
	pthread_cond_init(&l->idle, &attr);
	pthread_condattr_destroy(&attr);
	if (!l->res || !l->waits || !l->nwaits || !l->wanted)
		return -ENOMEM;
	return build_waits(l);
}

/* Join the plan's options and the command line's (later ones win in the kernel). */
static char *params_for(const struct rf_loader *l, const struct rf_plan_mod *m)
{
	char *cmd = rf_cmdline_modparams(l->cmd, m->name), *out;
	const char *plan = m->options ? m->options : "";

	if (!cmd)
		return strdup(plan);
	out = malloc(strlen(plan) + strlen(cmd) + 2);
	if (out)
		sprintf(out, "%s%s%s", plan, *plan ? " " : "", cmd);
	free(cmd);
	return out;
}

/* *how says which way it went, for the debug log. */
static int load_file(const struct rf_loader *l, int fd, const char *path, const char *params,
		     const char **how)
{
	enum rf_comp comp = rf_comp_of(path);
	void *buf = NULL;
	size_t len = 0;
	int r;

	*how = "";
	if (comp == RF_COMP_NONE)
		return syscall(SYS_finit_module, fd, params, 0) < 0 ? -errno : 0;
	if (strcmp(l->kcomp, rf_comp_name(comp)) == 0) {
		*how = comp == RF_COMP_ZSTD ? ", zstd decompressed by the kernel"
		       : comp == RF_COMP_XZ ? ", xz decompressed by the kernel"
					    : ", gzip decompressed by the kernel";
		return syscall(SYS_finit_module, fd, params, MODULE_INIT_COMPRESSED_FILE) < 0 ? -errno
											 : 0;
	}
	*how = comp == RF_COMP_ZSTD ? ", zstd decompressed by the init"
	       : comp == RF_COMP_XZ ? ", xz decompressed by the init"
				    : ", gzip decompressed by the init";
	r = rf_decompress_fd(fd, comp, &buf, &len);
	if (r < 0)
		return r;
	r = syscall(SYS_init_module, buf, len, params) < 0 ? -errno : 0;
	free(buf);
	return r;
}

/* Errors that say something about this kernel or file, not about what was loaded before. */
static bool retryable(int err)
{
	return err != ENODEV && err != ENOEXEC && err != EKEYREJECTED && err != ENOKEY &&
	       err != EPERM && err != ENOMEM && err != EBADMSG && err != ENOENT;
}

static void load_one(struct rf_loader *l, size_t i, struct rf_modresult *res)
{
	const struct rf_plan_mod *m = &l->plan->mods[i];
	char path[512];
	char *params = params_for(l, m);
	const char *how = "";
	double t0 = rf_uptime();
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", l->moddir, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	r = !params ? -ENOMEM : fd < 0 ? -errno : load_file(l, fd, path, params, &how);
	if (fd >= 0)
		close(fd);
	res->seconds = rf_uptime() - t0;
	if (r == -EEXIST) {
		res->state = RF_MOD_PRESENT;
	} else if (r < 0) {
		res->state = RF_MOD_FAILED;
		res->err = -r;
		snprintf(res->why, sizeof(res->why), "%s%s", strerror(-r),
			 r == -ENOEXEC ? " (built for another kernel?)" : "");
		res->retry = fd >= 0 && !res->second && retryable(-r);
		if (res->retry)
			rf_debug("%s: %s; trying again after the others", m->name, res->why);
		else if (r == -ENODEV) /* the module's hardware or CPU feature is not there */
			rf_notice("%s: cannot load %s: %s", m->name, path, res->why);
		else
			rf_warn("%s: cannot load %s: %s", m->name, path, res->why);
	} else {
		res->state = RF_MOD_LOADED;
		rf_debug("%s: loaded in %.1f ms%s%s%s", m->name, res->seconds * 1000, how,
			 params && *params ? ", with " : "", params ? params : "");
	}
	free(params);
}

static bool finished(enum rf_modstate s)
{
	return s != RF_MOD_PENDING && s != RF_MOD_RUNNING;
}

/* Module k is done, or given up on: nothing waits for it any longer. */
static bool settled(const struct rf_loader *l, size_t k)
{
	return finished(l->res[k].state) || l->res[k].abandoned;
}

static void skip(struct rf_loader *l, size_t i, const char *why, const char *dep)
{
	l->res[i].state = RF_MOD_SKIPPED;
	l->res[i].by_dep = dep != NULL;
	snprintf(l->res[i].why, sizeof(l->res[i].why), "%s%s%s", why, dep ? dep : "",
		 dep ? ", which was not loaded" : "");
	if (!l->res[i].reported)
		rf_notice("%s: skipped: %s", l->plan->mods[i].name, l->res[i].why);
	l->res[i].reported = true;
}

/* Settle modules that need no loading; true when module i may start now. Called locked. */
static bool ready(struct rf_loader *l, size_t i)
{
	const struct rf_plan_mod *m = &l->plan->mods[i];

	if (!m->path) {
		l->res[i].state = RF_MOD_BUILTIN;
		return false;
	}
	if (rf_cmdline_blacklisted(l->cmd, m->name)) {
		skip(l, i, "denied on the kernel command line", NULL);
		return false;
	}
	for (size_t k = 0; k < m->ndeps; k++) {
		enum rf_modstate s = l->res[m->deps[k]].state;

		if (s == RF_MOD_FAILED || s == RF_MOD_SKIPPED || l->res[m->deps[k]].abandoned) {
			skip(l, i, "needs ", l->plan->mods[m->deps[k]].name);
			return false;
		}
	}
	/* A module that names this one as a post softdep is waited for only if it loads too. */
	for (size_t k = 0; k < l->nwaits[i]; k++)
		if (l->wanted[l->waits[i][k]] && !settled(l, l->waits[i][k]))
			return false;
	return true;
}

/* The next module to load, or -1. Called locked. */
static long pick(struct rf_loader *l)
{
	if (l->serial && l->running)
		return -1;
	for (size_t i = 0; i < l->plan->n; i++)
		if (l->res[i].state == RF_MOD_PENDING && l->wanted[i] && ready(l, i))
			return (long)i;
	return -1;
}

/* Some wanted module is still to load or loading (and waited for). Called locked. */
static bool busy(const struct rf_loader *l)
{
	if (l->running > l->nabandoned)
		return true;
	for (size_t i = 0; i < l->plan->n; i++)
		if (l->wanted[i] && l->res[i].state == RF_MOD_PENDING)
			return true;
	return false;
}

/* The pool lives until rf_loader_free: coldplug adds work at any time. */
static void *worker(void *arg)
{
	struct rf_loader *l = arg;
	long i;

	pthread_mutex_lock(&l->lock);
	while (!l->stopping) {
		i = pick(l);
		if (i < 0) {
			if (l->running <= l->nabandoned)
				pthread_cond_broadcast(&l->idle);
			pthread_cond_wait(&l->cond, &l->lock);
			continue;
		}
		struct rf_modresult res = { .state = RF_MOD_RUNNING, .second = l->res[i].second,
					    .started = rf_uptime() };

		l->res[i].state = RF_MOD_RUNNING;
		l->res[i].started = res.started;
		l->running++;
		pthread_mutex_unlock(&l->lock);
		load_one(l, (size_t)i, &res);
		pthread_mutex_lock(&l->lock);
		if (l->res[i].abandoned) {
			l->nabandoned--;
			rf_notice("%s: its load finished after all, %.0f s after it started",
				  l->plan->mods[i].name, rf_uptime() - res.started);
		}
		l->res[i] = res;
		l->running--;
		pthread_cond_broadcast(&l->cond);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* Mark i and what it needs (hard deps, softdeps pre and post). Called locked. */
static bool want_locked(struct rf_loader *l, size_t i)
{
	const struct rf_plan_mod *m = &l->plan->mods[i];

	if (l->wanted[i])
		return false;
	l->wanted[i] = true;
	for (size_t k = 0; k < m->ndeps; k++)
		want_locked(l, m->deps[k]);
	for (size_t k = 0; k < m->npre; k++)
		want_locked(l, m->pre[k]);
	for (size_t k = 0; k < m->npost; k++)
		want_locked(l, m->post[k]);
	return true;
}

bool rf_loader_want(struct rf_loader *l, size_t i)
{
	bool added;

	pthread_mutex_lock(&l->lock);
	added = i < l->plan->n && want_locked(l, i);
	if (added)
		pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	return added;
}

int rf_loader_start(struct rf_loader *l)
{
	int r;

	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->plan->n; i++)
		if (l->plan->mods[i].early)
			want_locked(l, i);
	pthread_mutex_unlock(&l->lock);
	for (int t = 0; t < l->nthreads; t++) {
		r = pthread_create(&l->threads[t], NULL, worker, l);
		if (r != 0) {
			l->threads[t] = 0;
			if (!t)
				return -r;
			break;
		}
	}
	return 0;
}

/* Put the modules worth a second try back in the queue, with what they held back. */
static size_t requeue(struct rf_loader *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->plan->n; i++) {
		struct rf_modresult *r = &l->res[i];

		if (r->state == RF_MOD_FAILED && r->retry) {
			r->state = RF_MOD_PENDING;
			r->retry = false;
			r->second = true;
			n++;
		}
	}
	for (size_t i = 0; n && i < l->plan->n; i++)
		if (l->res[i].state == RF_MOD_SKIPPED && l->res[i].by_dep)
			l->res[i].state = RF_MOD_PENDING;
	return n;
}

/* Give up on loads that have run past the bound, naming each on the console. Called locked. */
static void abandon_stuck(struct rf_loader *l)
{
	double now = rf_uptime();

	for (size_t i = 0; l->stall > 0 && i < l->plan->n; i++) {
		struct rf_modresult *r = &l->res[i];

		if (r->state != RF_MOD_RUNNING || r->abandoned || now - r->started < l->stall)
			continue;
		r->abandoned = true;
		l->nabandoned++;
		rf_warn("%s: still loading after %.0f s (ramforge.load_timeout=%d): not waiting "
			"for it any longer", l->plan->mods[i].name, now - r->started, l->stall);
	}
}

/* Until nothing waited for is left, looking for stuck loads every second. Called locked. */
static void wait_idle(struct rf_loader *l)
{
	struct timespec ts;

	while (busy(l)) {
		pthread_cond_broadcast(&l->cond);
		if (l->stall <= 0) {
			pthread_cond_wait(&l->idle, &l->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&l->idle, &l->lock, &ts);
		abandon_stuck(l);
	}
}

void rf_loader_wait(struct rf_loader *l)
{
	if (!l->threads[0])
		return; /* never started */
	pthread_mutex_lock(&l->lock);
	wait_idle(l);
	if (requeue(l)) {
		l->serial = true;
		wait_idle(l);
		l->serial = false;
	}
	pthread_mutex_unlock(&l->lock);
}

/* Log "label: a b c" for every module in state s, several lines if need be. Pending modules
 * count only when wanted (on-demand ones no device asked for are counted apart). */
static void report_state(struct rf_loader *l, int prio, enum rf_modstate s, const char *label)
{
	char line[768];
	size_t len = 0, count = 0;

	for (size_t i = 0; i < l->plan->n; i++) {
		const char *name = l->plan->mods[i].name;
		int n;

		if (l->res[i].state != s || (s == RF_MOD_PENDING && !l->wanted[i]))
			continue;
		count++;
		if (len + strlen(name) + sizeof(l->res[i].why) + 8 > sizeof(line)) {
			rf_log(prio, "%s: %s", label, line);
			len = 0;
		}
		if (s == RF_MOD_FAILED || s == RF_MOD_SKIPPED)
			n = snprintf(line + len, sizeof(line) - len, "%s%s (%s)", len ? ", " : "",
				     name, l->res[i].why);
		else
			n = snprintf(line + len, sizeof(line) - len, "%s%s", len ? " " : "", name);
		len += n > 0 ? (size_t)n : 0;
	}
	if (count)
		rf_log(prio, "%s: %s", label, line);
	else if (s == RF_MOD_LOADED || s == RF_MOD_FAILED)
		rf_log(prio, "%s: none", label);
}

/* The on-demand modules no device asked for: a count, as a generic image has hundreds. */
static void report_unwanted(struct rf_loader *l, int prio)
{
	size_t n = 0;

	for (size_t i = 0; i < l->plan->n; i++)
		n += l->res[i].state == RF_MOD_PENDING && !l->wanted[i];
	if (n)
		rf_log(prio, "modules on demand, not loaded (no device here asked for them): %zu", n);
}

void rf_loader_report(struct rf_loader *l, int prio)
{
	pthread_mutex_lock(&l->lock);
	report_state(l, prio, RF_MOD_LOADED, "modules loaded");
	report_state(l, prio, RF_MOD_PRESENT, "modules already present");
	report_state(l, prio, RF_MOD_BUILTIN, "modules built in");
	report_state(l, prio, RF_MOD_FAILED, "modules failed");
	report_state(l, prio, RF_MOD_SKIPPED, "modules skipped");
	report_state(l, prio, RF_MOD_PENDING, "modules not loaded yet");
	report_unwanted(l, prio);
	pthread_mutex_unlock(&l->lock);
}

int rf_loader_abandoned(struct rf_loader *l)
{
	int n;

	pthread_mutex_lock(&l->lock);
	n = l->nabandoned;
	pthread_mutex_unlock(&l->lock);
	return n;
}

void rf_loader_free(struct rf_loader *l)
{
	bool stuck;

	pthread_mutex_lock(&l->lock);
	l->stopping = true;
	stuck = l->nabandoned > 0;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (stuck) { /* a thread still in finit_module writes into l when it returns */
		for (int t = 0; t < RF_LOADER_MAX_THREADS; t++)
			if (l->threads[t])
				pthread_detach(l->threads[t]);
		return;
	}
	for (int t = 0; t < RF_LOADER_MAX_THREADS; t++)
		if (l->threads[t])
			pthread_join(l->threads[t], NULL);
	if (l->waits)
		for (size_t i = 0; i < l->plan->n; i++)
			free(l->waits[i]);
	free(l->waits);
	free(l->nwaits);
	free(l->wanted);
	free(l->res);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	pthread_cond_destroy(&l->idle);
	memset(l, 0, sizeof(*l));
}
