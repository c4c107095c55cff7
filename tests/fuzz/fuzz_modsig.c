// SPDX-License-Identifier: MIT
/* libFuzzer target: the module signature parser (lib/modsig.c) on arbitrary bytes, as
 * `ramforge ls --signatures` and the build read untrusted modules. A trailer must parse as
 * signed (every field set, the covered bytes inside the input) or unsigned or malformed (with
 * a reason), never crash; a signed one is then checked against an empty set of certificates. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modsig.h"
#include "sigtrust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_modsig sig, copy;
	struct rf_err err = { "" };
	const char *file = NULL;

	if (rf_modsig_parse(data, size, &sig) < 0)
		return 0; /* out of memory */
	switch (sig.state) {
	case RF_MODSIG_UNSIGNED:
		if (sig.content_len != size)
			__builtin_trap();
		break;
	case RF_MODSIG_MALFORMED:
		if (!sig.why || sig.signer || sig.content_len != size)
			__builtin_trap();
		break;
	case RF_MODSIG_SIGNED:
		if (!sig.signer || !sig.sig_key || !sig.hashalgo || !sig.issuer_serial_len ||
		    sig.content_len + 40 >= size)
			__builtin_trap();
		if (rf_modsig_copy(&copy, &sig) == 0) {
			if (!rf_modsig_same_key(&copy, &sig))
				__builtin_trap();
			rf_modsig_free(&copy);
		}
		if (rf_modsig_verify(data, size, &sig, NULL, &file, &err) != -EKEYREJECTED || file)
			__builtin_trap(); /* no certificate: never verified */
		break;
	}
	rf_modsig_free(&sig);
	return 0;
}
