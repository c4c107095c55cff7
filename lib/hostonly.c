// SPDX-License-Identifier: MIT
/*
 * The hostonly probe (see hostonly.h): mountinfo -> the root's block device in sysfs -> up
 * the device tree (modalias, bound driver) and down the dm/md stack (slaves).
 */
#include "hostonly.h"

#include <dirent.h>
#include <errno.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "log.h"
#include "strmap.h"

#define MAX_DEPTH 16 /* dm over md over dm...: deeper than this is a loop in a broken tree */

struct probe {
	char *root;   /* realpath of the host root ("/" or a fake tree) */
	size_t rootlen; /* 0 when root is "/", so root + path shows the host's own path */
	char *sys;    /* ROOT/sys, resolved */
	struct rf_requests *reqs;
	struct rf_strv *warnings;
	struct rf_strv *stack;      /* "dm-uuid:UUID", "md:NAME" of the root's stack, or NULL */
	struct rf_strmap requested; /* names already requested */
	struct rf_strmap walked;    /* device directories already followed */
	bool ciphers_added;         /* proc/crypto was read for a dm-crypt device */
	struct kmod_ctx *ctx;       /* the target tree, to drop modaliases nothing matches */
};

struct mount {
	char majmin[32], fstype[64], source[PATH_MAX];
};


/* The path as the host sees it (without the fake root's prefix). */
static const char *shown(const struct probe *p, const char *path)
{
	return path + p->rootlen;
}

static int request(struct probe *p, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int request(struct probe *p, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *origin;
	int r;

	if (rf_strmap_get(&p->requested, name))
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&origin, fmt, ap) < 0)
		origin = NULL;
	va_end(ap);
	r = origin ? rf_requests_add(p->reqs, name, origin, true) : -ENOMEM;
	free(origin);
	return r < 0 ? r : rf_strmap_put(&p->requested, name, (void *)1);
}

/* The first line of DIR/NAME without its newline, or NULL (absent, unreadable, not a regular
 * file, over RF_INPUT_ATTR_MAX bytes, or empty). */
static char *read_attr(const char *dir, const char *name)
{
	char *path = rf_path_join(dir, name), *text = NULL;

	if (path && rf_input_read(NULL, path, path, RF_INPUT_ATTR_MAX, 0, &text, NULL, NULL) < 0)
		text = NULL;
	free(path);
	if (text && (text[0] == '\n' || text[0] == '\0'))
		rf_freep(&text);
	if (text)
		text[strcspn(text, "\n")] = '\0';
	return text;
}

/* The last component of the symlink DIR/NAME's target, or NULL. */
static char *link_base(const char *dir, const char *name)
{
	char *path = rf_path_join(dir, name), target[PATH_MAX], *base;
	ssize_t n = path ? readlink(path, target, sizeof(target) - 1) : -1;

	free(path);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	base = strrchr(target, '/');
	return strdup(base ? base + 1 : target);
}

/* realpath of DIR/NAME when it stays inside ROOT/sys/devices, else NULL. */
static char *resolve_in_sys(const struct probe *p, const char *dir, const char *name)
{
	char *path = rf_path_join(dir, name), *real = path ? realpath(path, NULL) : NULL;
	size_t n = strlen(p->sys);

	free(path);
	if (real && (strncmp(real, p->sys, n) != 0 || strncmp(real + n, "/devices/", 9) != 0))
		rf_freep(&real);
	return real;
}

/* err's message again, after "hostonly: ". */
static int prefixed(struct rf_err *err, int r)
{
	char msg[RF_ERR_MAX];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	return rf_fail(err, r, "hostonly: %s", msg);
}

/* One mountinfo line: the mount at "/" into m. */
static bool root_mount_line(const char *line, struct mount *m)
{
	char majmin[32], mnt[PATH_MAX], fstype[64], source[PATH_MAX];
	const char *dash = strstr(line, " - ");

	if (!dash || sscanf(line, "%*s %*s %31s %*s %4095s", majmin, mnt) != 2 ||
	    sscanf(dash + 3, "%63s %4095s", fstype, source) != 2 || strcmp(mnt, "/") != 0)
		return false;
	memcpy(m->majmin, majmin, sizeof(majmin));
	memcpy(m->fstype, fstype, sizeof(fstype));
	memcpy(m->source, source, sizeof(source));
	return true;
}

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER".
 * The last mount at "/" is the one in effect. */
static int find_root_mount(const char *root, struct mount *m, struct rf_err *err)
{
	char *path = rf_path_join(root, "proc/self/mountinfo"), *text = NULL, *line, *nl;
	bool found = false;
	int r;

	if (!path)
		return rf_fail(err, -ENOMEM, "hostonly: out of memory");
	r = rf_input_read(NULL, path, path, RF_INPUT_PROC_MAX, 0, &text, NULL, err);
	if (r < 0) {
		free(path);
		return prefixed(err, r);
	}
	for (line = text; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		found |= root_mount_line(line, m);
	}
	free(text);
	r = found ? 0 : rf_fail(err, -ENOENT, "hostonly: no mount at / in %s", path);
	free(path);
	return r;
}

/* /dev/mapper/NAME: the dm-N whose dm/name is NAME. */
static char *find_dm_by_name(const struct probe *p, const char *name)
{
	char *blockdir = rf_path_join(p->sys, "block"), *found = NULL;
	DIR *d = blockdir ? opendir(blockdir) : NULL;
	struct dirent *e;

	while (d && !found && (e = readdir(d))) {
		char *dev, *dmname;

		if (strncmp(e->d_name, "dm-", 3) != 0 || !(dev = rf_path_join(blockdir, e->d_name)))
			continue;
		dmname = read_attr(dev, "dm/name");
		if (dmname && strcmp(dmname, name) == 0)
			found = resolve_in_sys(p, blockdir, e->d_name);
		free(dmname);
		free(dev);
	}
	if (d)
		closedir(d);
	free(blockdir);
	return found;
}

/* The sysfs directory of the root's block device: by MAJ:MIN, else by the mount source
 * (btrfs and some others report an anonymous 0:N device in mountinfo). */
static char *root_device(const struct probe *p, const struct mount *m)
{
	char *dir = rf_path_join(p->sys, "dev/block"), *dev = NULL;
	const char *base = strrchr(m->source, '/');

	if (dir)
		dev = resolve_in_sys(p, dir, m->majmin);
	free(dir);
	if (dev || strncmp(m->source, "/dev/", 5) != 0)
		return dev;
	if (strncmp(m->source, "/dev/mapper/", 12) == 0)
		return find_dm_by_name(p, m->source + 12);
	dir = rf_path_join(p->sys, "class/block");
	dev = dir ? resolve_in_sys(p, dir, base + 1) : NULL;
	free(dir);
	return dev;
}

static int walk_block(struct probe *p, const char *dev, int depth);

/* The modules that load the ciphers dm-crypt uses on this host: every module that registered
 * a cipher, skcipher or aead in ROOT/proc/crypto (the mapping's table needs privileges to
 * read; what is registered is what the host's mappings asked for). */
static int add_ciphers(struct probe *p, const char *dmname)
{
	char *path = rf_path_join(p->root, "proc/crypto"), *text = NULL, *line, *nl;
	char name[128] = "", module[128] = "", v[128];
	struct rf_err e = { "" };
	int r = path ? rf_input_read(NULL, path, path, RF_INPUT_PROC_MAX, 0, &text, NULL, &e) : -ENOMEM;

	free(path);
	if (r < 0)
		return rf_strv_pushf(p->warnings, "hostonly: %s is dm-crypt but %s/proc/crypto is unreadable (%s): "
				     "add the cipher modules with -a", dmname, p->rootlen ? p->root : "", e.msg);
	for (line = text; r >= 0 && *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (sscanf(line, "name : %127s", v) == 1)
			memcpy(name, v, sizeof(name));
		else if (sscanf(line, "module : %127s", v) == 1)
			memcpy(module, v, sizeof(module));
		else if (sscanf(line, "type : %127s", v) == 1 && strcmp(module, "kernel") != 0 &&
			 module[0] && (strcmp(v, "skcipher") == 0 || strcmp(v, "aead") == 0 ||
				       strcmp(v, "cipher") == 0))
			r = request(p, module, "hostonly: cipher %s registered on the host (/proc/crypto), "
				    "for dm-crypt %s", name, dmname);
		if (line[0] == '\0')
			name[0] = module[0] = '\0';
	}
	free(text);
	return r;
}

/* A device-mapper device: dm_mod, the target its uuid prefix names, then its slaves. */
static int add_dm(struct probe *p, const char *dev, const char *name)
{
	static const struct {
		const char *prefix, *module;
	} targets[] = {
		{ "CRYPT-VERITY-", "dm_verity" }, { "CRYPT-INTEGRITY-", "dm_integrity" },
		{ "CRYPT-", "dm_crypt" },        { "mpath-", "dm_multipath" },
		{ "LVM-", NULL },                { "part", NULL }, /* linear: in dm_mod */
	};
	char *uuid = read_attr(dev, "dm/uuid"), *dmname = read_attr(dev, "dm/name");
	int r = request(p, "dm_mod", "hostonly: %s (%s) is a device-mapper device", name,
			dmname ? dmname : "?");
	size_t i = 0, n = sizeof(targets) / sizeof(targets[0]);

	if (r >= 0 && p->stack)
		r = rf_strv_pushf(p->stack, "dm-uuid:%s", uuid ? uuid : "");
	while (uuid && i < n && strncmp(uuid, targets[i].prefix, strlen(targets[i].prefix)) != 0)
		i++;
	if (r >= 0 && uuid && i < n && targets[i].module)
		r = request(p, targets[i].module, "hostonly: %s (%s) has dm uuid %s...", name,
			    dmname ? dmname : "?", targets[i].prefix);
	if (r >= 0 && uuid && i < n && strcmp(targets[i].prefix, "CRYPT-") == 0 && !p->ciphers_added) {
		p->ciphers_added = true;
		r = add_ciphers(p, name);
	}
	if (r >= 0 && (!uuid || i == n))
		r = rf_strv_pushf(p->warnings, "hostonly: %s (%s): unknown device-mapper type (uuid '%s'); only dm_mod is "
			 "chosen for it", name, dmname ? dmname : "?", uuid ? uuid : "");
	free(uuid);
	free(dmname);
	return r;
}

/* An md RAID device: md_mod and the personality of its level. */
static int add_md(struct probe *p, const char *dev, const char *name)
{
	char *level = read_attr(dev, "md/level");
	const char *mod = NULL;
	int r = request(p, "md_mod", "hostonly: %s is an md device", name);

	if (r >= 0 && p->stack)
		r = rf_strv_pushf(p->stack, "md:%s", name);

	if (level && (strcmp(level, "raid4") == 0 || strcmp(level, "raid5") == 0 ||
		      strcmp(level, "raid6") == 0))
		mod = "raid456";
	else if (level && level[0])
		mod = level; /* raid0, raid1, raid10, linear, multipath: the module's name */
	if (r >= 0 && mod)
		r = request(p, mod, "hostonly: %s is md level %s", name, level);
	free(level);
	return r;
}

/* Each slave of a stacked device, recursively. */
static int walk_slaves(struct probe *p, const char *dev, int depth)
{
	char *dir = rf_path_join(dev, "slaves");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	int r = 0;

	while (d && r >= 0 && (e = readdir(d))) {
		char *slave;

		if (e->d_name[0] == '.')
			continue;
		slave = resolve_in_sys(p, dir, e->d_name);
		r = slave ? walk_block(p, slave, depth + 1)
			  : rf_strv_pushf(p->warnings, "hostonly: slave %s of %s is not a device under %s", e->d_name,
				 shown(p, dev), shown(p, p->sys));
		free(slave);
	}
	if (d)
		closedir(d);
	free(dir);
	return r;
}

/* Some module of the target tree (or a built-in one) matches alias. */
static bool matches(const struct probe *p, const char *alias)
{
	struct kmod_list *list = NULL;
	bool any;

	if (!p->ctx || kmod_module_new_from_lookup(p->ctx, alias, &list) < 0)
		return true; /* cannot tell: let the closure decide */
	any = list != NULL;
	kmod_module_unref_list(list);
	return any;
}

/* One ancestor: its modalias and its bound driver's module. */
static int add_ancestor(struct probe *p, const char *dir)
{
	char *alias = read_attr(dir, "modalias"), *drv = link_base(dir, "driver");
	char *drvdir = drv ? rf_path_join(dir, "driver") : NULL;
	char *mod = drvdir ? link_base(drvdir, "module") : NULL;
	const char *devname = strrchr(dir, '/') + 1;
	int r = 0;

	if (alias && matches(p, alias))
		r = request(p, alias, "hostonly: modalias of %s", shown(p, dir));
	else if (alias)
		rf_debug("hostonly: no module in the tree for %s of %s", alias, shown(p, dir));
	if (r >= 0 && mod)
		r = request(p, mod, "hostonly: bound driver %s of %s", drv, shown(p, dir));
	else if (drv)
		rf_debug("hostonly: driver %s of %s is built in", drv, devname);
	free(alias);
	free(drv);
	free(drvdir);
	free(mod);
	return r;
}

/* A block device: its stack (dm, md, loop, slaves), then every ancestor up to /sys/devices. */
static int walk_block(struct probe *p, const char *dev, int depth)
{
	char *disk = NULL, *dir;
	const char *name;
	struct stat st;
	size_t top = strlen(p->sys) + strlen("/devices");
	int r = 0;

	if (depth > MAX_DEPTH)
		return rf_strv_pushf(p->warnings, "hostonly: device stack deeper than %d at %s", MAX_DEPTH, shown(p, dev));
	if (rf_strmap_get(&p->walked, dev))
		return 0;
	if (rf_strmap_put(&p->walked, dev, (void *)1) < 0)
		return -ENOMEM;
	/* A partition's stack and slaves are its disk's: the parent directory. */
	dir = rf_path_join(dev, "partition");
	if (dir && stat(dir, &st) == 0)
		disk = strndup(dev, strrchr(dev, '/') - dev);
	free(dir);
	dir = disk ? disk : strdup(dev);
	if (!dir)
		return -ENOMEM;
	name = strrchr(dir, '/') + 1;
	if (strncmp(name, "dm-", 3) == 0)
		r = add_dm(p, dir, name);
	else if (strncmp(name, "md", 2) == 0)
		r = add_md(p, dir, name);
	else if (strncmp(name, "loop", 4) == 0)
		r = request(p, "loop", "hostonly: %s is a loop device", name);
	if (r >= 0)
		r = walk_slaves(p, dir, depth);
	for (char *end; r >= 0 && strlen(dir) > top; *end = '\0') {
		r = add_ancestor(p, dir);
		end = strrchr(dir, '/');
	}
	free(dir);
	return r;
}

static int probe_init(struct probe *p, const char *root, const char *kmoddir, struct rf_err *err)
{
	static const char *const no_config[] = { NULL };
	char *sys;

	/* libkmod opens the tree's indexes itself (blocking, unbounded): check them first. */
	if (kmoddir) {
		int r = rf_input_check_kmod_tree(kmoddir, err);

		if (r < 0)
			return prefixed(err, r);
		p->ctx = kmod_new(kmoddir, no_config);
		if (p->ctx && kmod_load_resources(p->ctx) < 0)
			p->ctx = kmod_unref(p->ctx);
	}
	p->root = realpath(root, NULL);
	if (!p->root)
		return rf_fail(err, -errno, "hostonly: host root %s: %s", root, strerror(errno));
	p->rootlen = strcmp(p->root, "/") == 0 ? 0 : strlen(p->root);
	sys = rf_path_join(p->root, "sys");
	p->sys = sys ? realpath(sys, NULL) : NULL;
	free(sys);
	if (!p->sys)
		return rf_fail(err, -ENOENT, "hostonly: no sysfs at %s/sys", p->rootlen ? p->root : "");
	return 0;
}

int rf_hostonly_scan(const char *root, const char *kmoddir, struct rf_requests *reqs,
		     struct rf_strv *warnings, struct rf_strv *stack, struct rf_err *err)
{
	struct probe p = { .reqs = reqs, .warnings = warnings, .stack = stack };
	struct mount m;
	char fsalias[80], *dev = NULL;
	int r = probe_init(&p, root, kmoddir, err);

	if (r >= 0)
		r = find_root_mount(p.root, &m, err);
	if (r >= 0) {
		snprintf(fsalias, sizeof(fsalias), "fs-%s", m.fstype);
		r = request(&p, fsalias, "hostonly: root %s (%s)", m.source, m.fstype);
		dev = root_device(&p, &m);
	}
	if (r >= 0 && dev)
		r = walk_block(&p, dev, 0);
	else if (r >= 0)
		r = rf_strv_pushf(p.warnings, "hostonly: the root file system (%s on %s, device %s) is not a block "
			 "device under %s/sys: only its file system module is chosen", m.fstype,
			 m.source, m.majmin, p.rootlen ? p.root : "");
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "hostonly: %s", strerror(-r));
	rf_info("hostonly: %zu requests from %s", p.requested.n, p.root ? p.root : root);
	free(dev);
	kmod_unref(p.ctx);
	free(p.root);
	free(p.sys);
	rf_strmap_clear(&p.requested);
	rf_strmap_clear(&p.walked);
	return r;
}
