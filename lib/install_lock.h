/* SPDX-License-Identifier: MIT */
/*
 * The lock that serialises builds into one directory (e.g. /boot): an exclusive flock(2) on
 * DIR/.ramforge.lock, a file only its owner (root) can open, so that no other user can hold it
 * (anyone can open, and flock, the directory itself). The file is opened with O_NOFOLLOW and
 * O_CREAT (mode 0600); one that is a symlink, not a regular file, not owned by the effective
 * uid or with other hard links is refused, never followed or chmod'ed. The holder removes it
 * before unlocking; a waiter that then holds a removed file opens the new one, so the name
 * always leads to the current holder's file. After kill -9 an empty file stays and the next
 * build takes it. A file left with group or other bits set (made by another tool) is made
 * 0600; where the filesystem cannot (vfat) the wait is still bounded.
 *
 * Errors: -errno with a one-line message naming IMAGE and the lock file: -ELOOP (a symlink),
 * -EPERM (not ours), -ETIMEDOUT (held by another build longer than the timeout).
 */
#pragma once
#include "util.h"

#define RF_LOCK_NAME ".ramforge.lock"

/* Lock the directory open as dirfd (named dir in messages) for a build of image, waiting at
 * most timeout seconds (0: try once). Returns the lock's fd (owned; give it to
 * rf_dirlock_release) or -errno. */
int rf_dirlock_take(int dirfd, const char *dir, const char *image, int timeout, struct rf_err *err);

/* Remove the lock file and unlock. lockfd < 0 is fine. */
void rf_dirlock_release(int dirfd, int lockfd);
