/* SPDX-License-Identifier: MIT */
/*
 * Signing on the way into the image (sign_key=/sign_cert=, --sign-key/--sign-cert): each
 * unsigned module outside the tree's kernel/ directory (updates/, extra/, updates/dkms, ...)
 * is read, decompressed, signed as scripts/sign-file would (modsig.h) and compressed again in
 * its own format; the image holds those bytes, the module tree is not touched.
 * Ownership: struct rf_signin owns every buffer; rf_signin_free.
 * Errors: -errno with the module's path and why in rf_err.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "closure.h"
#include "manifest.h"
#include "modsig.h"
#include "util.h"

struct rf_signed_module {
	size_t mod;           /* index in the set */
	unsigned char *plain; /* the decompressed module with its new signature */
	size_t plainlen;
	unsigned char *packed; /* the bytes the image holds: plain, compressed as the file was */
	size_t packedlen;
	struct rf_modsig sig; /* the new signature, parsed */
};

struct rf_signin {
	struct rf_signed_module *v;
	size_t n, cap;
};

/* Does m get signed on the way in: a file outside kernel/, without a signature? */
bool rf_signin_wants(const struct rf_module *m);

/* Sign every module of set that rf_signin_wants, with s. */
int rf_signin_run(const struct rf_modset *set, const struct rf_signer *s, struct rf_signin *out,
		  struct rf_err *err);

/* The signed module of set's module mod, or NULL. */
const struct rf_signed_module *rf_signin_find(const struct rf_signin *in, size_t mod);

/* Replace the image's entries of the signed modules (lib/modules/KVER/PATH) by their bytes. */
int rf_signin_add(const struct rf_signin *in, const struct rf_modset *set, struct rf_manifest *m);

void rf_signin_free(struct rf_signin *in);
