// SPDX-License-Identifier: MIT
/*
 * The early filesystems every later step needs. An already mounted one (EBUSY) is fine: the
 * kernel may have mounted devtmpfs itself.
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct early_mount {
	const char *source, *target, *type, *data;
	unsigned long flags;
};

static const struct early_mount early[] = {
	{ "devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID },
	{ "proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "tmpfs", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV },
};

/* The kernel opens /dev/console as the init's stdio only if the image has that node; without
 * it, open it from devtmpfs now, so messages, a shell and the real init have a terminal. */
static void console_ensure(void)
{
	int fd;

	if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fd != i && fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

int rf_mounts_setup(void)
{
	int first = 0;

	for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		const struct early_mount *e = &early[i];

		mkdir(e->target, 0755);
		if (mount(e->source, e->target, e->type, e->flags, e->data) < 0 && errno != EBUSY &&
		    !first)
			first = -errno;
	}
	mkdir("/sysroot", 0755);
	console_ensure();
	return first;
}
