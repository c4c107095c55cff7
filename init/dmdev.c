// SPDX-License-Identifier: MIT
/*
 * dm and md devices for udev and systemd after switch_root (see dmdev.h). A database entry
 * holds what lvm2's rules (10-dm, 11-dm-lvm, 13-dm-disk, 69-dm-lvm) IMPORT{db} on a replayed
 * "add", and what udev itself would have stored for the device: DM_NAME, DM_UUID,
 * DM_SUSPENDED, SYSTEMD_READY (99-systemd.rules), its symlinks (S:) and the systemd tag.
 * An LVM layer or sub-volume (vg-lv-real, vg-lv_rimage_0) gets the flags lvm sets on such a
 * device instead of a /dev/VG/LV link, so that udev neither links nor probes it: a RAID1
 * image holds the same filesystem UUID as its volume.
 */
#include "dmdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

struct dmdev {
	char kname[32]; /* "dm-3", "md127" */
	char name[128]; /* dm/name */
	char uuid[160]; /* dm/uuid, "" when none */
	unsigned maj, min;
	bool suspended;
	char vg[128], lv[128]; /* an LVM volume of its own: /dev/VG/LV; "" otherwise */
	bool hidden;           /* an LVM layer or sub-volume */
};

/* Parts of an LV name that only lvm's own sub-volumes have (lvm2's reserved strings). */
static const char *const lvm_private[] = {
	"_cdata", "_cmeta", "_corig", "_cpool", "_cvol",    "_imeta",   "_iorig",  "_mimage", "_mlog",
	"_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_vorigin", "_wcorig", NULL,
};

static int read_attr(const char *root, const char *kname, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/sys/block/%s/%s", root, kname, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = 0;
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A name that can be a file in /dev and a database line: no '/', no blank or control
 * character, not "." or "..". */
static bool name_ok(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '/' || *s == 0x7f)
			return false;
	return true;
}

/* One '-'-separated part of an LVM dm name ("--" stands for '-'), into out; the rest after it
 * (NULL at the end). NULL with *ok false when out is too small. */
static const char *lvm_part(const char *s, char *out, size_t len, bool *ok)
{
	size_t n = 0;

	for (; *s; s++) {
		if (s[0] == '-' && s[1] == '-')
			s++;
		else if (s[0] == '-')
			break;
		if (n + 1 >= len) {
			*ok = false;
			return NULL;
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	return *s ? s + 1 : NULL;
}

bool rf_dm_split_lvm(const char *name, char *vg, size_t vglen, char *lv, size_t lvlen)
{
	const char *rest;
	bool ok = true;

	rest = lvm_part(name, vg, vglen, &ok);
	if (!ok || !rest || !*vg)
		return false;
	rest = lvm_part(rest, lv, lvlen, &ok);
	return ok && !rest && *lv;
}

/* An LVM volume's /dev/VG/LV, or its being one of lvm's own layers or sub-volumes. */
static void lvm_names(struct dmdev *d)
{
	if (strncmp(d->uuid, "LVM-", 4) != 0)
		return;
	d->hidden = !rf_dm_split_lvm(d->name, d->vg, sizeof(d->vg), d->lv, sizeof(d->lv)) ||
		    !name_ok(d->vg) || !name_ok(d->lv) || strncmp(d->lv, "pvmove", 6) == 0 ||
		    strncmp(d->lv, "snapshot", 8) == 0;
	for (size_t i = 0; !d->hidden && lvm_private[i]; i++)
		d->hidden = strstr(d->lv, lvm_private[i]) != NULL;
	if (d->hidden)
		d->vg[0] = d->lv[0] = '\0';
}

/* Device kname as far as the database needs it; false when it has no table (no size). */
static bool read_dm(const char *root, const char *kname, struct dmdev *d)
{
	char size[32] = "", dev[32] = "", susp[8] = "";

	memset(d, 0, sizeof(*d));
	snprintf(d->kname, sizeof(d->kname), "%.31s", kname); /* kernel names are short */
	if (read_attr(root, kname, "size", size, sizeof(size)) < 0 || atoll(size) <= 0 ||
	    read_attr(root, kname, "dev", dev, sizeof(dev)) < 0 ||
	    sscanf(dev, "%u:%u", &d->maj, &d->min) != 2 ||
	    read_attr(root, kname, "dm/name", d->name, sizeof(d->name)) < 0 || !name_ok(d->name))
		return false;
	read_attr(root, kname, "dm/uuid", d->uuid, sizeof(d->uuid));
	read_attr(root, kname, "dm/suspended", susp, sizeof(susp));
	if (!name_ok(d->uuid))
		d->uuid[0] = '\0';
	d->suspended = strcmp(susp, "1") == 0;
	lvm_names(d);
	return true;
}

static int make_dir(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* root + each part in turn, made as directories. */
static int make_dirs(const char *root, const char *const *parts)
{
	char path[PATH_MAX];
	size_t n = (size_t)snprintf(path, sizeof(path), "%s", root);
	int r = 0;

	for (; *parts && r >= 0 && n < sizeof(path); parts++) {
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/%s", *parts);
		r = n < sizeof(path) ? make_dir(path) : -ENAMETOOLONG;
	}
	return r;
}

/* path is the device (its node, or a link to it), or becomes a link to target. */
static int ensure_link(const char *path, const char *target, unsigned maj, unsigned min)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == makedev(maj, min))
		return 0;
	if (lstat(path, &st) == 0 && unlink(path) < 0) /* another device's, or a dangling link */
		return -errno;
	return symlink(target, path) < 0 ? -errno : 0;
}

static int dm_links(const char *root, const struct dmdev *d)
{
	char path[PATH_MAX], target[48];
	int r;

	snprintf(target, sizeof(target), "../%s", d->kname);
	r = make_dirs(root, (const char *const[]){ "dev", "mapper", NULL });
	snprintf(path, sizeof(path), "%s/dev/mapper/%s", root, d->name);
	if (r >= 0)
		r = ensure_link(path, target, d->maj, d->min);
	if (r < 0 || !*d->vg)
		return r;
	r = make_dirs(root, (const char *const[]){ "dev", d->vg, NULL });
	snprintf(path, sizeof(path), "%s/dev/%s/%s", root, d->vg, d->lv);
	return r < 0 ? r : ensure_link(path, target, d->maj, d->min);
}

/* Write text to path through a temporary file, as udev does. */
static int write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text);
	ssize_t n;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n != (ssize_t)len)
		r = n < 0 ? -errno : -EIO;
	else if (fchmod(fd, mode) < 0)
		r = -errno;
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* udev's clock for I: */
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* The entry's text (dm: md is NULL; md: the array's flag only). */
static int db_text(const struct dmdev *d, bool md, char *buf, size_t len)
{
	size_t n = 0;

#define PUT(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
	if (!md)
		PUT("S:mapper/%s\n", d->name);
	if (!md && *d->vg)
		PUT("S:%s/%s\n", d->vg, d->lv);
	PUT("I:%llu\n", now_usec());
	if (md)
		PUT("E:LVM_MD_PV_ACTIVATED=1\n");
	if (!md) {
		PUT("E:DM_UDEV_PRIMARY_SOURCE_FLAG=1\nE:DM_UDEV_RULES_VSN=2\nE:DM_NAME=%s\n", d->name);
		if (*d->uuid)
			PUT("E:DM_UUID=%s\n", d->uuid);
		PUT("E:DM_SUSPENDED=%d\n", d->suspended);
	}
	if (d->hidden)
		PUT("E:DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG=1\nE:DM_UDEV_DISABLE_DISK_RULES_FLAG=1\n"
		    "E:DM_UDEV_DISABLE_OTHER_RULES_FLAG=1\nE:DM_COOKIE_DISABLE_OTHER_RULES_FLAG=1\n"
		    "E:SYSTEMD_READY=0\n");
	else if (!md && !d->suspended)
		PUT("E:SYSTEMD_READY=1\n");
	PUT("G:systemd\nQ:systemd\nV:1\n");
#undef PUT
	return n < len ? 0 : -ENAMETOOLONG;
}

/* /run/udev/data/bM:m and /run/udev/tags/systemd/bM:m. */
static int db_write(const char *root, const struct dmdev *d, bool md)
{
	char text[1024], path[PATH_MAX];
	int r = db_text(d, md, text, sizeof(text));

	if (r >= 0)
		r = make_dirs(root, (const char *const[]){ "run", "udev", "data", NULL });
	snprintf(path, sizeof(path), "%s/run/udev/data/b%u:%u", root, d->maj, d->min);
	/* the sticky bit: udev's db_persist, which dracut's rules set for dm devices */
	if (r >= 0)
		r = write_file(path, text, 01644);
	if (r >= 0)
		r = make_dirs(root, (const char *const[]){ "run", "udev", "tags", "systemd", NULL });
	snprintf(path, sizeof(path), "%s/run/udev/tags/systemd/b%u:%u", root, d->maj, d->min);
	return r < 0 ? r : write_file(path, "", 0444);
}

/* An md array that runs: the kernel's state is neither clear nor inactive, and it has a size. */
static bool read_md(const char *root, const char *kname, struct dmdev *d)
{
	char state[32] = "", size[32] = "", dev[32] = "";

	memset(d, 0, sizeof(*d));
	snprintf(d->kname, sizeof(d->kname), "%.31s", kname); /* kernel names are short */
	return read_attr(root, kname, "md/array_state", state, sizeof(state)) == 0 && *state &&
	       strcmp(state, "clear") != 0 && strcmp(state, "inactive") != 0 &&
	       read_attr(root, kname, "size", size, sizeof(size)) == 0 && atoll(size) > 0 &&
	       read_attr(root, kname, "dev", dev, sizeof(dev)) == 0 &&
	       sscanf(dev, "%u:%u", &d->maj, &d->min) == 2;
}

int rf_dm_sync(const char *root)
{
	char dir[PATH_MAX];
	struct dirent *e;
	struct dmdev d;
	int first = 0, count = 0, r;
	DIR *sys;

	snprintf(dir, sizeof(dir), "%s/sys/block", root);
	sys = opendir(dir);
	if (!sys)
		return -errno;
	while ((e = readdir(sys))) {
		bool dm = strncmp(e->d_name, "dm-", 3) == 0, md = strncmp(e->d_name, "md", 2) == 0;

		if (dm && read_dm(root, e->d_name, &d)) {
			r = dm_links(root, &d);
			if (r >= 0)
				r = db_write(root, &d, false);
		} else if (md && read_md(root, e->d_name, &d)) {
			r = db_write(root, &d, true);
		} else {
			continue;
		}
		count += r >= 0;
		if (r < 0 && !first)
			first = r;
	}
	closedir(sys);
	return first < 0 ? first : count;
}
