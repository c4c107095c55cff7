/* SPDX-License-Identifier: MIT */
/*
 * Running the bundles' steps from the loop that waits for the root. Each block device, once
 * the kernel has announced it and it has a size (a dm device once it has a table, an md array
 * once it runs), is probed with libblkid once (again later while nothing is found on it); the
 * steps its TYPE calls for (steps.h) run one after the other: fork and exec, no shell, with the
 * console as stdin, stdout and stderr and an environment of PATH, DM_DISABLE_UDEV=1 (libdevmapper
 * makes the /dev/mapper nodes itself) and LVM_SUPPRESS_FD_WARNINGS=1. Devices a step makes are
 * probed in turn, so stacks work. A root-missing step runs once, when its delay after
 * rf_steps_init has passed. While a step runs, uevents are still read (wait.idle) and modules
 * still load; after it, the dm devices are made visible to udev and systemd (dmdev.h). Every
 * outcome is logged and kept for the failure report.
 * Ownership: borrows plan, cmdline and wait (they must outlive it); rf_steps_free releases the
 * rest. Errors: none fatal: a step that cannot start is kept with its errno.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"
#include "plan.h"
#include "rootdev.h"

struct rf_step_run {
	size_t step;      /* index into plan->steps */
	char device[32];  /* "vda2"; "" for a root-missing step */
	char argv1[64];   /* its argv[1] (expanded), for the report */
	int status;       /* waitpid's */
	int err;          /* errno when it did not start */
	double seconds;
};

struct rf_stepdev {
	char name[32];  /* in /sys/class/block */
	bool done;      /* probed with something found: its steps ran */
	bool seen;      /* in the last look */
	double probed;  /* when it was last probed (uptime) */
};

struct rf_stepper {
	const struct rf_plan *plan;
	const struct rf_cmdline *cmd;
	const struct rf_rootdev_wait *wait; /* idle: while a step runs; ready: may a device be opened */
	double started;        /* rf_steps_init's time: root-missing delays count from it */
	bool device_steps;     /* the plan has device= steps */
	bool *missing_done;    /* per plan step: a root-missing step's time has come */
	struct rf_stepdev *devs;
	size_t ndevs, devcap;
	struct rf_step_run *runs;
	size_t nruns, runcap;
};

/* Call when the coldplug starts. */
void rf_steps_init(struct rf_stepper *s, const struct rf_plan *plan,
		   const struct rf_cmdline *cmd, const struct rf_rootdev_wait *wait);
/* Run what is due: the steps of devices that are new, and, when root_missing (the root is being
 * waited for and is not there), root-missing steps whose delay has passed. Returns the seconds
 * the steps took. */
double rf_steps_poll(struct rf_stepper *s, bool root_missing);
/* Log at prio every step that ran: bundle, device, argv[0] and [1], outcome. Nothing for a plan
 * without steps. s may be NULL. */
void rf_steps_report(const struct rf_stepper *s, int prio);
void rf_steps_free(struct rf_stepper *s);
