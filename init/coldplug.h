/* SPDX-License-Identifier: MIT */
/*
 * Coldplug without udev: each device's modalias (read from /sys/devices at start, then from the
 * kernel's uevents as devices appear) is matched against the image's modules.alias with kmod's
 * rules (both normalised, then fnmatch), and every matching module of the plan is handed to the
 * loader, unless the command line or the image's modprobe.d blacklists it (as `modprobe -b`
 * does for udev). Only devices that are there ask for modules.
 * Ownership: struct rf_coldplug borrows plan, cmdline and loader (they must outlive it);
 * rf_coldplug_free releases the rest. Errors: none fatal: without modules.alias nothing is
 * matched, without the uevent socket /sys is read again on every poll. Messages go to the log.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "aliasindex.h"
#include "cmdline.h"
#include "modload.h"
#include "plan.h"

struct rf_deny {
	char *name;  /* normalised module name */
	char *where; /* "etc/modprobe.d/x.conf:3" */
};

struct rf_coldplug {
	const struct rf_plan *plan;
	const struct rf_cmdline *cmd;
	struct rf_loader *loader;
	char *text; /* modules.alias */
	struct rf_aliasindex aliases; /* normalised patterns, in text; mod: index into the plan */
	struct rf_deny *deny; /* `blacklist` lines of the image's modprobe.d */
	size_t ndeny;
	char **seen; /* modaliases already handled */
	size_t nseen, seencap;
	bool *told; /* per plan module: its blacklisting was logged */
	int fd;     /* the uevent socket, -1 without one */
	size_t devices, loads; /* devices that matched, modules they asked for */
	char **blocks; /* block devices the kernel has finished adding (names in /sys/class/block) */
	size_t nblocks, blockcap;
};

/* Open the uevent socket and note the block devices there already (the kernel finished adding
 * those before it ran /init). Call it first, before any module loads: every block device added
 * later is then announced on the socket, and only once announced may it be opened. */
void rf_coldplug_open(struct rf_coldplug *c);
/* Read the aliases and the blacklist (after rf_coldplug_open, before the first scan, so no
 * device falls between the socket and the scan). */
void rf_coldplug_init(struct rf_coldplug *c, const struct rf_plan *plan,
		      const struct rf_cmdline *cmd, struct rf_loader *loader);
/* The kernel has announced block device name (or there is no socket to tell): opening its node
 * now cannot race the kernel's own setup of it, which would make the kernel try to load a
 * block-major-N module ("block device autoloading is deprecated"). */
bool rf_coldplug_block_ready(const struct rf_coldplug *c, const char *name);
/* Every modalias under /sys/devices. */
void rf_coldplug_scan(struct rf_coldplug *c);
/* Wait up to ms for uevents and handle those that came. */
void rf_coldplug_poll(struct rf_coldplug *c, int ms);
/* The driver of a filesystem type (alias fs-TYPE, or the module named TYPE); types may be a
 * comma-separated list, as rootfstype= is. True when a module was asked for. */
bool rf_coldplug_want_fs(struct rf_coldplug *c, const char *types);
void rf_coldplug_free(struct rf_coldplug *c);
