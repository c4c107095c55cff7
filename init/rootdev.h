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

/* How rf_rootdev_find waits: idle(arg, ms) between two looks (NULL: sleep), where devices'
 * drivers get loaded and the bundles' steps run; it returns the seconds of it the timeout must
 * not count (a step waiting for a passphrase). ready(arg, NAME) says whether the kernel has
 * finished adding block device NAME (NULL: as soon as its node exists), as no device may be
 * opened before. */
struct rf_rootdev_wait {
	double (*idle)(void *arg, int ms);
	bool (*ready)(void *arg, const char *name);
	void *arg;
};

/* Wait up to timeout seconds (< 0: forever) for the device root names; its /dev path goes into
 * dev. A device counts once it has a size: a dm device once it has a table, an md array once
 * it runs. -ENOENT when it did not appear, -EINVAL for a root= this init cannot read. */
int rf_rootdev_find(const char *root, int timeout, const struct rf_rootdev_wait *wait, char *dev,
		    size_t devlen, char *why, size_t whylen);

/* Block device NAME (in /sys/class/block) has a /dev node and a size: it may be probed. */
bool rf_rootdev_usable(const char *name);

/* What libblkid finds on /dev/NAME: TYPE (a filesystem, LUKS, an LVM PV, a RAID member) and
 * UUID, "" when none; *parted whether it holds a partition table. */
void rf_rootdev_identify(const char *name, char *type, size_t typelen, char *uuid,
			 size_t uuidlen, bool *parted);

/* The filesystem type libblkid finds on dev into type ("" when none). */
void rf_rootdev_type(const char *dev, char *type, size_t typelen);

/* Mount dev on target. fstype NULL: the probed type, else every type in /proc/filesystems. */
int rf_rootdev_mount(const char *dev, const char *fstype, const char *flags, bool rw,
		     const char *target, char *why, size_t whylen);

/* Log at prio every block device there is, with its type, UUID and label. */
void rf_rootdev_list(int prio);
