/* SPDX-License-Identifier: MIT */
/*
 * The selection stage: options + ramforge.conf + modules-load.d become the requests, the
 * omit list and the rf_selection (sysroot, kver, kmoddir) that the closure consumes.
 * Ownership: struct rf_select owns everything; rf_select_free releases it.
 */
#pragma once
#include "closure.h"
#include "conf.h"
#include "opts.h"
#include "request.h"

struct rf_select {
	struct rf_conf conf;
	struct rf_requests reqs;
	struct rf_requests omit;
	struct rf_selection sel;
	struct rf_strv warnings;  /* non-fatal findings of the hostonly probe, for the caller to print */
	char *sysroot, *kver, *kmoddir; /* owned storage behind sel */
};

/* `names` are extra explicit requests (the positional NAMEs of `deps`), or NULL. */
int rf_select_init(struct rf_select *s, const struct rf_opts *o, const struct rf_strv *names,
		   struct rf_err *err);
void rf_select_free(struct rf_select *s);
