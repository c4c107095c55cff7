/* SPDX-License-Identifier: MIT */
/*
 * The root's /etc/fstab, as far as the initramfs must act on it: systemd expects /usr mounted
 * before switch_root when it is a filesystem of its own, and entries marked x-initrd.mount
 * too. Pure parsing, no I/O, no logging (unit-tested).
 * Fields: SPEC FILE TYPE OPTIONS [FREQ PASSNO], blank-separated, \040-style octal escapes,
 * '#' comments. Options: noauto (the entry is not mounted), nofail (a failure is a warning),
 * ro/rw; options for fstab's users and for userspace (defaults, auto, nofail, user, users,
 * nouser, owner, group, _netdev, comment=..., x-...) and the defaults (exec, suid, dev, async)
 * are dropped; the rest (noatime, errors=remount-ro, subvol=...) is kept for mount(2).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct rf_fstab_entry {
	char spec[256];  /* UUID=..., LABEL=..., PARTUUID=..., PARTLABEL=..., /dev/..., or other */
	char file[256];  /* the mount point, absolute, no "." or ".." component, no trailing '/' */
	char type[64];   /* "" for auto */
	char opts[512];  /* what mount(2) takes, comma-separated ("" when none) */
	unsigned line;
	bool rw;         /* rw unless ro */
	bool nofail;
};

/* The entries of text (NUL-terminated) to mount in the initramfs, in file order: /usr, and
 * every entry with x-initrd.mount (the root, swap and noauto entries never). At most max go
 * into out; returns how many there are (may exceed max). A malformed line is skipped;
 * bad (if given) counts the lines that cannot be read (longer than 2047 bytes, a field too
 * long) or that are meant for the initramfs but unusable (a relative or ".." mount point):
 * the init warns about them. */
size_t rf_fstab_parse(const char *text, struct rf_fstab_entry *out, size_t max, size_t *bad);

/* spec names a block device (a /dev path or a TAG=), to be waited for as the root is. */
bool rf_fstab_is_block(const char *spec);
