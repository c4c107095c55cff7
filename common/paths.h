/* SPDX-License-Identifier: MIT */
/*
 * Where things are inside an image (and, for modprobe.d, inside the sysroot), shared by the
 * builder that writes them and the init that reads them. Relative paths, no leading '/'.
 */
#pragma once

#define RF_MODULES_DIR "lib/modules" /* + "/KVER/<the tree's relative paths>" */

/* kmod's modprobe.d directories, in its order of precedence: a file hides one of the same name
 * in a later directory. NULL-terminated. */
#define RF_MODPROBE_DIRS                                                                         \
	{ "etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "usr/lib/modprobe.d",  \
	  "lib/modprobe.d", NULL }
