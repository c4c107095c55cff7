// SPDX-License-Identifier: MIT
/*
 * switch_root, as util-linux and busybox do it: the initramfs (a ramfs or tmpfs that cannot be
 * unmounted) is emptied file by file without ever crossing into another mount, then the new
 * root is moved over / and becomes the root of the process.
 */
#include "switchroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"

#define RAMFS_MAGIC_ 0x858458f6
#define TMPFS_MAGIC_ 0x01021994

int rf_switchroot_find_init(const char *newroot, const char *asked, char *init, size_t len,
			    char *why, size_t whylen)
{
	static const char *const candidates[] = { "/sbin/init", "/etc/init", "/bin/init",
						  "/bin/sh" };
	char path[512];
	struct stat st;

	if (asked) {
		snprintf(path, sizeof(path), "%s%s", newroot, asked);
		/* lstat: an absolute symlink there only resolves after the chroot */
		if (lstat(path, &st) == 0) {
			snprintf(init, len, "%s", asked);
			return 0;
		}
		snprintf(why, whylen, "init=%s: not found in the root filesystem", asked);
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", newroot, candidates[i]);
		if (lstat(path, &st) == 0) {
			snprintf(init, len, "%s", candidates[i]);
			return 0;
		}
	}
	snprintf(why, whylen, "no init in the root filesystem (looked for /sbin/init, /etc/init, "
			      "/bin/init, /bin/sh)");
	return -ENOENT;
}

/* Remove everything under the directory dfd that is on device dev; closes dfd. */
static void empty_dir(int dfd, dev_t dev)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	struct stat st;

	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue; /* another mount (the new root, a moved /dev): never enter it */
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								 O_CLOEXEC);

			if (sub >= 0)
				empty_dir(sub, dev);
			unlinkat(dfd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dfd, e->d_name, 0);
		}
	}
	closedir(d);
}

static void move_mounts(const char *newroot)
{
	static const char *const moved[] = { "/dev", "/proc", "/sys", "/run" };
	char target[512];
	struct stat st;

	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		snprintf(target, sizeof(target), "%s%s", newroot, moved[i]);
		if (stat(target, &st) == 0 && S_ISDIR(st.st_mode) &&
		    mount(moved[i], target, NULL, MS_MOVE, NULL) == 0)
			continue;
		rf_warn("cannot move %s to %s (%s): unmounting it", moved[i], target,
			strerror(errno));
		umount2(moved[i], MNT_DETACH);
	}
}

int rf_switchroot(const char *newroot, const char *init, char *const argv[], char *why,
		  size_t whylen)
{
	struct stat rootst, newst;
	struct statfs sfs;
	int rootfd;

	if (stat("/", &rootst) < 0 || stat(newroot, &newst) < 0 || rootst.st_dev == newst.st_dev) {
		snprintf(why, whylen, "%s is not a mounted filesystem", newroot);
		return -EINVAL;
	}
	/* Only ever empty an initramfs: never a disk this program was started from by mistake. */
	if (statfs("/", &sfs) < 0 ||
	    (sfs.f_type != (typeof(sfs.f_type))RAMFS_MAGIC_ &&
	     sfs.f_type != (typeof(sfs.f_type))TMPFS_MAGIC_) || getpid() != 1) {
		snprintf(why, whylen, "/ is not an initramfs or this is not process 1");
		return -EPERM;
	}
	move_mounts(newroot);
	rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (chdir(newroot) < 0 || rootfd < 0) {
		snprintf(why, whylen, "chdir %s: %s", newroot, strerror(errno));
		return -errno;
	}
	empty_dir(rootfd, rootst.st_dev);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		snprintf(why, whylen, "moving %s to /: %s (the initramfs is already emptied)",
			 newroot, strerror(errno));
		return -errno;
	}
	execv(init, argv);
	snprintf(why, whylen, "exec %s: %s (the initramfs is already emptied)", init,
		 strerror(errno));
	return -errno;
}
