/* SPDX-License-Identifier: MIT */
/*
 * Command-line options shared by the subcommands (the SELECTION of DESIGN.md and the build
 * options). Each subcommand says which options it accepts; anything else is an error.
 * Ownership: struct rf_opts owns its lists; rf_opts_free releases them (strings borrowed from
 * argv are not copied).
 */
#pragma once
#include <stdbool.h>

#include "select.h"
#include "util.h"

enum {
	RF_OPT_SELECTION = 1 << 0, /* -k --kmoddir --sysroot -a -o --no-modules-load */
	RF_OPT_BUILD = 1 << 1,     /* -f --no-backup --compress --init --lock-timeout */
	RF_OPT_EXPLAIN = 1 << 2,   /* --explain */
	RF_OPT_LS = 1 << 3,        /* --modules --binaries --signatures -f --unpack --devices */
	RF_OPT_SIGN = 1 << 4,      /* sign: --hash --key --cert -f */
	RF_OPT_REGEN = 1 << 5,     /* build: --if-stale --regenerate-all --parallel */
};

struct rf_opts {
	const char *kver, *kmoddir, *sysroot;
	struct rf_strv add, omit;  /* words of every -a / -o */
	struct rf_strv add_bundles, omit_bundles; /* words of every --add-bundles / --omit-bundles */
	bool no_modules_load;
	int hostonly;              /* -1: from config; 0: --generic; 1: --hostonly */
	bool drivers_only;         /* --drivers: exactly the named modules, no generic/hostonly scan */
	const char *host_root;     /* --host-root DIR: where the host probe reads /sys and /proc */
	int verbose;               /* -v count; -q sets quiet */
	bool quiet;
	bool force, no_backup, explain, modules, binaries, signatures;
	const char *require_signed;     /* --require-signed[=yes|no|auto] ("yes" when bare), or NULL */
	struct rf_strv trusted_certs;   /* every --trusted-cert FILE */
	const char *sign_key, *sign_cert; /* build: --sign-key, --sign-cert */
	bool no_firmware;               /* --no-firmware */
	int early_microcode;            /* -1: from config; 0: --no-early-microcode; 1: --early-microcode */
	const char *hash, *key, *cert;  /* sign: --hash ALGO, --key FILE, --cert FILE */
	const char *file, *unpack;      /* ls: -f FILE, --unpack DIR */
	bool devices;                   /* ls --unpack: --devices */
	const char *compress;
	const char *module_compress; /* --module-compress auto|zstd|xz|no (checked), or NULL */
	const char *cache;           /* --cache DIR: the module compression cache */
	bool no_cache;               /* --no-cache */
	const char *init;          /* --init PATH: the ramforge-init binary to put in the image */
	const char *lock_timeout;  /* --lock-timeout SECS, as given (build checks it) */
	bool if_stale;             /* --if-stale: build only when `status` says stale */
	bool regenerate_all;       /* --regenerate-all: every kernel of the sysroot */
	const char *parallel;      /* --parallel N, as given (build checks it) */
	struct rf_strv args;       /* positional arguments */
	bool help;
};

/* Parse argv (argv[0] is the subcommand). -EINVAL with the offending option in err. */
int rf_opts_parse(struct rf_opts *o, int argc, char **argv, unsigned accept, struct rf_err *err);
/* The --help text of the SELECTION options, shared by build and deps. */
extern const char rf_selection_help[];

/* The SELECTION options as the selection stage takes them (borrowing o's strings); names are
 * extra explicit requests (the NAMEs of `deps`) or NULL. */
struct rf_select_opts rf_opts_selection(const struct rf_opts *o, const struct rf_strv *names);

/* -q / -v to the log level. */
void rf_opts_apply_verbosity(const struct rf_opts *o);
void rf_opts_free(struct rf_opts *o);
