// SPDX-License-Identifier: MIT
/* The CLI's printer of the library's diagnostics; see print.h. */
#include "print.h"

#include <stdio.h>

#include "log.h"

static const char *const prefix[] = {
	[RF_LOG_ERROR] = "error: ",
	[RF_LOG_WARN] = "warning: ",
	[RF_LOG_INFO] = "",
	[RF_LOG_DEBUG] = "debug: ",
};

/* One message, one line: control characters from names or files are escaped. */
static void put_escaped(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
}

static void print_line(void *data, enum rf_log_level level, const char *msg)
{
	(void)data;
	fprintf(stderr, "ramforge: %s", prefix[level]);
	put_escaped(msg);
	fputc('\n', stderr);
}

void rf_print_attach(void)
{
	rf_log_set_fn(print_line, NULL);
}
