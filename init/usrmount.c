// SPDX-License-Identifier: MIT
/* Mounting the root's /usr (and x-initrd.mount entries) from its fstab; see usrmount.h. */
#include "usrmount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fstab.h"
#include "log.h"

#define FSTAB_MAX (256 * 1024)
#define MAX_ENTRIES 16

/* NEWROOT/etc/fstab into buf; 0 when there is none. */
static int read_fstab(const char *newroot, char *buf, size_t size)
{
	char path[512];
	size_t n = 0;
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%s/etc/fstab", newroot);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	while (n + 1 < size && (got = read(fd, buf + n, size - n - 1)) > 0)
		n += (size_t)got;
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

static int mount_one(const char *newroot, const struct rf_fstab_entry *e,
		     const struct rf_usrmount_env *env, char *why, size_t whylen)
{
	char target[600], dev[sizeof(e->spec)], type[sizeof(e->type)], reason[512];
	struct stat st = { 0 };
	int r;

	snprintf(target, sizeof(target), "%s%s", newroot, e->file);
	memcpy(type, e->type, sizeof(type));
	/* lstat: a symlink there would be followed in the initramfs, not in the new root */
	if (lstat(target, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s (/etc/fstab line %u): its mount point %s is %s on the root",
			 e->file, e->line, target, S_ISLNK(st.st_mode) ? "a symlink, not a directory" :
			 "not a directory");
		return -ENOENT;
	}
	if (rf_fstab_is_block(e->spec)) {
		r = rf_rootdev_find(e->spec, env->timeout, env->wait, dev, sizeof(dev), reason,
				    sizeof(reason));
		if (r == -ENOENT)
			snprintf(why, whylen, "%s: device %s (/etc/fstab line %u) did not appear "
				 "within %d s", e->file, e->spec, e->line, env->timeout);
		else if (r < 0)
			snprintf(why, whylen, "%s (/etc/fstab line %u): %s", e->file, e->line, reason);
		if (r < 0)
			return r;
		if (!type[0])
			rf_rootdev_type(dev, type, sizeof(type));
	} else {
		memcpy(dev, e->spec, sizeof(dev));
		if (!type[0]) {
			snprintf(why, whylen, "%s (/etc/fstab line %u): %s is no block device and no "
				 "type is given", e->file, e->line, e->spec);
			return -EINVAL;
		}
	}
	if (type[0] && env->want_fs)
		env->want_fs(env->arg, type);
	if (env->settle)
		env->settle(env->arg);
	r = rf_rootdev_mount(dev, type[0] ? type : NULL, e->opts, e->rw, target, reason,
			     sizeof(reason));
	if (r < 0) {
		snprintf(why, whylen, "%s (/etc/fstab line %u): %s", e->file, e->line, reason);
		return r;
	}
	rf_info("mounted %s on %s (%s%s%s)", dev, e->file, e->rw ? "rw" : "ro", e->opts[0] ? "," : "",
		e->opts);
	return 0;
}

int rf_usrmount(const char *newroot, const struct rf_usrmount_env *env, char *why, size_t whylen)
{
	static char text[FSTAB_MAX];
	struct rf_fstab_entry entries[MAX_ENTRIES];
	size_t n, bad = 0;
	int r = read_fstab(newroot, text, sizeof(text));

	if (r < 0) {
		rf_warn("%s/etc/fstab: %s: a separate /usr is not mounted", newroot, strerror(-r));
		return 0;
	}
	n = rf_fstab_parse(text, entries, MAX_ENTRIES, &bad);
	if (bad)
		rf_warn("/etc/fstab: %zu line%s for the initramfs could not be read (too long, or a "
			"mount point that is not absolute)", bad, bad == 1 ? "" : "s");
	if (n > MAX_ENTRIES) {
		rf_warn("/etc/fstab: %zu entries for the initramfs; only the first %d are mounted", n,
			MAX_ENTRIES);
		n = MAX_ENTRIES;
	}
	for (size_t i = 0; i < n; i++) {
		r = mount_one(newroot, &entries[i], env, why, whylen);
		if (r < 0 && entries[i].nofail)
			rf_warn("%s (nofail): going on", why);
		else if (r < 0)
			return r;
	}
	return 0;
}
