/* SPDX-License-Identifier: MIT */
/*
 * modules-load.d, read with systemd-modules-load's rules: *.conf files from
 * SYSROOT/etc, /run, /usr/local/lib, /usr/lib and /lib `modules-load.d/`; a file name in an
 * earlier directory hides the same name in a later one (a symlink to /dev/null masks it);
 * files are read in file-name order; lines are stripped; empty lines and lines starting with
 * '#' or ';' are comments. Each name becomes an automatic request with origin
 * "DIR/FILE:LINE", the path relative to the sysroot (e.g. "etc/modules-load.d/foo.conf:2").
 * A line that is not a module name (e.g. two words) is an error naming FILE:LINE.
 */
#pragma once
#include "request.h"
#include "util.h"

/* Append every entry to reqs. A missing directory is fine; a file that cannot be read, is not a
 * regular file or is over 1 MiB is an error. Symlinks resolve inside the sysroot (input.h); one
 * that leads nowhere there is skipped and hides its name, like a mask. */
int rf_modules_load_read(const char *sysroot, struct rf_requests *reqs, struct rf_err *err);
