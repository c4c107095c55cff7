/* SPDX-License-Identifier: MIT */
/*
 * Bundles: what booting a root on LUKS, LVM or md RAID needs besides kernel modules. Each is
 * a directory modules.d/NN-NAME/ of the source tree with one manifest, bundle.conf, in the
 * syntax of ramforge.conf (confsyntax.h; never evaluated), compiled into ramforge. Keys:
 *   description="..."         one line for `ramforge bundles`
 *   tools="/sbin/lvm"         the sysroot files whose presence makes the bundle usable
 *   binaries="/sbin/lvm"      programs put into the image with their libraries (required)
 *   files="/etc/lvm/lvm.conf" configuration copied when the sysroot has it
 *   drivers="dm_mod"          explicit module requests, loaded early (must exist)
 *   optional_drivers="..."    the same, skipped when the kernel has no such module
 *   off="rd.lvm=0"            kernel command-line words that turn the bundle's steps off
 *   hostonly="dm-uuid:LVM-"   the root's device stack needs the bundle when one of its
 *                             devices matches: "dm-uuid:PREFIX" (a dm device's uuid starts
 *                             with PREFIX) or "md:" (an md array)
 *   step+="TRIGGER [COND...] /ABS/PROGRAM ARG..."   one step per line (common/plan.h says
 *                             what TRIGGER, the conditions and %{...} in ARGs mean); PROGRAM
 *                             must be one of the bundle's binaries
 * The bundle's name is NAME (the directory without "NN-"); bundles are kept in NN order.
 * Ownership: struct rf_bundles owns everything; rf_bundles_free releases it. Errors: -errno
 * with the message in rf_err ("modules.d/90-lvm/bundle.conf:7: why" for a bad manifest).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "request.h"
#include "util.h"

struct rf_bundle_step {
	char *trigger;        /* "device=LVM2_member", "root-missing=10" */
	struct rf_strv conds; /* "if=rd.lvm.lv", "filter=rd.luks.uuid", "uuid=...", ... */
	struct rf_strv argv;
	char *origin;         /* "modules.d/90-lvm/bundle.conf:14" */
};

struct rf_bundle {
	char *name, *dir;  /* "lvm", "90-lvm" */
	char *manifest;    /* "modules.d/90-lvm/bundle.conf" */
	char *description;
	struct rf_conf_list tools, binaries, files, drivers, optional_drivers, off, hostonly;
	struct rf_bundle_step *steps;
	size_t nsteps, capsteps;
	/* Set by rf_bundles_choose: */
	bool chosen;
	bool named;        /* chosen by name (add_bundles, --add-bundles) */
	char *why;         /* "add_bundles etc/ramforge.conf:3", "generic: /sbin/lvm is installed" */
	char *unusable;    /* why not (a tool missing from the sysroot), or NULL */
};

struct rf_bundles {
	struct rf_bundle *v;
	size_t n, cap;
};

/* The shipped bundles (modules.d/, compiled in). */
int rf_bundles_load(struct rf_bundles *b, struct rf_err *err);

/* Parse one manifest into a new bundle `dir` ("90-lvm"); `display` names it in messages. */
int rf_bundles_parse(struct rf_bundles *b, const char *dir, const char *text, const char *display,
		     struct rf_err *err);

/* The bundle called name, or NULL. */
struct rf_bundle *rf_bundles_find(const struct rf_bundles *b, const char *name);

enum rf_bundle_mode {
	RF_BUNDLES_GENERIC,  /* every bundle whose tools the sysroot has (dracut's way) */
	RF_BUNDLES_HOSTONLY, /* those the root's device stack needs */
	RF_BUNDLES_NAMED,    /* only those named (--drivers, the NAMEs of `deps`) */
};

struct rf_bundle_choice {
	enum rf_bundle_mode mode;
	const char *sysroot;
	const struct rf_conf_list *add, *omit; /* word + origin each ("--add-bundles", file:line) */
	const struct rf_strv *stack;           /* hostonly: "dm-uuid:LVM-...", "md:md0" */
};

/* Mark the chosen bundles (chosen, why). An unknown name in add or omit, or an added bundle
 * whose tool the sysroot lacks, is an error naming it. */
int rf_bundles_choose(struct rf_bundles *b, const struct rf_bundle_choice *c, struct rf_err *err);

/* The chosen bundles' drivers as explicit, early requests, each with "bundle NAME (FILE:LINE)"
 * as its origin. A kernel without one of a named bundle's drivers fails the build; optional
 * drivers, and those of bundles chosen automatically (a generic image on a kernel without
 * device-mapper), are left out quietly. -ENOMEM. */
int rf_bundles_requests(const struct rf_bundles *b, struct rf_requests *reqs);

void rf_bundles_free(struct rf_bundles *b);
