/* SPDX-License-Identifier: MIT */
/*
 * Handing over to the real root: choose its init, move /dev /proc /sys /run into it, free the
 * initramfs, chroot and exec. Errors: -errno with the reason in why.
 */
#pragma once
#include <stddef.h>

/* The init to run inside newroot: asked (init=) if it exists there, else the first of
 * /sbin/init, /etc/init, /bin/init, /bin/sh. -ENOENT when there is none. */
int rf_switchroot_find_init(const char *newroot, const char *asked, char *init, size_t len,
			    char *why, size_t whylen);

/* Switch to newroot and exec init with argv and the current environment. Returns only on
 * failure; once the initramfs has been emptied a failure is final (why says so). */
int rf_switchroot(const char *newroot, const char *init, char *const argv[], char *why,
		  size_t whylen);
