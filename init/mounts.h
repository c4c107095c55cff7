/* SPDX-License-Identifier: MIT */
/*
 * The early filesystems: devtmpfs on /dev, proc, sysfs, tmpfs on /run, and a console on fds
 * 0, 1 and 2. Returns 0 or -errno of the first mount that failed (after trying them all).
 */
#pragma once

int rf_mounts_setup(void);
