// SPDX-License-Identifier: MIT
/* libFuzzer target: ramforge.conf parsing (lib/conf.c) on arbitrary text, over the
 * compiled-in defaults as `ramforge build` does. An error must come with a message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_conf conf;
	struct rf_err err = { "" };
	char *text = malloc(size + 1);
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rf_conf_init(&conf, &err) < 0)
		__builtin_trap(); /* the shipped defaults always parse */
	r = rf_conf_parse(&conf, text, "etc/ramforge.conf", &err);
	if (r < 0 && (r == -ENOMEM || strncmp(err.msg, "etc/ramforge.conf:", 18) != 0))
		__builtin_trap();
	if (!conf.compress || !conf.hostonly)
		__builtin_trap();
	rf_conf_free(&conf);
	free(text);
	return 0;
}
