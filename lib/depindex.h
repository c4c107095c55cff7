/* SPDX-License-Identifier: MIT */
/*
 * The depmod indexes for a subset of a module tree, generated in-process: modules.dep(.bin),
 * modules.alias(.bin), modules.softdep, modules.symbols(.bin), modules.builtin(.bin),
 * modules.builtin.alias.bin, modules.builtin.modinfo, modules.order, modules.devname.
 * They are the source tree's own entries filtered to the modules in the set, written in
 * kmod's index format, so `modprobe -d UNPACKED -S KVER` inside the image resolves every
 * included module exactly as on the source tree.
 * Output goes into the manifest as in-memory files under lib/modules/KVER/.
 * Errors: -errno, message in rf_err naming the index file.
 */
#pragma once
#include "closure.h"
#include "manifest.h"
#include "util.h"

int rf_depindex_add(const struct rf_modset *set, struct rf_manifest *m, struct rf_err *err);
