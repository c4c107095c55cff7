/* SPDX-License-Identifier: MIT */
/*
 * The sysroot's modprobe.d, listed the way kmod lists it: *.conf files from
 * SYSROOT/{etc,run,usr/local/lib,usr/lib,lib}/modprobe.d, a name in an earlier directory
 * hiding the same name in a later one, read in file-name order. libkmod makes the decisions;
 * this file only knows where each `blacklist` and `install` rule is written, so that every
 * exclusion can name its FILE:LINE, the `options` lines, and which files the image must carry.
 * Ownership: struct rf_modprobe_conf owns everything; rf_modprobe_conf_free releases it.
 */
#pragma once
#include "util.h"

enum rf_rule_kind { RF_RULE_BLACKLIST, RF_RULE_INSTALL, RF_RULE_OPTIONS };

struct rf_modprobe_rule {
	enum rf_rule_kind kind;
	char *pattern; /* module name (normalised) or fnmatch pattern for install */
	char *command; /* install: the command; options: the options; blacklist: NULL */
	char *where;   /* "etc/modprobe.d/deny.conf:4" */
};

struct rf_modprobe_conf {
	char *dirs[6];        /* absolute modprobe.d directories, NULL-terminated, for kmod_new */
	struct rf_strv files; /* absolute paths of the effective *.conf files, in kmod's order */
	struct rf_strv names; /* the same, relative to the sysroot */
	struct rf_modprobe_rule *rules;
	size_t nrules, cap;
	struct rf_strv warnings; /* "FILE:LINE: ..." about lines kmod reads otherwise */
};

/* List and scan. An unreadable file is an error naming it. */
int rf_modprobe_conf_load(struct rf_modprobe_conf *c, const char *sysroot, struct rf_err *err);

/* The first `blacklist NAME` rule for a normalised module name, or NULL. */
const struct rf_modprobe_rule *rf_modprobe_find_blacklist(const struct rf_modprobe_conf *c,
							  const char *name);
/* The first `install` rule whose pattern matches name (and whose command is cmd if cmd is
 * non-NULL), or NULL. */
const struct rf_modprobe_rule *rf_modprobe_find_install(const struct rf_modprobe_conf *c,
							const char *name, const char *cmd);

/* Every `options NAME ...` for a normalised module name, joined with spaces in file order;
 * malloc'd, NULL when there are none (or on ENOMEM). These come from the sysroot's files only:
 * libkmod would also add the build host's /proc/cmdline, which must not leak into an image. */
char *rf_modprobe_options(const struct rf_modprobe_conf *c, const char *name);

void rf_modprobe_conf_free(struct rf_modprobe_conf *c);
