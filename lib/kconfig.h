/* SPDX-License-Identifier: MIT */
/*
 * One value of a kernel's build configuration (SYSROOT/boot/config-KVER): `CONFIG_X=y`,
 * `CONFIG_X="text"` (quotes removed; kconfig writes no escapes in the values read here),
 * `# CONFIG_X is not set` (absent).
 * Ownership: *value is malloc'd, the caller frees it.
 * Errors: -errno with "FILE: why" in err (-ENOENT when the file is missing).
 */
#pragma once
#include <stdbool.h>

#include "util.h"

/* 1 with *value set when key (e.g. "CONFIG_MODULE_SIG_HASH") has a value, 0 when not set. */
int rf_kconfig_get(const char *file, const char *key, char **value, struct rf_err *err);

/* Does the config text (NULL: none) hold line ("CONFIG_X=y") as a whole line? */
bool rf_kconfig_has(const char *config, const char *line);
