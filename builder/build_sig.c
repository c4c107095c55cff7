// SPDX-License-Identifier: MIT
/* The signature stage of `ramforge build`; see build_sig.h. */
#include "build_sig.h"

#include <errno.h>

#include "log.h"
#include "sigcheck.h"

struct rf_sigpolicy_opts rf_sigpolicy_opts_of(const struct rf_opts *o, const struct rf_select *s)
{
	return (struct rf_sigpolicy_opts){ .require = o->require_signed,
		.conf_require = s->conf.require_signed, .sysroot = s->sysroot, .kver = s->kver,
		.host_root = o->host_root, .certs = &o->trusted_certs,
		.conf_certs = &s->conf.trusted_certs };
}

/* Signatures: sign the out-of-tree modules when a key is given, then check what the image
 * will hold against the policy (a module the kernel would refuse stops the build here). */
int rf_build_signatures(const struct rf_opts *o, const struct rf_select *s,
			const struct rf_modset *set, struct rf_signin *in, struct rf_err *err)
{
	struct rf_sigpolicy_opts po = rf_sigpolicy_opts_of(o, s);
	const char *key = o->sign_key ? o->sign_key : s->conf.sign_key;
	const char *cert = o->sign_cert ? o->sign_cert : s->conf.sign_cert;
	struct rf_sigpolicy pol = { 0 };
	struct rf_sigcheck c = { 0 };
	struct rf_signer *signer = NULL;
	double t0 = rf_now();
	int r = rf_sigpolicy_resolve(&pol, &po, err);

	if (r >= 0 && !key != !cert)
		r = rf_fail(err, -EINVAL, "signing modules needs both a key and its certificate "
			    "(--sign-key/sign_key= and --sign-cert/sign_cert=); only the %s is given",
			    key ? "key" : "certificate");
	if (r >= 0 && key)
		r = rf_signer_load(&signer, key, cert, pol.hash ? pol.hash : "sha256", err);
	if (r >= 0 && signer)
		r = rf_signin_run(set, signer, in, err);
	if (r >= 0 && (pol.require || pol.warn))
		r = rf_sigcheck_run(set, &pol, in, &c, err);
	if (r >= 0)
		r = rf_sigcheck_verdict(set, &c, &pol, err);
	if (r >= 0 && (pol.require || pol.warn))
		rf_info("signatures: %s; %zu signed on the way in, %zu of %zu would not load, "
			"in %.1f ms", pol.require ? "required" : "not required", in->n, c.nfail,
			c.n, (rf_now() - t0) * 1000);
	else if (r >= 0)
		rf_info("signatures: not checked; %zu signed on the way in, in %.1f ms", in->n,
			(rf_now() - t0) * 1000);
	if (r >= 0)
		rf_info("signature policy: %s", pol.why);
	rf_sigcheck_free(&c);
	rf_signer_free(signer);
	rf_sigpolicy_free(&pol);
	return r;
}
