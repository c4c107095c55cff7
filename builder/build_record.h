/* SPDX-License-Identifier: MIT */
/*
 * The build's side of the input record (lib/recorder.h): which command-line options shape an
 * image, normalised ("NAME=VALUE", word lists sorted and unique, only what was given), the
 * same for `build` (recording) and `status` (comparing); and the record put into the image.
 * Ownership: the caller's lists. Errors: -errno, message in err.
 */
#pragma once
#include "manifest.h"
#include "opts.h"
#include "recorder.h"

/* The shaping options of o into out: not -k, --kmoddir, --sysroot (the kernel, the tree and
 * the files are recorded by content), nor --compress (the image tells its compression
 * itself, and the record stays the same in every compression), nor -f, --no-backup,
 * --lock-timeout, -v, -q. -ENOMEM. */
int rf_build_options(const struct rf_opts *o, struct rf_strv *out);

/* Make the record (rc stops observing) and add it to m at RF_RECORD_PATH. */
int rf_build_record_add(struct rf_recorder *rc, const struct rf_opts *o, const char *kver,
			const char *kmoddir, const struct rf_manifest *const *image,
			struct rf_manifest *m, struct rf_err *err);
