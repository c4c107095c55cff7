// SPDX-License-Identifier: MIT
/* libFuzzer target: the input record's parser (lib/record.c) on arbitrary bytes, as status
 * reads it from an untrusted image. An error must come with a message; what parses must be
 * written back and read again to the same text. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_record r = { 0 }, again = { 0 };
	struct rf_err err = { "" };
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;

	if (rf_record_parse((const char *)data, size, &r, &err) < 0) {
		if (!err.msg[0])
			__builtin_trap();
		rf_record_free(&r);
		return 0;
	}
	if (rf_record_format(&r, &text, &len) < 0)
		__builtin_trap();
	if (rf_record_parse(text, len, &again, &err) < 0 || rf_record_format(&again, &text2, &len2) < 0 ||
	    len != len2 || memcmp(text, text2, len) != 0)
		__builtin_trap();
	free(text);
	free(text2);
	rf_record_free(&r);
	rf_record_free(&again);
	return 0;
}
