// SPDX-License-Identifier: MIT
/* libFuzzer target: the init's kernel command line parser (init/cmdline.c) on arbitrary text.
 * What it parsed must answer its own questions: every blacklisted name is blacklisted, every
 * module with a parameter has parameters, every word kept is found, every value is counted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../init/cmdline.h" /* the init's, not on the library's include path */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_cmdline c = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rf_cmdline_parse(&c, text) == 0) {
		for (size_t i = 0; i < c.nblacklist; i++)
			if (!rf_cmdline_blacklisted(&c, c.blacklist[i]))
				__builtin_trap();
		for (size_t i = 0; i < c.nparams; i++) {
			char *p = rf_cmdline_modparams(&c, c.params[i].mod);

			if (!p || !strstr(p, c.params[i].param))
				__builtin_trap();
			free(p);
		}
		for (size_t i = 0; i < c.nwords; i++)
			if (!rf_cmdline_has_word(&c, c.words[i]))
				__builtin_trap();
		for (size_t i = 0; i < c.nargs; i++)
			if (!*c.args[i].value || !rf_cmdline_count(&c, c.args[i].key))
				__builtin_trap();
	}
	rf_cmdline_free(&c);
	free(text);
	return 0;
}
