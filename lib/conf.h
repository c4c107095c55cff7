/* SPDX-License-Identifier: MIT */
/*
 * ramforge.conf: the compiled-in defaults (conf/ramforge.conf), then
 * SYSROOT/etc/ramforge.conf, then SYSROOT/etc/ramforge.conf.d/ *.conf in file-name order.
 * Syntax is the declarative part of dracut.conf: `key="value"`, `key+=" value "`,
 * `key='value'`, `key=word`, `#` comments, blank lines. Nothing is evaluated: `$`,
 * backticks, unknown keys, bare words and unterminated quotes are errors naming FILE:LINE.
 * `key=` replaces the value, `key+=` appends words.
 * Ownership: struct rf_conf owns everything in it; rf_conf_free releases it (and is safe on a
 * conf that rf_conf_init or rf_conf_load left empty after a failure).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* One word of a list-valued key, with where it was set ("etc/ramforge.conf:3"). */
struct rf_conf_word {
	char *word;
	char *origin;
};

struct rf_conf_list {
	struct rf_conf_word *v;
	size_t n, cap;
};

struct rf_conf_assign;

/* Append one word (len bytes) with its origin (both copied). -ENOMEM. */
int rf_conf_list_push(struct rf_conf_list *l, const char *word, size_t len, const char *origin);
/* `key=`: replace the list by the value's words; `key+=`: append them. -ENOMEM. */
int rf_conf_list_assign(struct rf_conf_list *l, const struct rf_conf_assign *a, const char *origin);
void rf_conf_list_clear(struct rf_conf_list *l);

struct rf_conf {
	struct rf_conf_list add_drivers;   /* explicit, loaded early */
	struct rf_conf_list force_drivers; /* explicit, loaded early (dracut's meaning) */
	struct rf_conf_list omit_drivers;  /* never in the image */
	struct rf_conf_list add_bundles;   /* bundles (modules.d/) to include */
	struct rf_conf_list omit_bundles;  /* bundles never to include */
	struct rf_conf_list install_items; /* sysroot files; ELF ones with their libraries */
	char *compress;                    /* "zstd" "gzip" "xz" "lz4" "none"; never NULL after load */
	int compress_level;                /* -1: the compressor's ramforge default */
	int backups;                       /* backups kept per image; default 3 */
	char *hostonly;                    /* "no" or "yes"; never NULL after load */
	char *image; /* the default IMAGE inside the sysroot, %k the kernel version; NULL: by convention */
	/* Module signatures (Secure Boot): */
	char *require_signed;              /* "yes" "no" "auto"; never NULL after load */
	struct rf_conf_list trusted_certs; /* certificate files (DER or PEM) signatures may chain to */
	char *sign_key, *sign_cert;        /* sign out-of-tree modules on the way in; NULL: do not */
	/* Firmware and microcode: */
	bool firmware;                     /* firmware="yes" (default): the modules' firmware files */
	struct rf_conf_list add_firmware;  /* more firmware files, by name under lib/firmware */
	bool early_microcode;              /* early_microcode="yes" (default) */
	/* Modules compressed one by one (modpack.h): */
	char *module_compress;             /* "auto" "zstd" "xz" "no"; never NULL after load */
	char *module_cache; /* the compression cache's directory inside the sysroot; NULL: none */
};

/* Initialise to the built-in defaults (parses the compiled-in conf/ramforge.conf). */
int rf_conf_init(struct rf_conf *conf, struct rf_err *err);

/* Parse one file's text into conf. `display` names it in messages and origins
 * (e.g. "etc/ramforge.conf"). -EINVAL with "DISPLAY:LINE: why" in err; the lines before the
 * bad one stay applied. */
int rf_conf_parse(struct rf_conf *conf, const char *text, const char *display, struct rf_err *err);

/* rf_conf_init, then SYSROOT/etc/ramforge.conf (if present) and
 * SYSROOT/etc/ramforge.conf.d/ *.conf sorted by name, read as input.h says (symlinks resolve
 * inside the sysroot). A file that exists but cannot be read, is not a regular file or is over
 * 1 MiB is an error. */
int rf_conf_load(struct rf_conf *conf, const char *sysroot, struct rf_err *err);

void rf_conf_free(struct rf_conf *conf);
