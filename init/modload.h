/* SPDX-License-Identifier: MIT */
/*
 * Loading the plan's modules: in dependency order, independent ones in parallel on a small pool
 * of threads, with the plan's and the command line's options, skipping what the command line
 * denies. The early modules load at start; the others only when wanted (coldplug found a device
 * or filesystem that needs them), each with its dependencies and softdeps. A failed hard
 * dependency stops its dependents; a failed softdep target does not. Every outcome is kept for
 * the failure report. Messages go to the init's log.
 * Every wait is bounded: a module whose load has run for longer than ramforge.load_timeout=
 * (default RF_LOADER_STALL seconds) is named on the console and no longer waited for, so one
 * stuck driver cannot hold the boot forever (its thread is left running).
 * Ownership: the loader borrows plan and cmdline (they must outlive it); rf_loader_free stops
 * the pool and releases the rest. Errors: -errno (-ENOMEM, or pthread's error).
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"
#include "plan.h"

enum rf_modstate {
	RF_MOD_PENDING,
	RF_MOD_RUNNING,
	RF_MOD_LOADED,
	RF_MOD_BUILTIN, /* built into the kernel */
	RF_MOD_PRESENT, /* EEXIST: already loaded */
	RF_MOD_FAILED,
	RF_MOD_SKIPPED, /* denied, or a hard dependency failed */
};

struct rf_modresult {
	enum rf_modstate state;
	int err;        /* errno of a failure */
	char why[128];  /* why it failed or was skipped */
	double seconds; /* time spent loading */
	bool retry;     /* failed in a way a later try may fix (see rf_loader_wait) */
	bool second;    /* this is (or was) the second try */
	bool by_dep;    /* skipped because a hard dependency was not loaded */
	bool reported;  /* its skip was logged (each skip is logged once) */
	double started; /* when its load started (rf_uptime) */
	bool abandoned; /* still loading past the bound: not waited for any longer */
};

#define RF_LOADER_MAX_THREADS 16
#define RF_LOADER_STALL 60 /* seconds; the kernel's own firmware fallback timeout */

struct rf_loader {
	const struct rf_plan *plan;
	const struct rf_cmdline *cmd;
	char moddir[256];     /* /lib/modules/KVER */
	char kcomp[32];       /* /sys/module/compression: what the kernel decompresses itself */
	struct rf_modresult *res;
	size_t **waits;       /* per module: earlier modules it must wait for */
	size_t *nwaits;
	bool *wanted;         /* to load: early, asked for, or needed by such a module */
	bool serial;          /* the second tries: one at a time */
	bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t cond;  /* workers: there may be work */
	pthread_cond_t idle;  /* rf_loader_wait: nothing wanted left to do */
	pthread_t threads[RF_LOADER_MAX_THREADS];
	int nthreads, running;
	int stall;            /* seconds a load may run before it is abandoned; 0: forever */
	int nabandoned;       /* loads running that are not waited for */
};

int rf_loader_init(struct rf_loader *l, const struct rf_plan *plan, const struct rf_cmdline *cmd);
/* Start the pool and the early modules. Returns at once. */
int rf_loader_start(struct rf_loader *l);
/* Load module i (an index into the plan) and what it needs, in the background. Thread-safe.
 * True when it was not wanted before. */
bool rf_loader_want(struct rf_loader *l, size_t i);
/* Wait until everything wanted so far is done (loads abandoned past the bound aside; each
 * named once on the console when abandoned). Modules that failed with an error a
 * later try may fix get one more, one at a time, after all the others: a module's init may
 * request another module itself (nls_euc_jp asks for nls_cp932), which fails in an initramfs
 * without modprobe unless that one is already loaded. */
void rf_loader_wait(struct rf_loader *l);
/* Log at prio which modules were loaded, which failed (with errors) and which were skipped. */
void rf_loader_report(struct rf_loader *l, int prio);
/* Loads abandoned and still running (their modules named in the log when abandoned). */
int rf_loader_abandoned(struct rf_loader *l);
/* Stop the pool. With a load still running (abandoned), its thread and the loader's memory
 * are left as they are (the init is about to exec the real init), instead of waiting. */
void rf_loader_free(struct rf_loader *l);
