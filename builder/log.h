/* SPDX-License-Identifier: MIT */
/*
 * Messages for the user: `ramforge: error: ...`, `ramforge: warning: ...` on stderr.
 * Only main and the subcommands print; libraries below them report through rf_err.
 * libkmod's own messages are forwarded here (rf_log_attach_kmod).
 */
#pragma once
#include <stdbool.h>

enum rf_log_level { RF_LOG_ERROR = 0, RF_LOG_WARN = 1, RF_LOG_INFO = 2, RF_LOG_DEBUG = 3 };

/* Messages above this level are dropped. Default RF_LOG_WARN; -q ERROR, -v INFO, -vv DEBUG. */
void rf_log_set_level(enum rf_log_level level);
enum rf_log_level rf_log_get_level(void);

void rf_log(enum rf_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define rf_error(...) rf_log(RF_LOG_ERROR, __VA_ARGS__)
#define rf_warn(...) rf_log(RF_LOG_WARN, __VA_ARGS__)
#define rf_info(...) rf_log(RF_LOG_INFO, __VA_ARGS__)
#define rf_debug(...) rf_log(RF_LOG_DEBUG, __VA_ARGS__)

struct kmod_ctx;
/* Route libkmod's log through rf_log with matching levels. */
void rf_log_attach_kmod(struct kmod_ctx *ctx);

/* Monotonic seconds, for stage timings. */
double rf_now(void);
