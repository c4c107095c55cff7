/* SPDX-License-Identifier: MIT */
/*
 * The bundles' steps (common/plan.h, `step` records): which of them a device or the root's
 * absence calls for, and the argv each one runs with. Pure: no I/O, no logging; steprun.c
 * runs them.
 * Ownership: rf_step_argv returns a malloc'd NULL-terminated vector of malloc'd words, released
 * with rf_step_argv_free. Errors: -ENOMEM; -EINVAL for a word the plan format refuses (a step
 * built by hand: the parser lets none through).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"
#include "plan.h"

/* Two UUIDs are the same: compared without '-' and ':', case-insensitively, a "luks-" prefix
 * ignored (rd.luks.uuid=luks-UUID, mdadm's a:b:c:d and blkid's a-b-c-d spellings). An empty
 * UUID equals none. */
bool rf_step_uuid_eq(const char *a, const char *b);

/* Step s's conditions hold for a device with this blkid UUID (NULL: no device, the step is a
 * root-missing one): none of its off= words is on the command line, every if= KEY has a
 * value, no unless= KEY has one, the UUID is one of each filter= KEY's values (when it has
 * any) and equals uuid=. */
bool rf_step_conds_hold(const struct rf_plan_step *s, const struct rf_cmdline *cmd,
			const char *uuid);

/* The steps a new device of blkid TYPE type and UUID uuid calls for: of each bundle, the first
 * device=TYPE step (in plan order) whose conditions hold. Their indices into plan->steps go
 * to out (room for plan->nsteps), in plan order; returns how many. */
size_t rf_steps_for_device(const struct rf_plan *plan, const struct rf_cmdline *cmd,
			   const char *type, const char *uuid, size_t *out);

/* Step s's argv: "%{DEVICE}" and "%{UUID}" inside a word become dev and uuid (a device step's;
 * NULL for a root-missing one), a whole word "%{KEY}" one word per value of KEY (none: no
 * word), "%%" '%'. */
int rf_step_argv(const struct rf_plan_step *s, const struct rf_cmdline *cmd, const char *dev,
		 const char *uuid, char ***argv);
void rf_step_argv_free(char **argv);
