/* SPDX-License-Identifier: MIT */
/*
 * The module segment of `ramforge build` (modpack.h): the format from --module-compress over
 * module_compress=, the stored names given before the image is composed, and after it the
 * modules moved into the uncompressed segment through the compression cache (--cache DIR,
 * --no-cache, RAMFORGE_CACHE_DIR, module_cache= inside the sysroot). -v lines go through rf_log.
 * Errors: -errno with one line in err (never for the cache: zcache.h).
 */
#pragma once
#include "archive.h"
#include "closure.h"
#include "decompress.h"
#include "manifest.h"
#include "opts.h"
#include "select.h"

/* The per-module format for this build, and the set's stored names for it. */
int rf_build_modpack_names(const struct rf_opts *o, const struct rf_select *s,
			   const struct rf_archive_opts *a, struct rf_modset *set,
			   enum rf_comp *format, struct rf_err *err);

/* Move the modules from m into seg (nothing when format is RF_COMP_NONE). */
int rf_build_modpack_move(const struct rf_opts *o, const struct rf_select *s,
			  const struct rf_modset *set, enum rf_comp format, struct rf_manifest *m,
			  struct rf_manifest *seg, struct rf_err *err);
