/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics of the library's stages. A stage never prints: it calls rf_warn/rf_info/...,
 * which hand the formatted line to the function the caller set with rf_log_set_fn (as
 * libkmod's kmod_set_log_fn). With no function set, messages are dropped. The ramforge CLI
 * sets one that prints `ramforge: warning: ...` on stderr (builder/print.c).
 * libkmod's own messages are forwarded the same way (rf_log_attach_kmod).
 */
#pragma once
#include <stdbool.h>

enum rf_log_level { RF_LOG_ERROR = 0, RF_LOG_WARN = 1, RF_LOG_INFO = 2, RF_LOG_DEBUG = 3 };

/* Receives one message (no trailing newline; may hold any byte but NUL). */
typedef void (*rf_log_fn)(void *data, enum rf_log_level level, const char *msg);
void rf_log_set_fn(rf_log_fn fn, void *data);

/* Messages above this level are dropped before formatting. Default RF_LOG_WARN. */
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
