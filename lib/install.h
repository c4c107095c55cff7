/* SPDX-License-Identifier: MIT */
/*
 * Installing an image atomically: never lose the old one. rf_install_begin checks the target,
 * takes the lock and opens an unnamed (or hidden) temporary file beside IMAGE; the caller writes
 * the image to rf_install_fd(); rf_install_commit fsyncs it, keeps a backup of the old image,
 * renames over IMAGE, fsyncs the directory and prunes old backups. Anything that fails or is
 * interrupted (SIGINT, SIGTERM, SIGHUP) before the rename leaves IMAGE and every backup
 * byte-identical and removes the temporary file.
 *
 * Ownership: begin returns a struct rf_install that exactly one of rf_install_commit,
 * rf_install_abort or rf_install_fail consumes (frees). The fd belongs to it: do not close it.
 * Errors: -errno with a one-line message in err that says whether the old image is intact.
 *
 * Locking: builds into one directory (e.g. /boot) serialise on DIR/.ramforge.lock (see
 * install_lock.h), held from begin to commit/abort; the second then sees the first's image.
 * It waits at most lock_timeout seconds, then fails with -ETIMEDOUT.
 * Signals: begin installs handlers for SIGINT, SIGTERM and SIGHUP that remove the temporary file
 * (a backup this run made, and the lock file), print "ramforge: error: interrupted by SIGTERM;
 * IMAGE left as it was" and _exit(128 + signo); commit and abort restore the previous handlers.
 * A signal ignored when begin is called (nohup, a background job) stays ignored.
 *
 * Names: the temporary file is ".rf-tmp." and 12 random characters, whatever IMAGE's length.
 * A backup name adds up to 20 characters (".bak.MM-DD-HHMMSS-99"): an IMAGE whose backup name
 * would exceed the directory's NAME_MAX is refused by begin (-ENAMETOOLONG) when a backup is due.
 *
 * Backup retention: after the rename, the backups of IMAGE beyond keep are removed, oldest
 * first, never the one this run made. Oldest means made first: ordered by the backup's ctime
 * (a backup is a hard link of the old image, so its mtime is the image's, which cp -p, rsync -a
 * or a stepped clock can make anything; linking it sets the ctime), then by the name's
 * MM-DD-HHMMSS and -N suffix (the name has no year, so it is only the tie-break). On vfat a
 * backup is a copy and the kernel reports its mtime as ctime, so there the mtime decides.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct rf_install_opts {
	const char *image;  /* the file to write (its directory must exist) */
	bool force;         /* replace an existing IMAGE (otherwise: an error) */
	bool backup;        /* with force: keep the old image as NAME.bak.MM-DD-HHMMSS.img */
	int keep;           /* backups of this image kept at most (config `backups`); 0: none */
	uint64_t size_hint; /* bytes the new image will need at most; 0: no free-space check */
	int lock_timeout;   /* seconds to wait for another build's lock; 0: do not wait */
};

struct rf_install;

/* Check IMAGE (not a symlink, not a directory, parent exists, writable filesystem), refuse an
 * existing IMAGE without force, lock, check free space and the backup name's length, open the
 * temporary file (mode 0600). */
int rf_install_begin(struct rf_install **out, const struct rf_install_opts *o, struct rf_err *err);

/* The temporary file to write the image into (borrowed). */
int rf_install_fd(const struct rf_install *ins);

/* What a commit did, for the caller to tell the user. */
struct rf_install_report {
	bool unchanged;    /* the new image equals IMAGE byte for byte: IMAGE was left alone */
	bool replaced;     /* an older IMAGE was replaced */
	char backup[4096]; /* the backup made of it ("" when none), a path like IMAGE's */
};

/* fsync, backup (hard link, or a copy where the filesystem has none), rename over IMAGE, fsync
 * the directory, prune backups beyond keep. When the new image is byte-identical to IMAGE,
 * nothing is renamed and no backup is made. rep may be NULL. Consumes ins, success or not. */
int rf_install_commit(struct rf_install *ins, struct rf_install_report *rep, struct rf_err *err);

/* Remove the temporary file, leave IMAGE as it was, unlock. Consumes ins; NULL is fine. */
void rf_install_abort(struct rf_install *ins);

/* rf_install_abort, and append to err's message what became of IMAGE ("; IMAGE is intact" or
 * "; nothing was written"), for a failure of the caller's while writing. Returns code. */
int rf_install_fail(struct rf_install *ins, int code, struct rf_err *err);

/* The backup name for IMAGE at time t (local time): "${IMAGE%.img}.bak.MM-DD-HHMMSS.img", or
 * IMAGE".bak.MM-DD-HHMMSS" for a name not ending in .img. malloc'd; NULL on ENOMEM. */
char *rf_install_backup_name(const char *image, int64_t t);
