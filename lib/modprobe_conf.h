/* SPDX-License-Identifier: MIT */
/*
 * The sysroot's modprobe.d, listed the way kmod lists it: *.conf (and *.alias) files from
 * SYSROOT/{etc,run,usr/local/lib,usr/lib,lib}/modprobe.d, a name in an earlier directory
 * hiding the same name in a later one, read in file-name order. Files are read once, safely
 * (input.h: symlinks resolve inside the sysroot, regular files of at most 1 MiB), and those
 * bytes are all that libkmod and the image see. libkmod makes the decisions; this file only
 * knows where each `blacklist` and `install` rule is written, so that every exclusion can name
 * its FILE:LINE, the `options` lines, and what the image must carry.
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

/* One effective file and the bytes read from it. */
struct rf_modprobe_file {
	char *path; /* relative to the sysroot: "etc/modprobe.d/deny.conf" */
	char *text; /* NUL-terminated; len bytes (a NUL inside is kept, as kmod would read it) */
	size_t len;
};

struct rf_modprobe_conf {
	struct rf_modprobe_file *files; /* in kmod's order; masked names (/dev/null) left out */
	size_t nfiles, filecap;
	struct rf_modprobe_rule *rules;
	size_t nrules, cap;
	struct rf_strv warnings; /* "FILE:LINE: ..." about lines kmod reads otherwise */
};

/* List, read and scan. A file that cannot be read, is not a regular file or is over 1 MiB is an
 * error naming it. */
int rf_modprobe_conf_load(struct rf_modprobe_conf *c, const char *sysroot, struct rf_err *err);

struct kmod_ctx;
/* kmod_new(kmoddir) configured with exactly c's files: their bytes are written into a private
 * temporary directory (mkdtemp, 0700, under TMPDIR or /tmp; each at its own relative path,
 * so kmod's name order holds and its messages name the file), which is removed once kmod_new
 * has parsed it. libkmod so never opens a sysroot path itself (it would follow links out of
 * the sysroot). -errno with message. */
int rf_modprobe_conf_kmod_new(const struct rf_modprobe_conf *c, const char *kmoddir,
			      struct kmod_ctx **ctx, struct rf_err *err);

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
