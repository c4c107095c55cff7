/* SPDX-License-Identifier: MIT */
/*
 * The module signature policy of a build: must every module of the image carry a signature
 * the target kernel accepts? require_signed is yes, no or auto (--require-signed over
 * ramforge.conf's require_signed=, default auto). auto is yes when the target kernel would
 * enforce signatures:
 *   - SYSROOT/boot/config-KVER has CONFIG_MODULE_SIG_FORCE=y, or
 *   - SYSROOT/etc/kernel/cmdline sets module.sig_enforce (bare, =1, =y, =Y, ...: the
 *     kernel's own reading of a boolean parameter; it can only be switched on), or
 *   - the build is for the running kernel (KVER is `uname -r`, sysroot "/") and the host says
 *     so: HOST/sys/module/module/parameters/sig_enforce is Y, or the mode selected in
 *     HOST/sys/kernel/security/lockdown ("[integrity]") is not none.
 * When the policy is off and the target kernel checks signatures (CONFIG_MODULE_SIG=y), the
 * findings are warnings (warn).
 * Ownership: struct rf_sigpolicy owns its strings and certificates; rf_sigpolicy_free.
 * Errors: -errno with "what: why" in rf_err (a bad value, an unreadable config file or a
 * certificate that does not load).
 */
#pragma once
#include <stdbool.h>

#include "conf.h"
#include "util.h"

struct rf_certs;

struct rf_sigpolicy {
	bool require; /* every module must pass (errors) */
	bool warn;    /* off, but the kernel checks signatures: the findings are warnings */
	char *why;    /* why require is on or off: "--require-signed=yes", "auto: CONFIG_... in ..." */
	char *hash;   /* the target's CONFIG_MODULE_SIG_HASH ("sha256"), or NULL when not known */
	struct rf_certs *certs; /* the trusted certificates, or NULL when none were given */
};

struct rf_sigpolicy_opts {
	const char *require;      /* --require-signed: "yes" "no" "auto", or NULL */
	const char *conf_require; /* ramforge.conf's require_signed=, or NULL (auto) */
	const char *sysroot;      /* NULL: "/" */
	const char *kver;         /* the target kernel */
	const char *host_root;    /* where the running kernel's /sys is read; NULL: "/" */
	const char *running_kver; /* the running kernel; NULL: uname -r */
	const struct rf_strv *certs;           /* --trusted-cert files, or NULL */
	const struct rf_conf_list *conf_certs; /* trusted_certs= files, or NULL */
};

/* Resolve o into p (zero-initialised by the caller), loading the trusted certificates. */
int rf_sigpolicy_resolve(struct rf_sigpolicy *p, const struct rf_sigpolicy_opts *o,
			 struct rf_err *err);
void rf_sigpolicy_free(struct rf_sigpolicy *p);

/* Does the kernel command line text set module.sig_enforce (the kernel's parsing)? */
bool rf_sigpolicy_cmdline_enforces(const char *text);
