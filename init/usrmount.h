/* SPDX-License-Identifier: MIT */
/*
 * A separate /usr (and the x-initrd.mount entries) of the root's /etc/fstab, mounted under the
 * new root before switch_root, as systemd requires of an initramfs: each device found by the
 * rules of root= (/dev/..., UUID=, LABEL=, PARTUUID=, PARTLABEL=, waited for as the root is),
 * its filesystem's driver loaded, type and options from fstab.
 * Errors: -errno with the reason in why (which entry, which fstab line, what went wrong); an
 * entry with nofail only warns. A root without etc/fstab, or without such entries, is fine.
 */
#pragma once
#include <stddef.h>

#include "rootdev.h"

/* What mounting needs from the rest of the init. */
struct rf_usrmount_env {
	const struct rf_rootdev_wait *wait; /* waiting for the devices, as for the root */
	int timeout;                        /* seconds, < 0: forever */
	/* Ask for the driver of filesystem type (comma-separated types allowed), then wait until
	 * the modules asked for are loaded. */
	void (*want_fs)(void *arg, const char *type);
	void (*settle)(void *arg);
	void *arg;
};

/* Mount the entries of NEWROOT/etc/fstab that the initramfs must, under newroot. */
int rf_usrmount(const char *newroot, const struct rf_usrmount_env *env, char *why, size_t whylen);
