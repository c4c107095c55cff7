/* SPDX-License-Identifier: MIT */
/*
 * The module segment: each module file compressed on its own (zstd, or xz where the kernel
 * decompresses xz itself), in the uncompressed cpio segment ahead of the compressed main
 * archive (archive.h), so the kernel unpacks them by copying and the init decompresses only
 * the modules it loads (or hands them to finit_module compressed when /sys/module/compression
 * names the format). A file already compressed in the tree in a format the init reads (.zst,
 * .xz, .gz) is stored as it is. The module keeps its tree path with the format's suffix
 * ("kernel/fs/ext4/ext4.ko" -> ".../ext4.ko.zst"); the depmod indexes and the load plan use
 * that name (rf_module_file, closure.h).
 * Errors: -errno with the module and why in rf_err.
 */
#pragma once
#include <stdbool.h>

#include "closure.h"
#include "compress.h"
#include "decompress.h"
#include "manifest.h"
#include "zcache.h"

enum rf_modpack_mode { RF_MODPACK_AUTO, RF_MODPACK_NO, RF_MODPACK_ZSTD, RF_MODPACK_XZ };

/* "auto", "no", "zstd", "xz" -> mode; -EINVAL for anything else. */
int rf_modpack_parse(const char *s, enum rf_modpack_mode *out);

/* The per-module format of an image (RF_COMP_NONE: modules stay in the main archive).
 * auto: one by one for generic and hostonly images (not for a --drivers list, whose few
 * modules the main archive packs as well), unless the main archive is uncompressed; zstd, or
 * xz when SYSROOT/boot/config-KVER has the kernel decompress xz modules itself
 * (CONFIG_MODULE_DECOMPRESS=y with CONFIG_MODULE_COMPRESS_XZ=y). */
enum rf_comp rf_modpack_choose(enum rf_modpack_mode mode, bool drivers_only, enum rf_compress main,
			       const char *sysroot, const char *kver);

/* Give every file-backed module of set its stored name for format c (nothing for
 * RF_COMP_NONE). -ENOMEM. */
int rf_modpack_names(struct rf_modset *set, enum rf_comp c);

struct rf_modpack_report {
	size_t compressed, kept; /* modules compressed here / stored as the tree has them */
	struct rf_zcache_report cache;
};

/* Move the set's module files (at lib/modules/KVER/STORED in m, wherever m's links put them)
 * into seg as generated files, compressed as c through zc (may be NULL), and add dracut's
 * "early_cpio" marker so lsinitrd lists the segment and skips to the main archive. */
int rf_modpack_move(const struct rf_modset *set, enum rf_comp c, struct rf_zcache *zc,
		    struct rf_manifest *m, struct rf_manifest *seg, struct rf_modpack_report *rep,
		    struct rf_err *err);
