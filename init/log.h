/* SPDX-License-Identifier: MIT */
/*
 * The init's messages: `<N>ramforge-init: msg` to /dev/kmsg, and to the console when the kernel
 * would not show it there itself (so nothing appears twice). Thread-safe; never fails.
 */
#pragma once
#include <stdbool.h>

enum { RF_LOG_ERR = 3, RF_LOG_WARN = 4, RF_LOG_NOTICE = 5, RF_LOG_INFO = 6, RF_LOG_DEBUG = 7 };

/* Call once /dev is mounted. quiet: the console only gets warnings and errors. debug: log
 * RF_LOG_DEBUG too, each with a timestamp. */
void rf_log_open(bool quiet, bool debug);
/* Put back what rf_log_open changed (printk_devkmsg), before handing over to the real init. */
void rf_log_close(void);
bool rf_log_debug_enabled(void);

void rf_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define rf_error(...) rf_log(RF_LOG_ERR, __VA_ARGS__)
#define rf_warn(...) rf_log(RF_LOG_WARN, __VA_ARGS__)
#define rf_notice(...) rf_log(RF_LOG_NOTICE, __VA_ARGS__)
#define rf_info(...) rf_log(RF_LOG_INFO, __VA_ARGS__)
#define rf_debug(...) rf_log(RF_LOG_DEBUG, __VA_ARGS__)

/* Seconds since boot (CLOCK_BOOTTIME, the clock of /proc/uptime and the kernel's log). */
double rf_uptime(void);
