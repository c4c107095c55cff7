// SPDX-License-Identifier: MIT
/* A module's signature fields on stdout; see print_sig.h. */
#include "print_sig.h"

#include <stdbool.h>
#include <stdio.h>

/* A signer for a double-quoted field: '"', '\' and control bytes escaped. */
static void print_quoted(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void rf_print_signature(const struct rf_modsig *sig, const char *trust, const char *why)
{
	bool signed_ = sig->state == RF_MODSIG_SIGNED;

	printf(" signer=");
	print_quoted(signed_ ? sig->signer : "");
	printf(" sig_key=%s sig_hashalgo=%s trust=%s", signed_ ? sig->sig_key : "",
	       signed_ ? sig->hashalgo : "", trust);
	if (why)
		printf(" (%s)", why);
}
