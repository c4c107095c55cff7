/* SPDX-License-Identifier: MIT */
/*
 * The hostonly probe: what the build host needs to reach its root file system, read under a
 * root directory (ROOT/proc/self/mountinfo, ROOT/sys; "/" on a real host, a fake tree in
 * tests and image pipelines). The root mount's device is followed up the sysfs device tree:
 * each ancestor's modalias and bound driver module, and for dm/md devices their type (dm
 * uuid prefix, md level) and their slaves, recursively; plus the root file system type.
 * Everything found is an automatic request whose origin says where it came from
 * ("hostonly: bound driver ahci of /sys/devices/..."); the closure looks the names up in the
 * target tree, so a KVER other than the running one gets the same drivers.
 * A modalias that no module of the target tree (kmoddir) matches is dropped quietly: most
 * devices on a chain (bridges, hubs) are driven by built-in code.
 * The root's stack is listed in `stack` (if not NULL) for the bundles: "dm-uuid:UUID" per
 * device-mapper device (its dm uuid: "LVM-...", "CRYPT-LUKS2-..."), "md:NAME" per md array.
 * Ownership: requests, warnings and the stack are appended to lists the caller owns.
 * Errors: -errno with the message in rf_err when the root mount cannot be found; devices
 * that cannot be followed are warnings.
 */
#pragma once
#include "request.h"
#include "util.h"

int rf_hostonly_scan(const char *root, const char *kmoddir, struct rf_requests *reqs,
		     struct rf_strv *warnings, struct rf_strv *stack, struct rf_err *err);
