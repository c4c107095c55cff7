/* SPDX-License-Identifier: MIT */
/*
 * The firmware an image holds: the files the modules name (their firmware= modinfo entries,
 * read by the closure's one read of each module file), those of the kernel's built-in drivers
 * (modules.builtin.modinfo) and add_firmware's, each looked up under the sysroot in the
 * kernel's order (drivers/base/firmware_loader: the plain name in every directory first, then
 * NAME.zst, then NAME.xz):
 *     lib/firmware/updates/KVER, lib/firmware/updates, lib/firmware/KVER, lib/firmware,
 *     then the same under usr/lib/firmware when lib is not a link to usr/lib.
 * A compressed file is kept as it is when the target kernel decompresses firmware of that
 * format (CONFIG_FW_LOADER_COMPRESS_XZ / _ZSTD in SYSROOT/boot/config-KVER), else it is stored
 * decompressed under the plain name. A symlink (linux-firmware's links) stays a symlink, with
 * its target file, when the target lies in the same firmware directory; else its content is
 * stored. Every file goes to lib/firmware/NAME in the image, whichever directory it came from.
 * Files are read inside the sysroot (input.h: symlinks never lead out of it).
 * A file a module names that is not installed is a warning (rf_warn, once per file) naming the
 * module and the file; an add_firmware name not found is an error.
 * Ownership: struct rf_firmware owns every string and buffer; rf_firmware_free releases it.
 * Errors: -errno with "what: why" in err.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "closure.h"
#include "conf.h"
#include "manifest.h"
#include "strmap.h"
#include "util.h"

#define RF_FIRMWARE_MAX ((size_t)512 << 20) /* one firmware file, decompressed */

/* One entry of the image under lib/firmware, or one requested file that is not there. */
struct rf_fw_file {
	char *name;     /* under lib/firmware in the image: "qlogic/ql2500_fw.bin", "x.bin.xz" */
	char *module;   /* who asked: a module name, "MOD (built in)", or "add_firmware" */
	char *source;   /* the sysroot path it is read from ("lib/firmware/updates/x.bin"); NULL
			 * when missing */
	char *target;   /* a symlink: its target as stored in the image; else NULL */
	unsigned char *data; /* the decompressed bytes, when stored decompressed; else NULL */
	uint64_t size;  /* bytes it puts into the image (0 for a link or a missing file) */
	bool missing;   /* asked for, not installed */
	bool by_link;   /* the target of a link another entry is */
};

struct rf_firmware {
	struct rf_fw_file *v;
	size_t n, cap;
	uint64_t bytes;  /* sum of the entries' sizes */
	size_t nmissing; /* entries with missing set */
	/* private */
	const char *sysroot, *kver;
	bool keep_xz, keep_zst; /* the kernel decompresses these itself */
	bool usr_dirs;          /* usr/lib/firmware is a directory of its own */
	struct rf_strmap asked;  /* names looked up already */
	struct rf_strmap stored; /* entry names in v (value: index + 1) */
};

/* Ready fw for lookups in sysroot for kernel kver (reads SYSROOT/boot/config-KVER; a missing
 * config means the kernel decompresses nothing). sysroot and kver are borrowed. */
int rf_firmware_init(struct rf_firmware *fw, const char *sysroot, const char *kver,
		     struct rf_err *err);

/* Find one file NAME that module `who` wants. required: not found is an error (add_firmware),
 * else a warning and a missing entry. A name asked for before is not looked up again. */
int rf_firmware_want(struct rf_firmware *fw, const char *who, const char *name, bool required,
		     struct rf_err *err);

/* The firmware of built-in drivers: every `MOD.firmware=NAME` record of the tree's
 * modules.builtin.modinfo (a missing file: none). */
int rf_firmware_want_builtin(struct rf_firmware *fw, const char *kmoddir, struct rf_err *err);

/* Everything: the modules' firmware (in set order), the built-in drivers', then add_firmware's
 * names (required; add may be NULL; an error names the word's origin). */
int rf_firmware_collect(struct rf_firmware *fw, const struct rf_modset *set,
			const struct rf_conf_list *add, struct rf_err *err);

/* rf_firmware_init for set's kernel, then rf_firmware_collect. */
int rf_firmware_find(struct rf_firmware *fw, const struct rf_modset *set, const char *sysroot,
		     const struct rf_conf_list *add, struct rf_err *err);

/* Put the found entries into m at lib/firmware/NAME. */
int rf_firmware_add(const struct rf_firmware *fw, struct rf_manifest *m, struct rf_err *err);

void rf_firmware_free(struct rf_firmware *fw);
