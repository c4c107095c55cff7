/* SPDX-License-Identifier: MIT */
/*
 * Files of the SYSROOT put into the image at their own paths: the bundles' binaries and config
 * files, and ramforge.conf's install_items. An item is a path inside the sysroot, read as if
 * chrooted there (input.h, rootpath.h: symlinks never lead out of it).
 *
 * An item whose content is ELF (whatever its name), or a #! script with an execute bit, brings
 * what it needs to run, as the loader finds it inside the sysroot (elfdeps.h): its PT_INTERP,
 * every library of its DT_NEEDED closure and what its .note.dlopen notes name, and
 * libgcc_s.so.1 when a closure holds glibc's libc.so.6 (glibc dlopen()s it to unwind a thread;
 * items.c says why always). A library that cannot be found is an error naming the program and
 * the soname. With programs come the sysroot's top-level links of a merged /usr (/sbin ->
 * usr/sbin, ...), so that either path of a program works. Any other item is a plain file. Every symlink met on the way to a file is an entry of its own, with its target
 * unchanged (/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2, and on
 * a merged /usr the directory links lib -> usr/lib, sbin -> usr/sbin), so that every path the
 * program, the kernel and the loader open resolves in the image as in the sysroot; a directory
 * link moves what the image already has there (its lib/modules) to where the link leads
 * (rf_manifest_add_symlink_merge). Files keep their permission bits (0755 programs); their
 * parent directories are made (0755). A file several items share goes in once; a path the
 * image already holds as something else (its /init, the modprobe.d copies) is kept, with a
 * warning.
 *
 * Errors: -errno with one line "ORIGIN: PATH: why" in err. Every item is checked before
 * anything is added, so these leave the manifest as it was: a REQUIRED item that is missing
 * ("not found"), a relative path, a directory, a file that is not regular (a FIFO, a device:
 * never opened), a library not found ("ORIGIN: /usr/sbin/lvm: libfoo.so.1: not found"), a
 * broken ELF file. An OPTIONAL item that is missing (or whose directory is) is skipped
 * silently; one that exists is checked as a REQUIRED one. Failing while adding (out of
 * memory, a moved directory meeting another entry, a file of the image where the sysroot
 * has a directory) leaves the manifest only good for rf_manifest_free: do not write it.
 * Ownership: items are the caller's; the manifest owns what is added to it. This layer never
 * prints (diagnostics through log.h).
 */
#pragma once
#include <stddef.h>

#include "conf.h"
#include "manifest.h"
#include "util.h"

enum rf_item_flags {
	RF_ITEM_REQUIRED = 0,      /* missing: an error */
	RF_ITEM_OPTIONAL = 1 << 0, /* missing: skipped silently (config files: etc/lvm/lvm.conf) */
};

struct rf_item {
	const char *path;   /* absolute, inside the sysroot: "/usr/sbin/lvm" */
	unsigned flags;     /* enum rf_item_flags */
	const char *origin; /* starts its messages: "bundle lvm (modules.d/90-lvm/bundle.conf:4)" */
};

/* Put the n items of sysroot (NULL or "/": the host) into m. When added is not NULL, the
 * image paths ("usr/sbin/lvm", no leading '/') of the files and symlinks this call put in are
 * appended to it, sorted (not the parent directories, not what m had already). -errno. */
int rf_items_add(struct rf_manifest *m, const char *sysroot, const struct rf_item *items, size_t n,
		 struct rf_strv *added, struct rf_err *err);

/* The words of a list of ramforge.conf (install_items), each with flags and the origin
 * "KEY FILE:LINE" ("install_items etc/ramforge.conf:3"), through rf_items_add. */
int rf_items_add_conf(struct rf_manifest *m, const char *sysroot, const struct rf_conf_list *list,
		      const char *key, unsigned flags, struct rf_strv *added, struct rf_err *err);
