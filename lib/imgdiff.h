/* SPDX-License-Identifier: MIT */
/*
 * What changed between two images (`ramforge diff OLD NEW`), one line per difference, in
 * this order, each starting with '-' (only in OLD), '+' (only in NEW) or '~' (changed):
 *   ~ kernel: KVER -> KVER                    the module trees' kernel versions
 *   - NAME / + NAME / ~ NAME: content          kernel modules by kmod name (no '/' in it),
 *                                             compared by decompressed content
 *   ~ NAME: options "A" -> "B"                 ramforge's plan: the options the init passes
 *   ~ NAME: loaded early -> on demand          ramforge's plan: when the init loads it
 *   - /PATH / + /PATH[/][ -> TARGET]           other entries (a directory with a '/' after)
 *   ~ /PATH: WHAT A -> B                       type, mode, owner, device, link, content
 *   - /PATH: LINE / + /PATH: LINE              a modprobe.d file's rule lines (blank lines
 *                                             and comments left out), in their file's order
 *   ~ image: A -> B bytes / ~ image: LAYOUT -> LAYOUT
 * Entries under lib/modules/ that are directories are not listed (the modules are).
 * Ownership: nothing is kept; the texts handed to fn are borrowed for the call.
 */
#pragma once
#include <stddef.h>

#include "imgindex.h"

typedef void (*rf_imgdiff_fn)(void *data, char sign, const char *text);

/* Call fn for every difference; returns how many there were. */
size_t rf_imgdiff(const struct rf_imgindex *old, const struct rf_imgindex *new_, rf_imgdiff_fn fn,
		  void *data);
