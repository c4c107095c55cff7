// SPDX-License-Identifier: MIT
/*
 * The steps, run (see steprun.h). One at a time: a step may ask for a passphrase on the
 * console, which it must have to itself.
 */
#include "steprun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dmdev.h"
#include "log.h"
#include "steps.h"

#define REPROBE_S 0.25 /* a device with nothing on it yet may still be being set up */
#define STEP_POLL_MS 20

static char *const step_env[] = {
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"DM_DISABLE_UDEV=1",
	"LVM_SUPPRESS_FD_WARNINGS=1",
	NULL,
};

void rf_steps_init(struct rf_stepper *s, const struct rf_plan *plan,
		   const struct rf_cmdline *cmd, const struct rf_rootdev_wait *wait)
{
	memset(s, 0, sizeof(*s));
	s->plan = plan;
	s->cmd = cmd;
	s->wait = wait;
	s->started = rf_uptime();
	s->missing_done = calloc(plan->nsteps ? plan->nsteps : 1, sizeof(*s->missing_done));
	for (size_t i = 0; i < plan->nsteps; i++)
		s->device_steps |= plan->steps[i].trigger == RF_STEP_DEVICE;
}

/* In the child: the console as stdio (and controlling terminal, so that cryptsetup can use
 * /dev/tty and ^C reaches it), then the program. Only async-signal-safe calls: the parent has
 * threads. exec's errno goes back through errfd. */
static void __attribute__((noreturn)) child(char *const *argv, int errfd)
{
	sigset_t none;
	int fd, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		ioctl(fd, TIOCSCTTY, 0);
		for (int i = 0; i < 3; i++)
			if (fd != i)
				dup2(fd, i);
		if (fd > 2)
			close(fd);
	}
	execve(argv[0], argv, step_env);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		e = 0; /* nothing more to do: the exit status says it */
	_exit(127);
}

/* Start argv; 0 with *pid, or -errno (exec's own, when the program could not be run). */
static int spawn(char *const *argv, pid_t *pid)
{
	int p[2], err = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid == 0)
		child(argv, p[1]);
	err = *pid < 0 ? errno : 0;
	close(p[1]);
	/* exec closes the pipe; a failed exec writes its errno first */
	while (*pid > 0 && (n = read(p[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (*pid > 0 && err)
		waitpid(*pid, NULL, 0);
	return -err;
}

static void idle(const struct rf_stepper *s, int ms)
{
	struct timespec nap = { 0, ms * 1000000L };

	if (s->wait && s->wait->idle)
		s->wait->idle(s->wait->arg, ms);
	else
		nanosleep(&nap, NULL);
}

/* Wait for pid while the coldplug goes on. */
static int wait_for(const struct rf_stepper *s, pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		idle(s, STEP_POLL_MS);
	}
}

static void describe(const struct rf_step_run *run, char *buf, size_t len)
{
	if (run->err)
		snprintf(buf, len, "could not start: %s", strerror(run->err));
	else if (WIFEXITED(run->status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(run->status));
	else if (WIFSIGNALED(run->status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(run->status),
			 strsignal(WTERMSIG(run->status)));
	else
		snprintf(buf, len, "wait status %#x", (unsigned)run->status);
}

static struct rf_step_run *add_run(struct rf_stepper *s)
{
	struct rf_step_run *v;

	if (s->nruns == s->runcap) {
		s->runcap = s->runcap ? s->runcap * 2 : 8;
		v = realloc(s->runs, s->runcap * sizeof(*v));
		if (!v)
			return NULL;
		s->runs = v;
	}
	return memset(&s->runs[s->nruns++], 0, sizeof(*v));
}

static void join(char *const *argv, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", argv[i]);
}

/* Step i, for block device name (NULL: the root is missing) with that UUID. Returns the
 * seconds it took. */
static double run_step(struct rf_stepper *s, size_t i, const char *name, const char *uuid)
{
	const struct rf_plan_step *st = &s->plan->steps[i];
	struct rf_step_run *run = add_run(s);
	char dev[48] = "", line[512], how[96];
	char **argv = NULL;
	double t0 = rf_uptime();
	pid_t pid = -1;
	int r;

	if (!run)
		return 0;
	run->step = i;
	snprintf(run->device, sizeof(run->device), "%s", name ? name : "");
	if (name)
		snprintf(dev, sizeof(dev), "/dev/%s", name);
	r = rf_step_argv(st, s->cmd, name ? dev : NULL, name ? uuid : NULL, &argv);
	if (r < 0) {
		rf_warn("step %s: cannot make its command: %s", st->bundle, strerror(-r));
		run->err = -r;
		return 0;
	}
	snprintf(run->argv1, sizeof(run->argv1), "%s", argv[1] ? argv[1] : "");
	join(argv, line, sizeof(line));
	rf_info("step %s: %s", st->bundle, line);
	r = spawn(argv, &pid);
	if (r >= 0)
		r = wait_for(s, pid, &run->status);
	run->err = r < 0 ? -r : 0;
	run->seconds = rf_uptime() - t0;
	describe(run, how, sizeof(how));
	rf_log(run->err || run->status ? RF_LOG_NOTICE : RF_LOG_INFO, "step %s: %s: %s after %.2f s",
	       st->bundle, argv[0], how, run->seconds);
	rf_step_argv_free(argv);
	r = rf_dm_sync("");
	if (r < 0)
		rf_warn("dm devices: links and udev database entries: %s", strerror(-r));
	return run->seconds;
}

static double device_steps(struct rf_stepper *s, const char *name, const char *type,
			   const char *uuid)
{
	size_t *idx = malloc(s->plan->nsteps * sizeof(*idx)), n;
	double spent = 0;

	if (!idx)
		return 0;
	n = rf_steps_for_device(s->plan, s->cmd, type, uuid, idx);
	rf_debug("steps: /dev/%s is %s UUID=%s: %zu step%s", name, type, uuid, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		spent += run_step(s, idx[i], name, uuid);
	free(idx);
	return spent;
}

static struct rf_stepdev *dev_at(struct rf_stepper *s, const char *name)
{
	struct rf_stepdev *v;

	for (size_t i = 0; i < s->ndevs; i++)
		if (strcmp(s->devs[i].name, name) == 0)
			return &s->devs[i];
	if (strlen(name) >= sizeof(v->name))
		return NULL;
	if (s->ndevs == s->devcap) {
		s->devcap = s->devcap ? s->devcap * 2 : 16;
		v = realloc(s->devs, s->devcap * sizeof(*v));
		if (!v)
			return NULL;
		s->devs = v;
	}
	v = memset(&s->devs[s->ndevs++], 0, sizeof(*v));
	memcpy(v->name, name, strlen(name) + 1);
	v->probed = -REPROBE_S;
	return v;
}

/* Forget devices that are gone: one made again under the same name is new. */
static void forget_gone(struct rf_stepper *s)
{
	for (size_t i = 0; i < s->ndevs;) {
		if (!s->devs[i].seen) {
			s->devs[i] = s->devs[--s->ndevs];
			continue;
		}
		s->devs[i++].seen = false;
	}
}

/* One look at the block devices: the new ones are probed, and their steps run. */
static double scan_devices(struct rf_stepper *s)
{
	DIR *d = opendir("/sys/class/block");
	char type[64], uuid[128];
	struct rf_stepdev *dev;
	struct dirent *e;
	double spent = 0;
	bool parted;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !(dev = dev_at(s, e->d_name)))
			continue;
		dev->seen = true;
		if (dev->done || rf_uptime() - dev->probed < REPROBE_S ||
		    (s->wait && s->wait->ready && !s->wait->ready(s->wait->arg, dev->name)) ||
		    !rf_rootdev_usable(dev->name))
			continue;
		rf_rootdev_identify(dev->name, type, sizeof(type), uuid, sizeof(uuid), &parted);
		dev->probed = rf_uptime();
		dev->done = *type || parted;
		if (*type)
			spent += device_steps(s, e->d_name, type, uuid);
	}
	if (d)
		closedir(d);
	forget_gone(s);
	return spent;
}

static double missing_steps(struct rf_stepper *s)
{
	double waited = rf_uptime() - s->started, spent = 0;

	for (size_t i = 0; i < s->plan->nsteps; i++) {
		const struct rf_plan_step *st = &s->plan->steps[i];

		if (st->trigger != RF_STEP_ROOT_MISSING || s->missing_done[i] || waited < st->secs)
			continue;
		s->missing_done[i] = true;
		if (!rf_step_conds_hold(st, s->cmd, NULL)) {
			rf_debug("step %s: root-missing=%u: turned off", st->bundle, st->secs);
			continue;
		}
		rf_info("steps: no root %u s after the coldplug started", st->secs);
		spent += run_step(s, i, NULL, NULL);
	}
	return spent;
}

double rf_steps_poll(struct rf_stepper *s, bool root_missing)
{
	double spent = 0;

	if (!s->plan || !s->plan->nsteps || !s->missing_done)
		return 0;
	/* what the steps left running and what ended: as process 1, the init reaps them */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (s->device_steps)
		spent += scan_devices(s);
	if (root_missing)
		spent += missing_steps(s);
	return spent;
}

void rf_steps_report(const struct rf_stepper *s, int prio)
{
	char how[96];

	if (!s || !s->plan || !s->plan->nsteps)
		return;
	if (!s->nruns) {
		rf_log(prio, "steps: none ran (no device called for one of the plan's %zu)",
		       s->plan->nsteps);
		return;
	}
	rf_log(prio, "steps that ran:");
	for (size_t i = 0; i < s->nruns; i++) {
		const struct rf_step_run *run = &s->runs[i];
		const struct rf_plan_step *st = &s->plan->steps[run->step];

		describe(run, how, sizeof(how));
		rf_log(prio, "  %s %s%s: %s %s: %s (%.1f s)", st->bundle, *run->device ? "/dev/" : "",
		       *run->device ? run->device : "(root missing)", st->argv[0], run->argv1, how,
		       run->seconds);
	}
}

void rf_steps_free(struct rf_stepper *s)
{
	free(s->missing_done);
	free(s->devs);
	free(s->runs);
	memset(s, 0, sizeof(*s));
}
