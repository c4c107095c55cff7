/* SPDX-License-Identifier: MIT */
/*
 * `ramforge sign` on one module file: read it (decompressing .ko.xz/.ko.zst/.ko.gz), sign the
 * bytes as scripts/sign-file does (lib/modsig.h), and put the result in its place in the same
 * format, atomically: a temporary file beside it, fsync, rename, its mode and owner kept. On
 * any failure the file is untouched and no temporary file is left.
 * Errors: -errno with "PATH: why" in err (-EEXIST already signed without force, -EBADMSG a
 * malformed trailer or corrupt compressed data, -ENOEXEC not a kernel module).
 */
#pragma once
#include <stdbool.h>

#include "modsig.h"
#include "util.h"

/* force: replace an existing signature (a well-formed one; a malformed trailer is refused). */
int rf_sign_file(const char *path, const struct rf_signer *s, bool force, struct rf_err *err);
