/* SPDX-License-Identifier: MIT */
/*
 * The signature stage of `ramforge build`, between the closure and the image: the policy from
 * the options and ramforge.conf (sigpolicy.h), the out-of-tree modules signed on their way in
 * when a key is given (signin.h, their bytes in *in for the image), then the check of what the
 * image will hold (sigcheck.h). Warnings and -v lines go through rf_log.
 * Errors: -errno with one line in err; -EKEYREJECTED when a module would not load under the
 * policy (nothing is written then).
 */
#pragma once
#include "closure.h"
#include "opts.h"
#include "select.h"
#include "sigpolicy.h"
#include "signin.h"

/* The policy's inputs: --require-signed over require_signed=, --trusted-cert and trusted_certs,
 * the selection's sysroot and kernel, --host-root (borrowed from o and s). */
struct rf_sigpolicy_opts rf_sigpolicy_opts_of(const struct rf_opts *o, const struct rf_select *s);

int rf_build_signatures(const struct rf_opts *o, const struct rf_select *s,
			const struct rf_modset *set, struct rf_signin *in, struct rf_err *err);
