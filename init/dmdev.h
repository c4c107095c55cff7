/* SPDX-License-Identifier: MIT */
/*
 * Device-mapper and md devices made without udev, left the way udev would have left them, so
 * that the real root's systemd and udev take them over: for each dm device with a table,
 * /dev/mapper/NAME (node or link) and, for an LVM volume, /dev/VG/LV; and its udev database
 * entry, /run/udev/data/b<maj>:<min>, with the flags lvm2's rules import when udev replays the
 * "add" events after switch_root (DM_UDEV_PRIMARY_SOURCE_FLAG=1 and the rest; without them the
 * rules take the device for one not yet set up, and systemd waits for it forever), plus its
 * /run/udev/tags/systemd entry, by which systemd finds it at start. A running md array gets
 * LVM_MD_PV_ACTIVATED=1, which lvm2's rules look for before they count it as a PV.
 * /run itself is handed to the new root by rf_switchroot.
 * Silent: errors are returned (the first one; the rest is still done), never logged.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Do it for every such device. root prefixes /sys, /dev and /run ("" at boot; a test's
 * directory). Returns how many devices were handled, or -errno of the first failure. */
int rf_dm_sync(const char *root);

/* The VG and LV of an LVM dm name ("vg--a-lv" is VG "vg-a", LV "lv"); false when the name is
 * not VG-LV (no single '-', a third part such as "-real" or "-tpool", a name too long). */
bool rf_dm_split_lvm(const char *name, char *vg, size_t vglen, char *lv, size_t lvlen);
