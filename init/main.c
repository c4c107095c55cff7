// SPDX-License-Identifier: MIT
/*
 * ramforge-init: the /init of a ramforge image. It executes the load plan the builder wrote
 * (early modules first, the rest when a device that is there needs them), finds and mounts the
 * root filesystem and hands over to the real init. Read top to bottom.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmdline.h"
#include "coldplug.h"
#include "dmdev.h"
#include "emergency.h"
#include "log.h"
#include "modload.h"
#include "mounts.h"
#include "rootdev.h"
#include "plan.h"
#include "steprun.h"
#include "switchroot.h"
#include "usrmount.h"

#define NEWROOT "/sysroot"
#define DEFAULT_TIMEOUT 30

/* A whole small file (the command line, the plan), NUL-terminated. NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t got;

	while (fd >= 0 && buf && (got = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)got;
		if (cap - n < 2 && (p = realloc(buf, cap *= 2)))
			buf = p;
		else if (cap - n < 2)
			break;
	}
	if (fd >= 0)
		close(fd);
	if (fd < 0 || !buf) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* The plan, or an empty one (a kernel with everything built in needs none). */
static void read_plan(struct rf_plan *plan)
{
	char err[256] = "";
	size_t len = 0;
	char *text = slurp("/" RF_PLAN_PATH, &len);
	struct utsname u;

	if (!text)
		rf_notice("no load plan (/%s): no modules to load", RF_PLAN_PATH);
	else if (rf_plan_parse(plan, text, len, err, sizeof(err)) < 0)
		rf_error("/%s: %s: loading no modules", RF_PLAN_PATH, err);
	free(text);
	if (plan->kver && uname(&u) == 0 && strcmp(u.release, plan->kver) != 0)
		rf_error("this image is for kernel %s but %s is running: its modules will not load",
			 plan->kver, u.release);
}

/* How long to wait for the root: rd.timeout= (0: forever), else forever with rootwait, else
 * the default. */
static int root_timeout(const struct rf_cmdline *cmd)
{
	if (cmd->timeout >= 0)
		return cmd->timeout == 0 ? -1 : cmd->timeout;
	return cmd->rootwait ? -1 : DEFAULT_TIMEOUT;
}

static int wait_after_failure(const struct rf_cmdline *cmd)
{
	return cmd->timeout > 0 ? cmd->timeout : DEFAULT_TIMEOUT;
}

static void __attribute__((noreturn)) fail(const char *why, const struct rf_cmdline *cmd,
					   struct rf_loader *loader, const struct rf_stepper *steps)
{
	rf_emergency_report(why, cmd, loader, steps);
	rf_emergency(true, wait_after_failure(cmd));
	for (;;)
		pause(); /* not reached: rf_emergency(true) reboots */
}

static void stop_if(enum rf_break at, const char *name, const struct rf_cmdline *cmd,
		    struct rf_loader *loader, const struct rf_stepper *steps)
{
	char why[64];

	if (cmd->brk != at)
		return;
	snprintf(why, sizeof(why), "rd.break=%s", name);
	rf_emergency_report(why, cmd, loader, steps);
	rf_emergency(false, wait_after_failure(cmd));
}

/* What the waits share: the coldplug goes on during both, the steps run in the root's. */
struct waiting {
	struct rf_coldplug *coldplug;
	struct rf_stepper *steps;
};

static double coldplug_idle(void *arg, int ms)
{
	rf_coldplug_poll(((struct waiting *)arg)->coldplug, ms);
	return 0;
}

/* Waiting for the root: uevents, then the steps that are due (their time is not the root's). */
static double root_idle(void *arg, int ms)
{
	struct waiting *w = arg;

	rf_coldplug_poll(w->coldplug, ms);
	return rf_steps_poll(w->steps, true);
}

static bool block_ready(void *arg, const char *name)
{
	return rf_coldplug_block_ready(((struct waiting *)arg)->coldplug, name);
}

/* A separate /usr: its filesystem's driver asked for, then the loading finished. */
struct usr_ctx {
	struct rf_coldplug *coldplug;
	struct rf_loader *loader;
};

static void usr_want_fs(void *arg, const char *type)
{
	rf_coldplug_want_fs(((struct usr_ctx *)arg)->coldplug, type);
}

static void usr_settle(void *arg)
{
	rf_loader_wait(((struct usr_ctx *)arg)->loader);
}

/* The dm devices the steps made, as udev would have left them for the real root's systemd
 * (/run, where their database is, moves along into the new root). */
static void hand_over_devices(void)
{
	int r = rf_dm_sync("");

	if (r < 0)
		rf_warn("dm devices: links and udev database entries: %s", strerror(-r));
	else if (r > 0)
		rf_debug("%d dm/md devices written to the udev database", r);
}

/* /proc/meminfo's MemAvailable while the image's files still fill the rootfs (-1: unknown):
 * what a generic image costs a small machine at its peak. */
static long mem_available_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	double started = rf_uptime();
	struct rf_cmdline cmd = { 0 };
	struct rf_plan plan = { 0 };
	struct rf_loader loader;
	struct rf_coldplug coldplug;
	struct rf_stepper steps = { 0 };
	struct waiting waiting = { &coldplug, &steps };
	struct rf_rootdev_wait step_wait = { coldplug_idle, block_ready, &waiting };
	struct rf_rootdev_wait root_wait = { root_idle, block_ready, &waiting };
	struct usr_ctx usr_ctx = { &coldplug, &loader };
	struct rf_usrmount_env usr_env = { &root_wait, 0, usr_want_fs, usr_settle, &usr_ctx };
	char dev[256], init[256], why[512], fstype[32] = "";
	char *cmdline;
	int r;

	(void)argc;
	/* 1. The early filesystems, the command line, the log. */
	r = rf_mounts_setup();
	cmdline = slurp("/proc/cmdline", NULL);
	if (rf_cmdline_parse(&cmd, cmdline ? cmdline : "") < 0)
		cmd.timeout = -1;
	free(cmdline);
	rf_log_open(cmd.quiet, cmd.debug);
	rf_info("started at %.3f s", started);
	if (r < 0)
		rf_warn("mounting the early filesystems: %s", strerror(-r));
	/* Before any module loads: the uevents of every device added from now on are kept. */
	rf_coldplug_open(&coldplug);

	/* 2. The modules the builder chose to load early, before anything else. */
	read_plan(&plan);
	if (rf_loader_init(&loader, &plan, &cmd) < 0)
		fail("out of memory preparing the module loader", &cmd, NULL, NULL);
	if (rf_loader_start(&loader) < 0)
		fail("cannot start the module loader", &cmd, &loader, NULL);
	rf_loader_wait(&loader);
	rf_debug("early modules done at %.3f s", rf_uptime());

	/* 3. Coldplug: the drivers of the devices that are here, and of those that appear behind
	 * them, load meanwhile, and the bundles' steps run as their devices appear (unlock LUKS,
	 * assemble md, activate LVM); find the root device. */
	rf_coldplug_init(&coldplug, &plan, &cmd, &loader);
	rf_steps_init(&steps, &plan, &cmd, &step_wait);
	rf_coldplug_scan(&coldplug);
	if (cmd.rootdelay > 0) {
		rf_info("rootdelay: waiting %d s", cmd.rootdelay);
		for (double end = rf_uptime() + cmd.rootdelay; rf_uptime() < end;) {
			rf_coldplug_poll(&coldplug, 100);
			rf_steps_poll(&steps, false);
		}
	}
	stop_if(RF_BREAK_PRE_MOUNT, "pre-mount", &cmd, &loader, &steps);
	if (rf_rootdev_find(cmd.root, root_timeout(&cmd), &root_wait, dev, sizeof(dev), why,
			    sizeof(why)) < 0) {
		rf_loader_wait(&loader);
		fail(why, &cmd, &loader, &steps);
	}
	rf_debug("root device %s found at %.3f s", dev, rf_uptime());

	/* 4. Its filesystem's driver, then mount it once the loading is done. */
	if (!cmd.rootfstype)
		rf_rootdev_type(dev, fstype, sizeof(fstype));
	rf_coldplug_want_fs(&coldplug, cmd.rootfstype ? cmd.rootfstype : fstype);
	rf_loader_wait(&loader);
	if (rf_rootdev_mount(dev, cmd.rootfstype, cmd.rootflags, cmd.rw, NEWROOT, why,
			     sizeof(why)) < 0)
		fail(why, &cmd, &loader, &steps);
	/* A separate /usr (and x-initrd.mount entries) from the root's fstab, as systemd wants. */
	usr_env.timeout = root_timeout(&cmd);
	if (rf_usrmount(NEWROOT, &usr_env, why, sizeof(why)) < 0) {
		rf_loader_wait(&loader);
		fail(why, &cmd, &loader, &steps);
	}
	rf_coldplug_free(&coldplug);
	rf_loader_wait(&loader);
	rf_loader_report(&loader, RF_LOG_DEBUG);
	stop_if(RF_BREAK_PRE_SWITCH_ROOT, "pre-switch-root", &cmd, &loader, &steps);

	/* 5. Hand over: the real init, in the real root, and the devices the steps made. */
	if (rf_switchroot_find_init(NEWROOT, cmd.init, init, sizeof(init), why, sizeof(why)) < 0)
		fail(why, &cmd, &loader, &steps);
	hand_over_devices();
	rf_steps_free(&steps);
	rf_info("mounted %s on / (%s); running %s; init took %.0f ms (%.3f s to %.3f s); "
		"MemAvailable %ld kB", dev, cmd.rw ? "rw" : "ro", init,
		(rf_uptime() - started) * 1000, started, rf_uptime(), mem_available_kb());
	rf_loader_free(&loader);
	rf_log_close();
	argv[0] = init;
	rf_switchroot(NEWROOT, init, argv, why, sizeof(why));
	rf_log_open(cmd.quiet, cmd.debug);
	fail(why, &cmd, NULL, NULL);
}
