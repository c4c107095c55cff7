// SPDX-License-Identifier: MIT
/* The library's diagnostics, handed to the caller's function; see log.h. */
#include "log.h"

#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum rf_log_level max_level = RF_LOG_WARN;

static rf_log_fn sink;
static void *sink_data;

void rf_log_set_fn(rf_log_fn fn, void *data)
{
	sink = fn;
	sink_data = data;
}

void rf_log_set_level(enum rf_log_level level)
{
	max_level = level;
}

enum rf_log_level rf_log_get_level(void)
{
	return max_level;
}

static void vlog(enum rf_log_level level, const char *fmt, va_list ap)
{
	char buf[4096];

	if (level > max_level || !sink)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	sink(sink_data, level, buf);
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
