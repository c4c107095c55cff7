// SPDX-License-Identifier: MIT
/* The signature check of a module set (see sigcheck.h). */
#include "sigcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modbytes.h"
#include "modsig.h"
#include "signin.h"
#include "sigtrust.h"

/* The signature module i goes into the image with: its new one when signed on the way in. */
static const struct rf_modsig *sig_of(const struct rf_modset *set, const struct rf_signin *in,
				      size_t i)
{
	const struct rf_signed_module *sm = rf_signin_find(in, i);

	return sm ? &sm->sig : &set->mods[i].info.sig;
}

/* The in-tree key: the one most of the set's modules under kernel/ are signed with. */
static int intree_keys(const struct rf_modset *set, struct rf_sigtrust *t)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < set->n; i++)
		if (!set->mods[i].builtin && rf_sigtrust_intree_path(set->mods[i].path))
			r = rf_sigtrust_count(t, &set->mods[i].info.sig);
	return r;
}

/* Module i against the trusted certificates (rf_sigtrust_cert): its bytes are read from the
 * tree, or are the ones signed on the way in, only when a certificate has its key. */
static int against_certs(const struct rf_modset *set, const struct rf_signin *in, size_t i,
			 const struct rf_modsig *sig, const struct rf_certs *certs, const char **file,
			 struct rf_err *why, struct rf_err *err)
{
	const struct rf_signed_module *sm = rf_signin_find(in, i);
	char *path = NULL;
	unsigned char *p = NULL;
	size_t n = 0;
	int r;

	*file = NULL;
	if (!certs || sig->state != RF_MODSIG_SIGNED || !rf_certs_match(certs, sig))
		return 0;
	if (sm)
		return rf_sigtrust_cert(sm->plain, sm->plainlen, sig, certs, file, why);
	path = rf_path_join(set->kmoddir, set->mods[i].path);
	r = path ? rf_modbytes_read(path, &p, &n, err) : -ENOMEM;
	if (r >= 0) {
		r = rf_sigtrust_cert(p, n, sig, certs, file, why);
		if (r < 0 && r != -EKEYREJECTED)
			rf_fail(err, r, "verifying the signature of %s: %s", path, strerror(-r));
	}
	free(p);
	free(path);
	return r;
}

#define VERIFY_FAILED "signature does not verify: "

/* Module i's trust, and why it would not load (or no problem). */
static int check_one(const struct rf_modset *set, const struct rf_sigpolicy *p,
		     const struct rf_signin *in, const struct rf_modsig *intree, size_t i,
		     struct rf_sigstatus *st, struct rf_err *err)
{
	const struct rf_modsig *sig = sig_of(set, in, i);
	const char *file = NULL;
	struct rf_err why = { "" };
	int cert = 0;
	enum rf_trust t;

	if (set->mods[i].builtin)
		return 0;
	cert = against_certs(set, in, i, sig, p->certs, &file, &why, err);
	if (cert < 0 && cert != -EKEYREJECTED)
		return cert;
	t = rf_sigtrust_decide(sig, cert, intree);
	st->trust = rf_trust_name(t);
	if (t == RF_TRUST_CERT && !(st->trust = st->cert = rf_strdupf("cert:%s", file)))
		return -ENOMEM;
	if (t == RF_TRUST_UNSIGNED) {
		st->problem = strdup("unsigned");
	} else if (t == RF_TRUST_MALFORMED) {
		st->problem = rf_strdupf("malformed signature: %s", sig->why);
		st->why = sig->why;
	} else if (t == RF_TRUST_UNTRUSTED && cert == -EKEYREJECTED) {
		st->problem = rf_strdupf("%s%s", VERIFY_FAILED, why.msg);
		st->why = st->problem ? st->problem + strlen(VERIFY_FAILED) : NULL;
	} else if (t == RF_TRUST_UNTRUSTED) {
		st->problem = rf_strdupf("signed by '%s' (key %s), not a trusted key", sig->signer,
					 sig->sig_key);
	} else {
		return 0;
	}
	return st->problem ? 0 : -ENOMEM;
}

int rf_sigcheck_run(const struct rf_modset *set, const struct rf_sigpolicy *p,
		    const struct rf_signin *signin, struct rf_sigcheck *out, struct rf_err *err)
{
	struct rf_sigtrust keys = { 0 };
	int r = intree_keys(set, &keys);

	out->v = r >= 0 ? calloc(set->n ? set->n : 1, sizeof(out->v[0])) : NULL;
	if (!out->v) {
		rf_sigtrust_free(&keys);
		return -ENOMEM;
	}
	out->n = set->n;
	for (size_t i = 0; r >= 0 && i < set->n; i++) {
		r = check_one(set, p, signin, rf_sigtrust_intree(&keys), i, &out->v[i], err);
		out->nfail += out->v[i].problem != NULL;
	}
	rf_sigtrust_free(&keys);
	return r;
}

/* "NAME (PATH): PROBLEM" of module i. */
static void describe(char *buf, size_t size, const struct rf_modset *set,
		     const struct rf_sigcheck *c, size_t i)
{
	snprintf(buf, size, "module %s (%s/%s): %s", set->mods[i].name, set->kmoddir,
		 set->mods[i].path, c->v[i].problem);
}

/* The error line: the first failing module in full, then the others by name as far as the
 * line holds them. */
static int refuse(const struct rf_modset *set, const struct rf_sigcheck *c,
		  const struct rf_sigpolicy *p, struct rf_err *err)
{
	char first[RF_ERR_MAX / 2], more[RF_ERR_MAX / 2] = "";
	size_t shown = 0, len = 0, k = 0;
	bool full = false;

	for (size_t i = 0; i < c->n; i++) {
		if (!c->v[i].problem)
			continue;
		if (k++ == 0) {
			describe(first, sizeof(first), set, c, i);
			continue;
		}
		char line[RF_ERR_MAX];
		describe(line, sizeof(line), set, c, i);
		rf_info("also refused: %s", line);
		int w = full ? 0 : snprintf(more + len, sizeof(more) - len, "%s%s",
					    shown ? ", " : "", set->mods[i].name);
		if (w > 0 && len + (size_t)w < sizeof(more) - 4) /* room for ", ..." */
			len += (size_t)w, shown++;
		else
			more[len] = '\0', full = true;
	}
	if (c->nfail == 1)
		return rf_fail(err, -EKEYREJECTED, "%s; signatures are required (%s)", first, p->why);
	return rf_fail(err, -EKEYREJECTED, "%s; and %zu more: %s%s; signatures are required (%s)",
		       first, c->nfail - 1, more, shown < c->nfail - 1 ? ", ..." : "", p->why);
}

int rf_sigcheck_verdict(const struct rf_modset *set, const struct rf_sigcheck *c,
			const struct rf_sigpolicy *p, struct rf_err *err)
{
	char line[RF_ERR_MAX];

	if (p->require && c->nfail)
		return refuse(set, c, p, err);
	for (size_t i = 0; p->warn && i < c->n; i++) {
		if (!c->v[i].problem)
			continue;
		describe(line, sizeof(line), set, c, i);
		rf_warn("%s; a kernel that enforces signatures will not load it", line);
	}
	return 0;
}

void rf_sigcheck_free(struct rf_sigcheck *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].cert);
		free(c->v[i].problem);
	}
	free(c->v);
	*c = (struct rf_sigcheck){ 0 };
}
