/* SPDX-License-Identifier: MIT */
/*
 * The signature check of a module set: would the target kernel load each module, given its
 * signature (read by the per-module reader: rf_module.info.sig) and the policy (sigpolicy.h)?
 * A module passes when its signature verifies against a trusted certificate (the module's
 * bytes are read for that, and only for that), or when it is signed by the tree's in-tree key:
 * the key (issuer and serial) that signs most of the set's modules under kernel/ (sigtrust.h).
 * That is a consistency check, not a proof: Debian signs each build with a key it does not
 * publish.
 * A module signed on the way into the image (signin.h) is checked with its new signature.
 * Ownership: struct rf_sigcheck owns its strings; rf_sigcheck_free. trust strings point into
 * the policy's certificates or are static: they live as long as the policy.
 */
#pragma once
#include <stddef.h>

#include "closure.h"
#include "sigpolicy.h"
#include "util.h"

struct rf_signin;

struct rf_sigstatus {
	const char *trust; /* "in-tree", "cert:FILE", "untrusted", "unsigned", "malformed" (sigtrust.h);
			    * NULL for a builtin */
	char *cert;        /* owned storage behind "cert:FILE" */
	const char *why;   /* malformed: the parser's reason; untrusted by a trusted key: why the
			    * signature does not verify (points into problem); else NULL */
	char *problem;     /* NULL when the kernel would load it; else why not: "unsigned",
			    * "signed by 'X' (key AB:CD:...), not a trusted key", ... */
};

struct rf_sigcheck {
	struct rf_sigstatus *v; /* one per module of the set, in its order */
	size_t n;
	size_t nfail; /* modules with a problem */
};

/* Check every module of set; signin (NULL: none) holds the modules signed on the way in.
 * 0, or -errno (-ENOMEM; a module that cannot be read for its verification) with err set. */
int rf_sigcheck_run(const struct rf_modset *set, const struct rf_sigpolicy *p,
		    const struct rf_signin *signin, struct rf_sigcheck *out, struct rf_err *err);

/* The check's verdict under p: with p->require and a module failing, -EKEYREJECTED and one
 * line in err naming the first failing module, its path, its signer and why, and the others
 * ("and 3 more: a, b, c"; each of them with its reason through rf_info). Else 0; with p->warn
 * each failing module is a warning (rf_warn). */
int rf_sigcheck_verdict(const struct rf_modset *set, const struct rf_sigcheck *c,
			const struct rf_sigpolicy *p, struct rf_err *err);

void rf_sigcheck_free(struct rf_sigcheck *c);
