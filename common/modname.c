// SPDX-License-Identifier: MIT
/* kmod's name normalisation; see modname.h. */
#include "modname.h"

#include <errno.h>
#include <stddef.h>

int rf_kmod_normalize(char *dst, const char *src)
{
	int r = 0;
	size_t i = 0;

	for (; src[i]; i++) {
		char c = src[i];

		if (c == ']' && r == 0)
			r = -EINVAL;
		if (c == '[' && r == 0) {
			for (; src[i] && src[i] != ']'; i++)
				dst[i] = src[i];
			if (!src[i]) {
				r = -EINVAL;
				break;
			}
			c = ']';
		}
		dst[i] = c == '-' && r == 0 ? '_' : c;
	}
	dst[i] = '\0';
	return r;
}
