/* SPDX-License-Identifier: MIT */
/*
 * The builder's side of the load plan (format: common/plan.h): turn the closure's module set
 * into the plan file that ramforge-init executes, and add it to the image's manifest.
 * Errors: -errno, the message in err. Nothing is printed.
 */
#pragma once
#include "closure.h"
#include "manifest.h"
#include "plan.h"
#include "util.h"

/* Add RF_PLAN_PATH (mode 0644) to m, describing every module of set in set's order, then the
 * bundles' steps (borrowed; nsteps may be 0). */
int rf_plan_add(const struct rf_modset *set, const struct rf_plan_step *steps, size_t nsteps,
		struct rf_manifest *m, struct rf_err *err);
