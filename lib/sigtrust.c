// SPDX-License-Identifier: MIT
/* Module signature trust: the build key of a module set and the verdict. See sigtrust.h. */
#include "sigtrust.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *rf_trust_name(enum rf_trust t)
{
	switch (t) {
	case RF_TRUST_UNSIGNED: return "unsigned";
	case RF_TRUST_MALFORMED: return "malformed";
	case RF_TRUST_INTREE: return "in-tree";
	case RF_TRUST_CERT: return "cert";
	case RF_TRUST_UNTRUSTED: return "untrusted";
	}
	return "untrusted";
}

bool rf_sigtrust_intree_path(const char *relpath)
{
	return strncmp(relpath, "kernel/", 7) == 0;
}

int rf_sigtrust_count(struct rf_sigtrust *t, const struct rf_modsig *sig)
{
	if (sig->state != RF_MODSIG_SIGNED)
		return 0;
	for (size_t i = 0; i < t->n; i++)
		if (rf_modsig_same_key(&t->keys[i].sig, sig)) {
			t->keys[i].count++;
			return 0;
		}
	if (rf_grow(&t->keys, &t->cap, t->n, sizeof(*t->keys), 4) < 0 ||
	    rf_modsig_copy(&t->keys[t->n].sig, sig) < 0)
		return -ENOMEM;
	t->keys[t->n++].count = 1;
	return 0;
}

const struct rf_modsig *rf_sigtrust_intree(const struct rf_sigtrust *t)
{
	const struct rf_sigkey *best = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (!best || t->keys[i].count > best->count)
			best = &t->keys[i];
	return best ? &best->sig : NULL;
}

void rf_sigtrust_free(struct rf_sigtrust *t)
{
	for (size_t i = 0; i < t->n; i++)
		rf_modsig_free(&t->keys[i].sig);
	free(t->keys);
	memset(t, 0, sizeof(*t));
}

int rf_sigtrust_cert(const unsigned char *p, size_t n, const struct rf_modsig *sig,
		     const struct rf_certs *certs, const char **file, struct rf_err *err)
{
	int r;

	*file = NULL;
	if (!certs || sig->state != RF_MODSIG_SIGNED || !rf_certs_match(certs, sig))
		return 0;
	r = rf_modsig_verify(p, n, sig, certs, file, err);
	return r < 0 ? r : 1;
}

enum rf_trust rf_sigtrust_decide(const struct rf_modsig *sig, int cert_result,
				 const struct rf_modsig *intree)
{
	if (sig->state == RF_MODSIG_UNSIGNED)
		return RF_TRUST_UNSIGNED;
	if (sig->state == RF_MODSIG_MALFORMED)
		return RF_TRUST_MALFORMED;
	if (cert_result == 1)
		return RF_TRUST_CERT;
	if (cert_result == 0 && intree && rf_modsig_same_key(sig, intree))
		return RF_TRUST_INTREE;
	return RF_TRUST_UNTRUSTED;
}
