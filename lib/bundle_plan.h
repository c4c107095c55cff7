/* SPDX-License-Identifier: MIT */
/*
 * What the chosen bundles put into an image besides modules: their steps for the init's plan
 * (common/plan.h), crypttab's entries turned into steps of the crypt bundle, and the files to
 * copy from the sysroot (binaries and key files required, configuration optional).
 * Ownership: struct rf_bundle_out owns everything; rf_bundle_out_free releases it.
 * Errors: -errno with the message in err.
 */
#pragma once
#include "bundle.h"
#include "conf.h"
#include "crypttab.h"
#include "manifest.h"
#include "plan.h"

struct rf_bundle_out {
	struct rf_plan_step *steps;
	size_t nsteps, cap;
	struct rf_conf_list required; /* sysroot paths: binaries, crypttab key files */
	struct rf_conf_list optional; /* sysroot paths copied when present: configuration */
	bool secrets;                 /* a key file is in the image */
};

/* ct: the sysroot's crypttab (may be empty); hostonly with the probe's stack picks the
 * entries of the root's volumes besides those marked "initramfs". */
int rf_bundle_out_make(const struct rf_bundles *b, const struct rf_crypttab *ct, bool hostonly,
		       const struct rf_strv *stack, struct rf_bundle_out *out, struct rf_err *err);

/* Put the required and optional files, with their libraries, into m (items.h); every path of
 * the image they add is appended to added when not NULL. */
int rf_bundle_out_add_files(const struct rf_bundle_out *out, const char *sysroot,
			    struct rf_manifest *m, struct rf_strv *added, struct rf_err *err);

void rf_bundle_out_free(struct rf_bundle_out *out);
