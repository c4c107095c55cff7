/* SPDX-License-Identifier: MIT */
/*
 * The selection stage: options + ramforge.conf + modules-load.d + the generic rules or the
 * hostonly probe + the bundles become the requests, the omit list, the chosen bundles and the
 * rf_selection (sysroot, kver, kmoddir) that the closure consumes.
 * Ownership: struct rf_select owns everything; rf_select_free releases it.
 */
#pragma once
#include "bundle.h"
#include "closure.h"
#include "conf.h"
#include "request.h"

/* What the caller (the CLI's options) asks of the selection. Strings and lists are borrowed. */
struct rf_select_opts {
	const char *kver;            /* NULL: the running kernel */
	const char *kmoddir;         /* NULL: SYSROOT/lib/modules/KVER */
	const char *sysroot;         /* NULL: "/" */
	const char *host_root;       /* where the hostonly probe reads /sys and /proc; NULL: "/" */
	const struct rf_strv *add;   /* explicit requests (-a), or NULL */
	const struct rf_strv *omit;  /* never include (-o), or NULL */
	const struct rf_strv *add_bundles, *omit_bundles; /* --add-bundles, --omit-bundles, or NULL */
	const struct rf_strv *names; /* more explicit requests (the NAMEs of `deps`), or NULL;
				      * like drivers_only, they turn the automatic scan off */
	int hostonly;                /* -1: from ramforge.conf; 0: generic; 1: hostonly */
	bool drivers_only;           /* exactly the requests: no generic or hostonly scan */
	bool no_modules_load;        /* ignore etc/modules-load.d */
};

struct rf_select {
	struct rf_conf conf;
	struct rf_requests reqs;
	struct rf_requests omit;
	struct rf_selection sel;
	struct rf_bundles bundles;    /* every bundle; the chosen ones marked (bundle.h) */
	struct rf_strv stack;     /* hostonly: the root's dm/md stack ("dm-uuid:...", "md:...") */
	struct rf_strv warnings;  /* non-fatal findings of the hostonly probe, for the caller to print */
	bool hostonly;            /* the hostonly probe ran */
	char *sysroot, *kver, *kmoddir; /* owned storage behind sel */
};

int rf_select_init(struct rf_select *s, const struct rf_select_opts *o, struct rf_err *err);
void rf_select_free(struct rf_select *s);
