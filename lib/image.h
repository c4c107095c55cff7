/* SPDX-License-Identifier: MIT */
/*
 * The image's contents (DESIGN.md "Image layout"), composed as a manifest from the module set:
 * /init, the modules at their tree paths under lib/modules/KVER, the depmod indexes for that
 * subset, the sysroot's modprobe.d files at their own paths, the init's load plan, the
 * directories the init mounts on, /dev/console and /dev/null, and the firmware found for the
 * modules (firmware.h) under lib/firmware.
 * Errors: -errno with the failing file named in rf_err.
 */
#pragma once
#include "closure.h"
#include "firmware.h"
#include "plan.h"
#include "manifest.h"
#include "util.h"

struct rf_image_inputs {
	const char *sysroot;   /* where modprobe.d files are read */
	const char *init_path; /* the ramforge-init binary */
	const struct rf_plan_step *steps; /* the bundles' steps for the plan (bundle_plan.h) */
	size_t nsteps;
	const struct rf_firmware *firmware; /* the firmware files to hold, or NULL: none */
};

int rf_image_compose(const struct rf_modset *set, const struct rf_image_inputs *in,
		     struct rf_manifest *m, struct rf_err *err);
