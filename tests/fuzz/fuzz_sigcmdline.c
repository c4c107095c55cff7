// SPDX-License-Identifier: MIT
/* libFuzzer target: the reading of module.sig_enforce from a kernel command line
 * (lib/sigpolicy.c) on arbitrary text. It must not read outside the text, must give the same
 * answer twice, and must see a module.sig_enforce=1 appended to a line without quotes or "--". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = " module.sig_enforce=1";
	char *text = malloc(size + sizeof(tail));
	bool on;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	on = rf_sigpolicy_cmdline_enforces(text);
	if (rf_sigpolicy_cmdline_enforces(text) != on)
		__builtin_trap();
	if (strlen(text) == size && !strchr(text, '"') && !strstr(text, "--")) {
		memcpy(text + size, tail, sizeof(tail));
		if (!rf_sigpolicy_cmdline_enforces(text))
			__builtin_trap();
	}
	free(text);
	return 0;
}
