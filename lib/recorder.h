/* SPDX-License-Identifier: MIT */
/*
 * Making a build's input record (record.h) from what the build read: started before the
 * first stage, the recorder observes every file and directory the stages read through
 * input.h; made at the end, it adds every FILE entry of the image's manifests (modules and
 * the init are streamed from paths the stages never open through input.h), digests each file
 * as it is now and lists each directory again. Nothing is kept per stage: a stage that reads
 * through input.h is recorded.
 * Not recorded: the host's /proc, /sys, /dev and /run (and HOST_ROOT's): a hostonly build's
 * probe of the machine (its option is recorded).
 * Paths are relative to the sysroot when inside it, else absolute (record.h).
 * Ownership: the recorder is the caller's (rf_recorder_free stops it too).
 * Errors: -errno, "FILE: why" in err.
 */
#pragma once
#include <stddef.h>

#include "manifest.h"
#include "record.h"
#include "util.h"

struct rf_recorder;

/* Start observing (input.h's observer: one recorder at a time). host_root may be NULL. */
int rf_recorder_start(struct rf_recorder **out, const char *sysroot, const char *host_root);
/* Stop observing; what was seen is kept. */
void rf_recorder_stop(struct rf_recorder *rc);

struct rf_recorder_build {
	const char *version, *kver, *kmoddir;
	const struct rf_strv *options;       /* "NAME=VALUE", normalised by the caller */
	const struct rf_manifest *const *manifests; /* the image's (main, early), NULL-terminated */
};

/* Stop, then make the record of what was seen and of b into out (empty before). */
int rf_recorder_make(struct rf_recorder *rc, const struct rf_recorder_build *b,
		     struct rf_record *out, struct rf_err *err);
void rf_recorder_free(struct rf_recorder *rc);

/* The sha256 of the record path's file now (relative: inside sysroot, as a build reads it;
 * absolute: as given): 0, -ENOENT when it is missing (no message), else -errno and err. */
int rf_record_digest_path(const char *sysroot, const char *path, char hex[RF_DIGEST_HEX + 1],
			  struct rf_err *err);
/* The names a recorded directory lists now, each as "DIR/NAME", sorted, in names. */
int rf_record_list_dir(const char *sysroot, const char *dir, const char *suffixes,
		       struct rf_strv *names, struct rf_err *err);
/* The tree line's digest: KMODDIR/modules.dep.bin's; -ENOENT when it has none. */
int rf_record_tree_digest(const char *kmoddir, char hex[RF_DIGEST_HEX + 1], struct rf_err *err);
