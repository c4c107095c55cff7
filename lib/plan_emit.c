// SPDX-License-Identifier: MIT
/*
 * Builder side of the load plan: the closure's module set, in its load order, becomes the plan
 * file in the image. The format itself lives in common/plan.c (shared with the init).
 */
#include "plan_emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

int rf_plan_add(const struct rf_modset *set, const struct rf_plan_step *steps, size_t nsteps,
		struct rf_manifest *m, struct rf_err *err)
{
	/* The plan's formatter only reads its steps. */
	struct rf_plan plan = { .kver = set->kver, .n = set->n,
				.steps = (struct rf_plan_step *)steps, .nsteps = nsteps };
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!set->kver)
		return rf_fail(err, -EINVAL, "load plan: the module set names no kernel version");
	plan.mods = calloc(set->n ? set->n : 1, sizeof(*plan.mods));
	if (!plan.mods)
		return rf_fail(err, -ENOMEM, "load plan: out of memory");
	/* The plan only borrows the set's strings and index arrays: both use indices into the
	 * same order, so nothing is copied. */
	for (size_t i = 0; i < set->n; i++) {
		const struct rf_module *mod = &set->mods[i];

		plan.mods[i] = (struct rf_plan_mod){
			.name = mod->name,
			.path = mod->builtin ? NULL : mod->stored ? mod->stored : mod->path,
			.options = mod->options,
			.early = mod->early,
			.deps = mod->deps,
			.ndeps = mod->ndeps,
			.pre = mod->pre,
			.npre = mod->npre,
			.post = mod->post,
			.npost = mod->npost,
		};
	}
	r = rf_plan_format(&plan, &text, &len);
	free(plan.mods);
	if (r < 0)
		return rf_fail(err, r, "load plan: %s",
			       r == -EINVAL ? "a module name, path or option, or a bundle's step, cannot be written"
					    : strerror(-r));
	r = rf_manifest_add_bytes(m, RF_PLAN_PATH, text, len, 0644);
	free(text);
	if (r < 0)
		return rf_fail(err, r, "load plan: %s", strerror(-r));
	return 0;
}
