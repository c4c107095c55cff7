/* SPDX-License-Identifier: MIT */
/*
 * The check behind `ramforge status` and `build --if-stale`: IMAGE's input record against
 * what a build with the same options would read now (lib/staleness.h).
 * Ownership: *image and the lines are the caller's. Errors: -errno with err; -ENODATA when
 * the image has no record ("unknown").
 */
#pragma once
#include <stdbool.h>

#include "opts.h"
#include "util.h"

enum { RF_STATUS_UP_TO_DATE = 0, RF_STATUS_STALE = 1 };

/* The image to check: IMAGE of the command line, else the kernel's default image (KVER: -k,
 * else the running kernel), in *image. */
int rf_status_image(const struct rf_opts *o, char **image, struct rf_err *err);

/* Check image: RF_STATUS_UP_TO_DATE or RF_STATUS_STALE with the differences in diffs, or
 * -errno. The kernel is -k's; without -k, the record's when image was named on the command
 * line (status IMAGE), else the running kernel's. */
int rf_status_check(const struct rf_opts *o, const char *image, struct rf_strv *diffs,
		    struct rf_err *err);
