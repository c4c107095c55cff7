/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line, as far as the init cares: the root device and how to mount it,
 * module options and denials, the debugging switches, and every word as written (unquoted) for
 * the bundles' steps, which may look up any KEY. Pure parsing, no I/O, no logging.
 * Ownership: rf_cmdline_parse fills a zero-initialised struct that rf_cmdline_free releases.
 * Errors: -ENOMEM only; unknown words are ignored, as the kernel passes them all.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

enum rf_break { RF_BREAK_NONE, RF_BREAK_PRE_MOUNT, RF_BREAK_PRE_SWITCH_ROOT };

struct rf_modparam {
	char *mod;   /* kmod-normalised */
	char *param; /* "k=v" or "k", as written (quotes kept: the kernel parses them) */
};

/* One value of a KEY=VALUE word: "rd.lvm.vg=a,b" gives (rd.lvm.vg, a) and (rd.lvm.vg, b). */
struct rf_cmdarg {
	char *key, *value;
};

struct rf_cmdline {
	char *root;       /* root= (quotes removed), NULL if absent */
	char *rootfstype; /* NULL: probe */
	char *rootflags;
	char *init;       /* init= */
	bool rw;          /* `rw` given (read-only is the default, as the kernel's) */
	bool rootwait;
	int rootdelay;    /* seconds, 0 when absent */
	int timeout;      /* rd.timeout= seconds, -1 when absent */
	int threads;      /* ramforge.threads= (module loading threads), 0 when absent */
	int load_timeout; /* ramforge.load_timeout= seconds one module load may take before the
			   * init stops waiting for it (0: forever), -1 when absent */
	bool debug;       /* rd.debug */
	bool quiet;
	enum rf_break brk; /* rd.break[=pre-mount|pre-switch-root] */
	char **blacklist;  /* modprobe.blacklist= and rd.driver.blacklist=, normalised */
	size_t nblacklist;
	struct rf_modparam *params; /* MOD.k=v */
	size_t nparams;
	char **words;          /* every word before "--", quotes removed */
	size_t nwords;
	struct rf_cmdarg *args; /* every value of every KEY=V1,V2 word, in order (none empty) */
	size_t nargs;
};

int rf_cmdline_parse(struct rf_cmdline *c, const char *text);
bool rf_cmdline_blacklisted(const struct rf_cmdline *c, const char *mod);
/* The command line's parameters for mod, space-separated, malloc'd; NULL when none (or ENOMEM). */
char *rf_cmdline_modparams(const struct rf_cmdline *c, const char *mod);
/* The command line holds word, exactly ("rd.lvm=0"). */
bool rf_cmdline_has_word(const struct rf_cmdline *c, const char *word);
/* How many values KEY has (see rf_cmdline.args). */
size_t rf_cmdline_count(const struct rf_cmdline *c, const char *key);
void rf_cmdline_free(struct rf_cmdline *c);
