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
	/* An early module's waits are early too (walk backwards: waits point to earlier ones). */
	for (size_t i = p->n; i-- > 0;) {
		l->early[i] = l->early[i] || p->mods[i].early;
		if (l->early[i])
			for (size_t k = 0; k < l->nwaits[i]; k++)
				l->early[l->waits[i][k]] = true;
	}
	return 0;
}

int rf_loader_init(struct rf_loader *l, const struct rf_plan *plan, const struct rf_cmdline *cmd)
{
	size_t n = plan->n ? plan->n : 1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(l, 0, sizeof(*l));
	l->plan = plan;
	l->cmd = cmd;
	snprintf(l->moddir, sizeof(l->moddir), "/lib/modules/%s", plan->kver ? plan->kver : "");
	read_line("/sys/module/compression", l->kcomp, sizeof(l->kcomp));
	/* Loading mostly waits on the kernel (relocation, signature check, probes): a few more
	 * threads than CPUs keep it busy. ramforge.threads=1 loads one at a time. */
	l->nthreads = cmd->threads > 0 ? cmd->threads : (int)(ncpu > 0 ? ncpu : 1) + 2;
	if (l->nthreads > RF_LOADER_MAX_THREADS)
		l->nthreads = RF_LOADER_MAX_THREADS;
	l->res = calloc(n, sizeof(*l->res));
	l->waits = calloc(n, sizeof(*l->waits));
	l->nwaits = calloc(n, sizeof(*l->nwaits));
	l->early = calloc(n, sizeof(*l->early));
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	if (!l->res || !l->waits || !l->nwaits || !l->early)
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

static void skip(struct rf_loader *l, size_t i, const char *why, const char *dep)
{
	l->res[i].state = RF_MOD_SKIPPED;
	snprintf(l->res[i].why, sizeof(l->res[i].why), "%s%s%s", why, dep ? dep : "",
		 dep ? ", which was not loaded" : "");
	rf_notice("%s: skipped: %s", l->plan->mods[i].name, l->res[i].why);
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

		if (s == RF_MOD_FAILED || s == RF_MOD_SKIPPED) {
			skip(l, i, "needs ", l->plan->mods[m->deps[k]].name);
			return false;
		}
	}
	for (size_t k = 0; k < l->nwaits[i]; k++)
		if (!finished(l->res[l->waits[i][k]].state))
			return false;
	return true;
}

/* The next module to load, or -1; *left tells whether wanted work remains. Called locked. */
static long pick(struct rf_loader *l, bool *left)
{
	*left = false;
	for (size_t i = 0; i < l->plan->n; i++) {
		if (l->res[i].state != RF_MOD_PENDING || (!l->early[i] && !l->late_started))
			continue;
		if (ready(l, i))
			return (long)i;
		if (l->res[i].state == RF_MOD_PENDING)
			*left = true;
	}
	return -1;
}

static void *worker(void *arg)
{
	struct rf_loader *l = arg;
	bool left;
	long i;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		i = pick(l, &left);
		if (i < 0 && (!left || !l->running))
			break; /* nothing left, or only what waits for nothing that runs */
		if (i < 0) {
			pthread_cond_wait(&l->cond, &l->lock);
			continue;
		}
		struct rf_modresult res = { .state = RF_MOD_RUNNING };

		l->res[i].state = RF_MOD_RUNNING;
		l->running++;
		pthread_mutex_unlock(&l->lock);
		load_one(l, (size_t)i, &res);
		pthread_mutex_lock(&l->lock);
		l->res[i] = res;
		l->running--;
		pthread_cond_broadcast(&l->cond);
	}
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

int rf_loader_start(struct rf_loader *l, bool late)
{
	int r, started = 0;

	pthread_mutex_lock(&l->lock);
	l->late_started = late;
	pthread_mutex_unlock(&l->lock);
	for (int t = 0; t < l->nthreads; t++) {
		r = pthread_create(&l->threads[t], NULL, worker, l);
		if (r != 0) {
			l->threads[t] = 0;
			if (!started)
				return -r;
			break;
		}
		started++;
	}
	return 0;
}

void rf_loader_wait(struct rf_loader *l)
{
	for (int t = 0; t < l->nthreads; t++) {
		if (l->threads[t])
			pthread_join(l->threads[t], NULL);
		l->threads[t] = 0;
	}
}

/* Log "label: a b c" for every module in state s, several lines if need be. */
static void report_state(struct rf_loader *l, int prio, enum rf_modstate s, const char *label)
{
	char line[768];
	size_t len = 0, count = 0;

	for (size_t i = 0; i < l->plan->n; i++) {
		const char *name = l->plan->mods[i].name;
		int n;

		if (l->res[i].state != s)
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

void rf_loader_report(struct rf_loader *l, int prio)
{
	pthread_mutex_lock(&l->lock);
	report_state(l, prio, RF_MOD_LOADED, "modules loaded");
	report_state(l, prio, RF_MOD_PRESENT, "modules already present");
	report_state(l, prio, RF_MOD_BUILTIN, "modules built in");
	report_state(l, prio, RF_MOD_FAILED, "modules failed");
	report_state(l, prio, RF_MOD_SKIPPED, "modules skipped");
	report_state(l, prio, RF_MOD_PENDING, "modules not loaded yet");
	pthread_mutex_unlock(&l->lock);
}

void rf_loader_free(struct rf_loader *l)
{
	if (l->waits)
		for (size_t i = 0; i < l->plan->n; i++)
			free(l->waits[i]);
	free(l->waits);
	free(l->nwaits);
	free(l->early);
	free(l->res);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	memset(l, 0, sizeof(*l));
}
