/* SPDX-License-Identifier: MIT */
/*
 * Is an image still what a build would make now? Its input record (record.h) against the
 * state now, without building: each recorded file digested again (a changed mtime alone
 * changes nothing), each recorded directory listed again, absent files looked for, the
 * version, kernel, options and the module tree's identity compared.
 * Differences are lines for the user, in this order: "ramforge upgraded A -> B" (or
 * downgraded), "kernel changed: A -> B", "options changed: NAME: A -> B" ("(none)" for an
 * option not given), "module tree changed", then by path: "changed: PATH", "added: PATH",
 * "removed: PATH".
 * Ownership: the lines are the caller's. Errors: -errno (a recorded file that cannot be read,
 * other than missing), message in err.
 */
#pragma once
#include "record.h"
#include "util.h"

struct rf_stale_now {
	const char *sysroot, *kver, *kmoddir, *version;
	const struct rf_strv *options; /* "NAME=VALUE" as the build records them */
};

/* Append every difference to diffs; none: up to date. */
int rf_stale_check(const struct rf_record *rec, const struct rf_stale_now *now,
		   struct rf_strv *diffs, struct rf_err *err);
