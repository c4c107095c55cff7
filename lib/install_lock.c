// SPDX-License-Identifier: MIT
/*
 * The directory lock of the installer (see install_lock.h): a root-only lock file, tried every
 * 50 ms until a deadline, so a build waits for another build but never forever.
 */
#include "install_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 50000000L

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Is fd's file one this program made: a regular file of ours with no other name? */
static int check_ours(int fd, const char *path, const char *image, struct rf_err *err)
{
	char owner[32] = "root";
	struct stat st;
	bool mine = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();

	if (mine && st.st_nlink == 1) {
		if (st.st_mode & 077)
			fchmod(fd, 0600);
		return 0;
	}
	if (mine)
		return rf_fail(err, -EPERM, "cannot write %s: the lock file %s has other hard links; remove it", image,
			       path);
	if (geteuid() != 0)
		snprintf(owner, sizeof(owner), "uid %u", (unsigned)geteuid());
	return rf_fail(err, -EPERM, "cannot write %s: the lock file %s is not a regular file owned by %s; remove it",
		       image, path, owner);
}

static int open_lock(int dirfd, const char *path, const char *image, struct rf_err *err)
{
	int fd = openat(dirfd, RF_LOCK_NAME, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			0600);
	int r;

	if (fd < 0 && errno == ELOOP)
		return rf_fail(err, -ELOOP, "cannot write %s: the lock file %s is a symlink; remove it", image, path);
	if (fd < 0 && errno != EISDIR)
		return rf_fail(err, -errno, "cannot write %s: cannot open the lock file %s: %s", image, path,
			       strerror(errno));
	r = check_ours(fd, path, image, err);
	if (r < 0 && fd >= 0)
		close(fd);
	return r < 0 ? r : fd;
}

/* Is the file at the lock's name still fd's? (Its holder removes it before unlocking.) */
static bool still_linked(int dirfd, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dirfd, RF_LOCK_NAME, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int rf_dirlock_take(int dirfd, const char *dir, const char *image, int timeout, struct rf_err *err)
{
	const struct timespec pause = { 0, POLL_NS };
	double deadline = monotonic() + (timeout > 0 ? timeout : 0);
	size_t n = strlen(dir);
	char path[PATH_MAX];
	int fd = -1;

	snprintf(path, sizeof(path), "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", RF_LOCK_NAME);
	for (int moved = 0;;) {
		if (fd < 0 && (fd = open_lock(dirfd, path, image, err)) < 0)
			return fd;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (still_linked(dirfd, fd))
				return fd;
			close(fd);
			fd = -1;
			if (moved++ < 100)
				continue; /* the holder removed it as we waited: lock the current one */
		} else if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;

			close(fd);
			return rf_fail(err, -e, "cannot write %s: cannot lock %s: %s", image, path, strerror(e));
		}
		if (monotonic() >= deadline) {
			if (fd >= 0)
				close(fd);
			return rf_fail(err, -ETIMEDOUT, "%s: another build holds %s; gave up after %d s", image, path,
				       timeout);
		}
		if (fd >= 0)
			nanosleep(&pause, NULL);
	}
}

void rf_dirlock_release(int dirfd, int lockfd)
{
	if (lockfd < 0)
		return;
	if (still_linked(dirfd, lockfd))
		unlinkat(dirfd, RF_LOCK_NAME, 0);
	close(lockfd);
}
