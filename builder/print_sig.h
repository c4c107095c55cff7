/* SPDX-License-Identifier: MIT */
/*
 * A module's signature as `ls --signatures` and `deps --explain` print it, after the name:
 *     signer="CN" sig_key=SERIAL sig_hashalgo=HASH trust=TRUST[ (WHY)]
 * The signer is double-quoted with '"', '\' and control bytes escaped; the fields are empty
 * when the module carries no well-formed signature.
 */
#pragma once
#include "modsig.h"

/* trust: "in-tree", "cert:FILE", "untrusted", "unsigned", "malformed"; why (or NULL): the
 * reason of a malformed or not verifying signature. Printed on stdout, with a leading space. */
void rf_print_signature(const struct rf_modsig *sig, const char *trust, const char *why);
