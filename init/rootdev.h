/* SPDX-License-Identifier: MIT */
/*
 * Finding and mounting the root filesystem: root=/dev/NAME, UUID=, LABEL=, PARTUUID=,
 * PARTLABEL= (and the /dev/disk/by-* spellings of those, as there is no udev to make them),
 * matched with libblkid; rootfstype= or the probed type; rootflags=, ro/rw.
 * Errors: -errno; the reason for the user in why (when given). Never prints, except in
 * rf_rootdev_list, whose job it is.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Wait up to timeout seconds (< 0: forever) for the device root names; its /dev path goes into
 * dev. Between two looks it calls idle(arg, ms) to wait (NULL: sleep), where devices' drivers
 * get loaded. -ENOENT when it did not appear, -EINVAL for a root= this init cannot read. */
int rf_rootdev_find(const char *root, int timeout, void (*idle)(void *arg, int ms), void *arg,
		    char *dev, size_t devlen, char *why, size_t whylen);

/* The filesystem type libblkid finds on dev into type ("" when none). */
void rf_rootdev_type(const char *dev, char *type, size_t typelen);

/* Mount dev on target. fstype NULL: the probed type, else every type in /proc/filesystems. */
int rf_rootdev_mount(const char *dev, const char *fstype, const char *flags, bool rw,
		     const char *target, char *why, size_t whylen);

/* Log at prio every block device there is, with its type, UUID and label. */
void rf_rootdev_list(int prio);
