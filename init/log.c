// SPDX-License-Identifier: MIT
/*
 * The init's log: /dev/kmsg for the kernel's ring buffer (dmesg, journal), and the console for
 * whatever the kernel's console_loglevel would hide. stderr is the fallback before /dev exists.
 */
#include "log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEVKMSG_CTL "/proc/sys/kernel/printk_devkmsg"

static int kmsg_fd = -1, console_fd = 2;
static int console_level = 7; /* the kernel prints what is below this on the console itself */
static bool quiet_console, debug_on;
static char devkmsg_saved[32];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

double rf_uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

static void write_small(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0) {
			/* best effort: the log still works, rate-limited */
		}
		close(fd);
	}
}

void rf_log_open(bool quiet, bool debug)
{
	char printk[64];

	quiet_console = quiet && !debug;
	debug_on = debug;
	read_small("/proc/sys/kernel/printk", printk, sizeof(printk));
	if (sscanf(printk, "%d", &console_level) != 1)
		console_level = 7;
	/* Userspace writes to /dev/kmsg are rate-limited (10 a burst) by default; the init is
	 * short-lived and its every line matters, so lift the limit until the hand-over. */
	read_small(DEVKMSG_CTL, devkmsg_saved, sizeof(devkmsg_saved));
	if (strncmp(devkmsg_saved, "ratelimit", 9) == 0)
		write_small(DEVKMSG_CTL, "on\n");
	else
		devkmsg_saved[0] = '\0';
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	console_fd = fcntl(2, F_GETFD) < 0 ? -1 : 2;
}

void rf_log_close(void)
{
	if (devkmsg_saved[0])
		write_small(DEVKMSG_CTL, devkmsg_saved);
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
}

bool rf_log_debug_enabled(void)
{
	return debug_on;
}

static bool console_needs(int prio)
{
	if (console_fd < 0)
		return false;
	if (kmsg_fd < 0)
		return true;
	if (quiet_console && prio > RF_LOG_WARN)
		return false;
	return prio >= console_level;
}

void rf_log(int prio, const char *fmt, ...)
{
	char msg[1024], line[1100];
	va_list ap;
	int n;

	if (prio == RF_LOG_DEBUG && !debug_on)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&lock);
	if (kmsg_fd >= 0) {
		n = snprintf(line, sizeof(line), "<%d>ramforge-init: %s\n", prio, msg);
		if (write(kmsg_fd, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
			/* nowhere else to report it; the console copy below may still work */
		}
	}
	if (console_needs(prio)) {
		n = snprintf(line, sizeof(line), "[%12.6f] ramforge-init: %s\n", rf_uptime(), msg);
		if (write(console_fd, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
			/* as above */
		}
	}
	pthread_mutex_unlock(&lock);
}
