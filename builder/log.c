// SPDX-License-Identifier: MIT
/* User-facing messages; see log.h. */
#include "log.h"

#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum rf_log_level max_level = RF_LOG_WARN;

static const char *const prefix[] = {
	[RF_LOG_ERROR] = "error: ",
	[RF_LOG_WARN] = "warning: ",
	[RF_LOG_INFO] = "",
	[RF_LOG_DEBUG] = "debug: ",
};

void rf_log_set_level(enum rf_log_level level)
{
	max_level = level;
}

enum rf_log_level rf_log_get_level(void)
{
	return max_level;
}

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

static void vlog(enum rf_log_level level, const char *fmt, va_list ap)
{
	char buf[4096];

	if (level > max_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "ramforge: %s", prefix[level]);
	put_escaped(buf);
	fputc('\n', stderr);
}

void rf_log(enum rf_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static void kmod_log_fn(void *data, int priority, const char *file, int line, const char *fn,
			const char *format, va_list args)
{
	enum rf_log_level level = RF_LOG_DEBUG;
	char buf[1024];
	size_t len;

	(void)data, (void)file, (void)line, (void)fn;
	/* libkmod's errors are mostly recoverable lookups; ramforge reports what matters itself. */
	if (priority <= LOG_ERR)
		level = RF_LOG_INFO;
	if (level > max_level)
		return;
	vsnprintf(buf, sizeof(buf), format, args);
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	rf_log(level, "libkmod: %s", buf);
}

void rf_log_attach_kmod(struct kmod_ctx *ctx)
{
	kmod_set_log_priority(ctx, max_level >= RF_LOG_DEBUG ? LOG_DEBUG : LOG_ERR);
	kmod_set_log_fn(ctx, kmod_log_fn, NULL);
}

double rf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
