/* SPDX-License-Identifier: MIT */
/*
 * Whose signature a module carries, in the words of `ramforge ls --signatures` and of the
 * build's signature policy:
 *   unsigned   no signature trailer
 *   malformed  a trailer the kernel would reject (the parser's reason)
 *   cert:FILE  signed by the key of a trusted certificate (--trusted-cert FILE, trusted_certs),
 *              and the signature verifies over the module's bytes (rf_modsig_verify)
 *   in-tree    signed by the kernel's own build key: the key (issuer and serial) that most of
 *              the in-tree modules (MODDIR/kernel/...) of the same set share. Debian does not
 *              publish its per-build key, so this is a consistency check (same signer as the
 *              kernel's modules), not a cryptographic proof
 *   untrusted  signed, but by neither; or by a trusted certificate's key with a signature that
 *              does not verify (the reason says which)
 * A trusted certificate is tried first, so a module signed with the build key whose
 * certificate is also given as trusted is cert:FILE.
 * Use: rf_sigtrust_count every in-tree module's signature, then rf_sigtrust_intree gives the
 * build key; rf_sigtrust_cert checks a module against the certificates while its bytes are at
 * hand; rf_sigtrust_decide combines the two.
 * Ownership: struct rf_sigtrust owns copies of the keys counted (rf_sigtrust_free).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "modsig.h"
#include "util.h"

enum rf_trust { RF_TRUST_UNSIGNED, RF_TRUST_MALFORMED, RF_TRUST_INTREE, RF_TRUST_CERT, RF_TRUST_UNTRUSTED };

/* "unsigned", "malformed", "in-tree", "cert", "untrusted". */
const char *rf_trust_name(enum rf_trust t);

/* true for a module path relative to its module tree (lib/modules/KVER/) that is in-tree:
 * under kernel/ (not updates/, extra/, dkms/ ...). */
bool rf_sigtrust_intree_path(const char *relpath);

struct rf_sigkey {
	struct rf_modsig sig; /* the first signature seen with this key */
	size_t count;
};

struct rf_sigtrust {
	struct rf_sigkey *keys;
	size_t n, cap;
};

/* Count the key of an in-tree module's signature (unsigned and malformed ones count nothing).
 * -ENOMEM. */
int rf_sigtrust_count(struct rf_sigtrust *t, const struct rf_modsig *sig);
/* The build key: the one counted most often (the first of a tie), or NULL when none was. */
const struct rf_modsig *rf_sigtrust_intree(const struct rf_sigtrust *t);
void rf_sigtrust_free(struct rf_sigtrust *t);

/* The module's standing with the certificates, while its n bytes are at hand: 1 with *file set
 * (verified), 0 when no certificate has its key (or certs is NULL, or it is not signed), or
 * -EKEYREJECTED when a certificate has its key but the signature does not verify (why in err),
 * -ENOMEM. */
int rf_sigtrust_cert(const unsigned char *p, size_t n, const struct rf_modsig *sig,
		     const struct rf_certs *certs, const char **file, struct rf_err *err);

/* The verdict: cert_result is rf_sigtrust_cert's (1, 0 or -EKEYREJECTED), intree the build
 * key (or NULL). */
enum rf_trust rf_sigtrust_decide(const struct rf_modsig *sig, int cert_result,
				 const struct rf_modsig *intree);
