/* SPDX-License-Identifier: MIT */
/*
 * The module closure: from requests to the set of modules the image holds, resolved through
 * libkmod exactly as `modprobe --show-depends` would (hard dependencies, softdeps pre and post
 * looked up as aliases, builtins, blacklist for automatic requests and aliases), plus ramforge's
 * deny rules: `install NAME /bin/false` (and the other no-op commands) and omit_drivers, which
 * exclude the module and everything that hard-depends on it.
 * Ownership: rf_closure_resolve fills a struct rf_modset the caller frees with rf_modset_free.
 * Errors: -errno, message in rf_err (the failing name included). Warnings are collected in the
 * set (rf_modset.warnings) for the caller to print; this layer never prints.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "modfile.h"
#include "request.h"
#include "util.h"

struct rf_module {
	char *name;    /* kmod-normalised ("-" -> "_") */
	char *path;    /* relative to the module tree ("kernel/fs/ext4/ext4.ko.zst"); NULL if builtin */
	char *stored;  /* its name in the image when that differs from path (compressed one by one:
			* "kernel/fs/ext4/ext4.ko.zst" for ext4.ko; modpack.h); NULL: path */
	char *why;     /* first reason: "requested", "alias fs-xfs", "dependency of ext4", ... */
	char *options; /* modprobe.d options for it, or NULL */
	bool builtin;  /* built into the kernel: satisfied, no file */
	bool early;    /* load at boot before looking for the root device: some early request's
			* closure holds it; else the init loads it on demand (coldplug) */
	size_t *deps;  /* indices into rf_modset.mods: hard dependencies (transitive, as modules.dep) */
	size_t ndeps;
	size_t *pre; /* softdep pre targets that are in the set */
	size_t npre;
	size_t *post; /* softdep post targets that are in the set */
	size_t npost;
	struct rf_modinfo info; /* firmware names and signature, from the read that checked the
				 * file (modfile.h); empty for builtins */
};

/* The module's file name in the image, relative to its module directory. */
static inline const char *rf_module_file(const struct rf_module *m)
{
	return m->stored ? m->stored : m->path;
}

struct rf_exclusion {
	char *name; /* kmod-normalised */
	char *why;  /* "etc/modprobe.d/deny.conf:4: install floppy /bin/false" */
};

/* Modules in a valid load order: every module after its hard deps and pre-softdeps. */
struct rf_modset {
	char *kver;
	char *kmoddir;
	struct rf_module *mods;
	size_t n, cap;
	struct rf_exclusion *excl;
	size_t nexcl, exclcap;
	struct rf_strv warnings; /* one line each, without the "ramforge: warning: " prefix */
};

struct rf_selection {
	const char *sysroot; /* "/" by default */
	const char *kver;    /* target kernel */
	const char *kmoddir; /* the module tree: SYSROOT/lib/modules/KVER by default */
	const struct rf_requests *omit; /* names never to include, with where each was asked for */
	bool graph; /* fill rf_module deps/pre/post (the image needs them; a name list does not) */
};

/* Resolve reqs on the tree and config of sel into set (zero-initialised by the caller). */
int rf_closure_resolve(const struct rf_selection *sel, const struct rf_requests *reqs,
		       struct rf_modset *set, struct rf_err *err);

/* Index of the module named name (normalised) in set, or -1. */
long rf_modset_find(const struct rf_modset *set, const char *name);

void rf_modset_free(struct rf_modset *set);
