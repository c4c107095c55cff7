/* SPDX-License-Identifier: MIT */
/*
 * `build --if-stale` and `build --regenerate-all [--parallel N]`.
 * Ownership: *image is the caller's. Errors: -errno with err.
 */
#pragma once
#include <stdbool.h>

#include "opts.h"
#include "util.h"

/* One kernel's build (cmd_build.c): with --if-stale, first the status check (status_check.h),
 * and no build when the image exists and is up to date (*up_to_date). *image: the image
 * written or checked. */
int rf_build_kernel(const struct rf_opts *o, int lock_secs, char **image, bool *up_to_date,
		    struct rf_err *err);

/* The default image of every SYSROOT/lib/modules/KVER that has modules.dep and a kernel
 * SYSROOT/boot/vmlinuz-KVER, each built by rf_build_kernel in a process of its own, at most
 * --parallel N at a time (default: the number of CPUs); one line per kernel on stdout in
 * KVER order ("KVER: wrote IMAGE", "KVER: up to date", "KVER: error: why") once all are done.
 * Returns the exit status: 0 when every one worked (or there is no kernel: a warning), 1 when
 * any failed; -errno (usage errors) with err. */
int rf_build_all(const struct rf_opts *o, int lock_secs, struct rf_err *err);
