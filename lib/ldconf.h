/* SPDX-License-Identifier: MIT */
/*
 * The library directories of a root's /etc/ld.so.conf, as ldconfig reads them (the directories
 * the loader's cache is built from, in that order): one directory a line, `#` comments,
 * `include PATTERN...` (glob(3) patterns, a relative one from the including file's directory,
 * matched inside the root), `hwcap` lines ignored, ldconfig's "DIR=TYPE" read as DIR, trailing
 * slashes dropped, each directory once. A missing file is no directory.
 * Errors: -errno with "FILE: why" in err (-ELOOP for includes nested more than 16 deep).
 * Ownership: the directories are appended to the caller's list.
 */
#pragma once
#include "rootpath.h"
#include "util.h"

/* Append the directories of ROOT/etc/ld.so.conf to dirs; rp resolves paths under the same root. */
int rf_ldconf_read(struct rf_rootpath *rp, const char *root, struct rf_strv *dirs, struct rf_err *err);
