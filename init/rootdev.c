// SPDX-License-Identifier: MIT
/*
 * The root device: poll /sys/class/block until the device asked for shows up (no udev, so the
 * init probes each new device with libblkid once), then mount it.
 */
#include "rootdev.h"

#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define POLL_MS 20
#define REPROBE_S 0.25

/* What libblkid found on one device (empty strings when nothing). */
struct probed {
	char name[64];
	double when; /* uptime of the probe */
	char type[32], uuid[64], label[128], partuuid[64], partlabel[128];
	bool parted; /* a partition table */
};

struct probe_cache {
	struct probed *v;
	size_t n, cap;
	const struct rf_rootdev_wait *wait; /* NULL: every device with a node is ready */
};

static bool ready(const struct probe_cache *c, const char *name)
{
	return !c->wait || !c->wait->ready || c->wait->ready(c->wait->arg, name);
}

static void copy_value(blkid_probe pr, const char *key, char *dst, size_t size)
{
	const char *v = NULL;

	dst[0] = '\0';
	if (blkid_probe_lookup_value(pr, key, &v, NULL) == 0 && v)
		snprintf(dst, size, "%s", v);
}

static void probe(const char *name, struct probed *out)
{
	char path[128];
	blkid_probe pr;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->when = rf_uptime();
	snprintf(path, sizeof(path), "/dev/%s", name);
	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) == 0) {
		copy_value(pr, "TYPE", out->type, sizeof(out->type));
		copy_value(pr, "UUID", out->uuid, sizeof(out->uuid));
		copy_value(pr, "LABEL", out->label, sizeof(out->label));
		copy_value(pr, "PART_ENTRY_UUID", out->partuuid, sizeof(out->partuuid));
		copy_value(pr, "PART_ENTRY_NAME", out->partlabel, sizeof(out->partlabel));
		out->parted = blkid_probe_lookup_value(pr, "PTTYPE", NULL, NULL) == 0;
	}
	blkid_free_probe(pr);
}

/* The size of the device a /sys directory describes; 0 when unknown. */
static long long sys_size(const char *sysdir)
{
	char path[PATH_MAX], size[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/size", sysdir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(size, sizeof(size), f))
		size[0] = '\0';
	fclose(f);
	return atoll(size);
}

/* A device worth probing: it has a /dev node and a size (an empty loop or drive has none, nor
 * a dm device without a table or an md array that is not running). */
bool rf_rootdev_usable(const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/class/block/%s", name);
	if (sys_size(path) <= 0)
		return false;
	snprintf(path, sizeof(path), "/dev/%s", name);
	return access(path, F_OK) == 0;
}

void rf_rootdev_identify(const char *name, char *type, size_t typelen, char *uuid,
			 size_t uuidlen, bool *parted)
{
	struct probed p;

	probe(name, &p);
	snprintf(type, typelen, "%s", p.type);
	snprintf(uuid, uuidlen, "%s", p.uuid);
	*parted = p.parted;
}

static bool found_nothing(const struct probed *p)
{
	return !*p->type && !*p->uuid && !*p->label && !*p->partuuid && !*p->partlabel;
}

/* A disk that just appeared may not be readable yet (its driver still scans it): what found
 * nothing is probed again after a while. */
static struct probed *cached(struct probe_cache *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].name, name) != 0)
			continue;
		if (found_nothing(&c->v[i]) && rf_uptime() - c->v[i].when > REPROBE_S)
			probe(name, &c->v[i]);
		return &c->v[i];
	}
	if (!ready(c, name) || !rf_rootdev_usable(name))
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		void *v = realloc(c->v, cap * sizeof(*c->v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	probe(name, &c->v[c->n]);
	return &c->v[c->n++];
}

/* The tag of root= (UUID, LABEL, PARTUUID, PARTLABEL) and its value, or false for a path. */
static bool parse_tag(const char *root, char *tag, size_t taglen, const char **value)
{
	static const char *const by[][2] = {
		{ "/dev/disk/by-uuid/", "UUID" },
		{ "/dev/disk/by-label/", "LABEL" },
		{ "/dev/disk/by-partuuid/", "PARTUUID" },
		{ "/dev/disk/by-partlabel/", "PARTLABEL" },
	};
	const char *eq = strchr(root, '=');

	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		if (strncmp(root, by[i][0], strlen(by[i][0])) == 0) {
			snprintf(tag, taglen, "%s", by[i][1]);
			*value = root + strlen(by[i][0]);
			return true;
		}
	if (!eq || root[0] == '/')
		return false;
	snprintf(tag, taglen, "%.*s", (int)(eq - root), root);
	*value = eq + 1;
	return true;
}

static bool matches(const struct probed *p, const char *tag, const char *value)
{
	if (strcmp(tag, "UUID") == 0)
		return *p->uuid && strcasecmp(p->uuid, value) == 0;
	if (strcmp(tag, "LABEL") == 0)
		return *p->label && strcmp(p->label, value) == 0;
	if (strcmp(tag, "PARTUUID") == 0)
		return *p->partuuid && strcasecmp(p->partuuid, value) == 0;
	return *p->partlabel && strcmp(p->partlabel, value) == 0; /* PARTLABEL */
}

/* One look through /sys/class/block for the tag; the device name into dev. */
static bool scan_once(struct probe_cache *c, const char *tag, const char *value, char *dev,
		      size_t devlen)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		struct probed *p;

		if (e->d_name[0] == '.' || !(p = cached(c, e->d_name)))
			continue;
		if (matches(p, tag, value)) {
			snprintf(dev, devlen, "/dev/%s", p->name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* root=/dev/...: a block device node (or a link to one: /dev/VG/LV) whose device, found by
 * its number, is ready and has a size (a dm device has none until its table is loaded). */
static bool is_block(const struct probe_cache *c, const char *path)
{
	char sys[64], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (stat(path, &st) != 0 || !S_ISBLK(st.st_mode))
		return false;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	n = readlink(sys, link, sizeof(link) - 1);
	if (n <= 0 || sys_size(sys) <= 0)
		return false;
	link[n] = '\0';
	return ready(c, strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
}

int rf_rootdev_find(const char *root, int timeout, const struct rf_rootdev_wait *wait, char *dev,
		    size_t devlen, char *why, size_t whylen)
{
	struct probe_cache cache = { .wait = wait };
	struct timespec nap = { 0, POLL_MS * 1000000L };
	double deadline = rf_uptime() + timeout;
	const char *value = NULL;
	char tag[16];
	bool tagged, found = false;

	if (!root || !*root) {
		snprintf(why, whylen, "no root= on the kernel command line");
		return -EINVAL;
	}
	tagged = parse_tag(root, tag, sizeof(tag), &value);
	if (tagged && strcmp(tag, "UUID") != 0 && strcmp(tag, "LABEL") != 0 &&
	    strcmp(tag, "PARTUUID") != 0 && strcmp(tag, "PARTLABEL") != 0) {
		snprintf(why, whylen, "root=%s: this init reads /dev/NAME, UUID=, LABEL=, "
				      "PARTUUID= and PARTLABEL=", root);
		return -EINVAL;
	}
	for (;;) {
		found = tagged ? scan_once(&cache, tag, value, dev, devlen) : is_block(&cache, root);
		if (found || (timeout >= 0 && rf_uptime() >= deadline))
			break;
		if (wait && wait->idle)
			deadline += wait->idle(wait->arg, POLL_MS);
		else
			nanosleep(&nap, NULL);
	}
	free(cache.v);
	if (!found) {
		snprintf(why, whylen, "root=%s did not appear within %d s", root, timeout);
		return -ENOENT;
	}
	if (!tagged)
		snprintf(dev, devlen, "%s", root);
	return 0;
}

/* rootflags=: the generic flags become MS_* bits, the rest is the filesystem's data string. */
static unsigned long split_flags(const char *flags, char *data, size_t datalen)
{
	static const struct {
		const char *name;
		unsigned long set, clear;
	} known[] = {
		{ "ro", MS_RDONLY, 0 },	       { "rw", 0, MS_RDONLY },
		{ "noatime", MS_NOATIME, 0 },   { "nodiratime", MS_NODIRATIME, 0 },
		{ "relatime", MS_RELATIME, 0 }, { "strictatime", MS_STRICTATIME, 0 },
		{ "nosuid", MS_NOSUID, 0 },     { "nodev", MS_NODEV, 0 },
		{ "noexec", MS_NOEXEC, 0 },     { "sync", MS_SYNCHRONOUS, 0 },
		{ "dirsync", MS_DIRSYNC, 0 },   { "lazytime", MS_LAZYTIME, 0 },
		{ "defaults", 0, 0 },
	};
	char copy[512], *save = NULL;
	unsigned long mflags = 0;
	size_t len = 0;

	data[0] = '\0';
	snprintf(copy, sizeof(copy), "%s", flags ? flags : "");
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t k = 0;

		while (k < sizeof(known) / sizeof(known[0]) && strcmp(known[k].name, w) != 0)
			k++;
		if (k < sizeof(known) / sizeof(known[0])) {
			mflags = (mflags | known[k].set) & ~known[k].clear;
			continue;
		}
		len += (size_t)snprintf(data + len, len < datalen ? datalen - len : 0, "%s%s",
					len ? "," : "", w);
	}
	return mflags;
}

/* Every filesystem type the kernel knows that needs a device, in its order (as the kernel
 * itself tries them when rootfstype= is not given). */
static int try_all(const char *dev, const char *target, unsigned long mflags, const char *data,
		   char *tried, size_t triedlen)
{
	FILE *f = fopen("/proc/filesystems", "re");
	char line[128], *type;
	int r = -ENODEV;
	size_t len = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "nodev", 5) == 0)
			continue;
		type = line + strspn(line, " \t");
		type[strcspn(type, " \t\n")] = '\0';
		if (mount(dev, target, type, mflags, data) == 0) {
			r = 0;
			break;
		}
		r = -errno;
		len += (size_t)snprintf(tried + len, len < triedlen ? triedlen - len : 0, "%s%s",
					len ? " " : "", type);
	}
	if (f)
		fclose(f);
	return r;
}

void rf_rootdev_type(const char *dev, char *type, size_t typelen)
{
	struct probed p;

	probe(strncmp(dev, "/dev/", 5) == 0 ? dev + 5 : dev, &p);
	snprintf(type, typelen, "%s", p.type);
}

int rf_rootdev_mount(const char *dev, const char *fstype, const char *flags, bool rw,
		     const char *target, char *why, size_t whylen)
{
	char data[512], tried[256] = "";
	unsigned long mflags = split_flags(flags, data, sizeof(data));
	struct probed p;
	int r;

	mflags = rw ? mflags & ~MS_RDONLY : mflags | MS_RDONLY;
	if (!fstype) {
		probe(dev + strlen("/dev/"), &p);
		fstype = *p.type ? p.type : NULL;
	}
	if (fstype) {
		r = mount(dev, target, fstype, mflags, data) < 0 ? -errno : 0;
		/* ext2/ext3 found by the probe may be served by the ext4 driver */
		if (r == -ENODEV && (!strcmp(fstype, "ext2") || !strcmp(fstype, "ext3")))
			r = mount(dev, target, "ext4", mflags, data) < 0 ? -errno : 0;
		if (r < 0)
			snprintf(why, whylen, "mount %s (%s) on %s: %s", dev, fstype, target,
				 strerror(-r));
		return r;
	}
	r = try_all(dev, target, mflags, data, tried, sizeof(tried));
	if (r < 0)
		snprintf(why, whylen, "mount %s on %s: no filesystem found (tried: %s): %s", dev,
			 target, *tried ? tried : "none", strerror(-r));
	return r;
}

void rf_rootdev_list(int prio)
{
	struct probe_cache c = { 0 };
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	size_t count = 0;

	while (d && (e = readdir(d))) {
		char dev[300] = "";
		struct probed *p;

		if (e->d_name[0] == '.')
			continue;
		count++;
		p = cached(&c, e->d_name);
		if (p)
			snprintf(dev, sizeof(dev), " %s%s%s%s%s%s", *p->type ? p->type : "(no filesystem)",
				 *p->uuid ? " UUID=" : "", p->uuid, *p->label ? " LABEL=" : "",
				 p->label, *p->partuuid ? " (partition)" : "");
		rf_log(prio, "  /dev/%s%s", e->d_name, p ? dev : " (empty or no device node)");
	}
	if (d)
		closedir(d);
	if (!count)
		rf_log(prio, "  none: no block device at all (is its driver in the image?)");
	free(c.v);
}
