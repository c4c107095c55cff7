/* SPDX-License-Identifier: MIT */
/* `ramforge ls -f FILE` and `ramforge ls --unpack DIR`: what they need beyond the listing.
 * Each prints its own output and notes, and returns 0 or -errno with the message in err. */
#pragma once
#include "inspect.h"
#include "opts.h"

/* Usage errors of -f, --unpack and --devices: -EINVAL with the message, else 0. */
int rf_ls_extract_check(const struct rf_opts *o, struct rf_err *err);
int rf_ls_file(struct rf_inspect *img, const char *image, const char *file, struct rf_err *err);
int rf_ls_unpack(struct rf_inspect *img, const char *image, const char *dir, bool devices,
		 struct rf_err *err);
