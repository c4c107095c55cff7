// SPDX-License-Identifier: MIT
/*
 * Coldplug: devices' modaliases against the image's modules.alias, the way udev's kmod builtin
 * and modprobe -b would match them, without udev. No libkmod: the text of modules.alias is read
 * once, and an index by literal prefix (aliasindex.h) keeps fnmatch off most patterns.
 */
#include "coldplug.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "modname.h"
#include "paths.h"

#define MODALIAS_MAX 4096
#define SYS_DEPTH 40

static const char *const modprobe_dirs[] = RF_MODPROBE_DIRS;

static char *read_file(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = NULL, *p;
	ssize_t got;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf && (got = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)got;
		if (n + 1 < cap)
			continue;
		if (cap >= max || !(p = realloc(buf, cap * 2)))
			break;
		buf = p;
		cap *= 2;
	}
	close(fd);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* modules.alias is grouped by module: remember the last name looked up. */
static long find_mod(const struct rf_plan *plan, const char *mod)
{
	static const char *last;
	static long at = -1;

	if (!last || strcmp(last, mod) != 0) {
		at = rf_plan_find(plan, mod);
		last = at >= 0 ? plan->mods[at].name : NULL;
	}
	return at;
}

static int add_alias(struct rf_coldplug *c, char *pattern, const char *mod)
{
	long at = find_mod(c->plan, mod);

	if (at < 0 || rf_kmod_normalize(pattern, pattern) < 0)
		return 0; /* not in the plan, or a pattern kmod would refuse too */
	return rf_aliasindex_add(&c->aliases, pattern, (size_t)at);
}

/* "alias PATTERN MODULE" lines, parsed in place. */
static void read_aliases(struct rf_coldplug *c)
{
	char path[320], *line, *next, *save;
	int r;

	snprintf(path, sizeof(path), "/lib/modules/%s/modules.alias", c->plan->kver ? c->plan->kver : "");
	c->text = read_file(path, 64 << 20);
	if (!c->text) {
		if (c->plan->n)
			rf_warn("coldplug: cannot read %s: %s; no device will find its driver", path,
				strerror(errno));
		return;
	}
	for (line = c->text; line; line = next) {
		char *kw, *pat, *mod;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		kw = strtok_r(line, " \t", &save);
		pat = kw ? strtok_r(NULL, " \t", &save) : NULL;
		mod = pat ? strtok_r(NULL, " \t", &save) : NULL;
		if (mod && strcmp(kw, "alias") == 0 && add_alias(c, pat, mod) < 0)
			break;
	}
	r = rf_aliasindex_build(&c->aliases);
	if (r < 0)
		rf_warn("coldplug: cannot index %zu aliases (%s): every device scans them all",
			c->aliases.n, strerror(-r));
}

static void add_deny(struct rf_coldplug *c, const char *name, const char *file, int lineno)
{
	struct rf_deny *v = realloc(c->deny, (c->ndeny + 1) * sizeof(*v));
	char where[360];

	if (!v)
		return;
	c->deny = v;
	snprintf(where, sizeof(where), "%s:%d", file + 1, lineno);
	v[c->ndeny] = (struct rf_deny){ strdup(name), strdup(where) };
	if (!v[c->ndeny].name || !v[c->ndeny].where) {
		free(v[c->ndeny].name);
		free(v[c->ndeny].where);
		return;
	}
	rf_kmod_normalize(v[c->ndeny].name, v[c->ndeny].name);
	c->ndeny++;
}

static void read_blacklist_file(struct rf_coldplug *c, const char *path)
{
	char *text = read_file(path, 1 << 20), *line, *next, *save;
	int lineno = 0;

	for (line = text; line; line = next) {
		char *kw, *name;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		kw = strtok_r(line, " \t\r", &save);
		name = kw ? strtok_r(NULL, " \t\r", &save) : NULL;
		if (name && strcmp(kw, "blacklist") == 0)
			add_deny(c, name, path, lineno);
	}
	free(text);
}

static bool shadowed(const char *name, size_t upto)
{
	char path[320];
	struct stat st;

	for (size_t i = 0; i < upto; i++) {
		snprintf(path, sizeof(path), "/%s/%s", modprobe_dirs[i], name);
		if (stat(path, &st) == 0)
			return true;
	}
	return false;
}

/* `blacklist` lines of every *.conf in kmod's directories; a file shadows one of the same name
 * in a later directory, as in kmod. */
static void read_blacklist(struct rf_coldplug *c)
{
	for (size_t i = 0; modprobe_dirs[i]; i++) {
		struct dirent *e;
		char dir[64], path[320];
		size_t len;
		DIR *d;

		snprintf(dir, sizeof(dir), "/%s", modprobe_dirs[i]);
		d = opendir(dir);

		while (d && (e = readdir(d))) {
			len = strlen(e->d_name);
			if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0 ||
			    shadowed(e->d_name, i))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			read_blacklist_file(c, path);
		}
		if (d)
			closedir(d);
	}
}

static const char *denied(const struct rf_coldplug *c, const char *mod)
{
	if (rf_cmdline_blacklisted(c->cmd, mod))
		return "the kernel command line";
	for (size_t i = 0; i < c->ndeny; i++)
		if (strcmp(c->deny[i].name, mod) == 0)
			return c->deny[i].where;
	return NULL;
}

/* One module a device (or filesystem) asked for. */
static bool consider(struct rf_coldplug *c, size_t mod, const char *what)
{
	const char *name = c->plan->mods[mod].name, *why = denied(c, name);

	if (why) {
		if (!c->told[mod])
			rf_notice("coldplug: %s matches %s but is blacklisted (%s): not loaded", name,
				  what, why);
		c->told[mod] = true;
		return false;
	}
	if (!rf_loader_want(c->loader, mod))
		return false;
	rf_debug("coldplug: loading %s for %s", name, what);
	c->loads++;
	return true;
}

static bool seen_before(struct rf_coldplug *c, const char *modalias)
{
	char **v;

	for (size_t i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i], modalias) == 0)
			return true;
	if (c->nseen == c->seencap) {
		c->seencap = c->seencap ? c->seencap * 2 : 128;
		v = realloc(c->seen, c->seencap * sizeof(*v));
		if (!v)
			return false;
		c->seen = v;
	}
	c->seen[c->nseen] = strdup(modalias);
	c->nseen += c->seen[c->nseen] != NULL;
	return false;
}

struct asked {
	struct rf_coldplug *c;
	const char *what; /* the modalias or fs- alias */
	bool any;         /* a module was asked for */
};

static void consider_alias(void *ctx, const struct rf_alias *a)
{
	struct asked *q = ctx;

	q->any |= consider(q->c, a->mod, q->what);
}

/* Every module whose alias matches (modprobe loads them all, and so does udev), in the order of
 * modules.alias. */
static void match(struct rf_coldplug *c, const char *modalias)
{
	char norm[MODALIAS_MAX];
	struct asked q = { c, norm, false };

	snprintf(norm, sizeof(norm), "%s", modalias);
	norm[strcspn(norm, "\n")] = '\0';
	if (!*norm || rf_kmod_normalize(norm, norm) < 0 || seen_before(c, norm))
		return;
	c->devices += rf_aliasindex_match(&c->aliases, norm, consider_alias, &q) > 0;
}

static void walk(struct rf_coldplug *c, char *path, size_t len, int depth)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char *text;

	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || len + n + 2 >= PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, e->d_name, n + 1);
		/* sysfs reports types; links (driver, subsystem, ...) lead out of the tree, and
		 * every device's power/ holds only attributes */
		if (e->d_type == DT_DIR && depth < SYS_DEPTH && strcmp(e->d_name, "power") != 0) {
			walk(c, path, len + 1 + n, depth + 1);
		} else if (e->d_type == DT_REG && strcmp(e->d_name, "modalias") == 0) {
			text = read_file(path, MODALIAS_MAX);
			if (text)
				match(c, text);
			free(text);
		}
	}
	path[len] = '\0';
	if (d)
		closedir(d);
}

void rf_coldplug_scan(struct rf_coldplug *c)
{
	char path[PATH_MAX] = "/sys/devices";
	size_t loads = c->loads;
	double t0 = rf_uptime();

	walk(c, path, strlen(path), 0);
	rf_debug("coldplug: /sys/devices read in %.0f ms: %zu devices with a modalias, %zu asked "
		 "for %zu modules",
		 (rf_uptime() - t0) * 1000, c->nseen, c->devices, c->loads - loads);
}

static int open_uevents(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);
	int size = 8 << 20;

	if (fd < 0)
		return -1;
	/* a controller's driver can add hundreds of devices at once */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static long block_at(const struct rf_coldplug *c, const char *name)
{
	for (size_t i = 0; i < c->nblocks; i++)
		if (strcmp(c->blocks[i], name) == 0)
			return (long)i;
	return -1;
}

static void block_add(struct rf_coldplug *c, const char *name)
{
	char **v;

	if (block_at(c, name) >= 0)
		return;
	if (c->nblocks == c->blockcap) {
		c->blockcap = c->blockcap ? c->blockcap * 2 : 16;
		v = realloc(c->blocks, c->blockcap * sizeof(*v));
		if (!v)
			return;
		c->blocks = v;
	}
	c->blocks[c->nblocks] = strdup(name);
	c->nblocks += c->blocks[c->nblocks] != NULL;
}

static void block_remove(struct rf_coldplug *c, const char *name)
{
	long at = block_at(c, name);

	if (at < 0)
		return;
	free(c->blocks[at]);
	c->blocks[at] = c->blocks[--c->nblocks];
}

/* Every name in /sys/class/block, as ready: at the start (the kernel waited for its own work
 * before running /init) or when uevents were lost (nothing better to go by). */
static void blocks_present(struct rf_coldplug *c)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			block_add(c, e->d_name);
	if (d)
		closedir(d);
}

bool rf_coldplug_block_ready(const struct rf_coldplug *c, const char *name)
{
	return c->fd < 0 || block_at(c, name) >= 0;
}

void rf_coldplug_open(struct rf_coldplug *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = open_uevents();
	if (c->fd < 0)
		rf_warn("coldplug: no uevent socket (%s): reading /sys again instead", strerror(errno));
	blocks_present(c);
}

void rf_coldplug_init(struct rf_coldplug *c, const struct rf_plan *plan,
		      const struct rf_cmdline *cmd, struct rf_loader *loader)
{
	double t0 = rf_uptime();

	c->plan = plan;
	c->cmd = cmd;
	c->loader = loader;
	c->told = calloc(plan->n ? plan->n : 1, sizeof(*c->told));
	read_aliases(c);
	read_blacklist(c);
	rf_debug("coldplug: %zu aliases of %zu modules, %zu blacklist entries, read and indexed in "
		 "%.1f ms",
		 c->aliases.n, plan->n, c->ndeny, (rf_uptime() - t0) * 1000);
}

/* A block device's add or remove: its name is the last part of DEVPATH, as in /sys/class/block. */
static void block_event(struct rf_coldplug *c, const char *buf)
{
	const char *name = strrchr(buf, '/');

	if (!name || !name[1])
		return;
	if (strncmp(buf, "add@", 4) == 0)
		block_add(c, name + 1);
	else if (strncmp(buf, "remove@", 7) == 0)
		block_remove(c, name + 1);
}

/* "ACTION@DEVPATH\0KEY=VALUE\0..." from the kernel: the MODALIAS of an added device, and
 * which block devices are complete. */
static void handle_uevent(struct rf_coldplug *c, const char *buf, size_t len)
{
	bool add = strncmp(buf, "add@", 4) == 0 || strncmp(buf, "bind@", 5) == 0;

	for (size_t at = strlen(buf) + 1; at < len; at += strlen(buf + at) + 1) {
		if (add && strncmp(buf + at, "MODALIAS=", 9) == 0)
			match(c, buf + at + 9);
		else if (strcmp(buf + at, "SUBSYSTEM=block") == 0)
			block_event(c, buf);
	}
}

void rf_coldplug_poll(struct rf_coldplug *c, int ms)
{
	static char buf[16384];
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	struct timespec nap = { ms / 1000, (ms % 1000) * 1000000L };
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;

	if (c->fd < 0) {
		nanosleep(&nap, NULL);
		rf_coldplug_scan(c);
		return;
	}
	if (poll(&p, 1, ms) <= 0)
		return;
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(c->fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == ENOBUFS) {
			rf_debug("coldplug: uevents were lost; reading /sys/devices again");
			rf_coldplug_scan(c);
			blocks_present(c);
			continue;
		}
		if (n <= 0)
			break;
		buf[n] = '\0';
		if (from.nl_pid == 0) /* the kernel's, not a program's */
			handle_uevent(c, buf, (size_t)n);
	}
}

bool rf_coldplug_want_fs(struct rf_coldplug *c, const char *types)
{
	char copy[256], alias[300], *save = NULL;
	struct asked q = { c, alias, false };
	long at;

	snprintf(copy, sizeof(copy), "%s", types ? types : "");
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		snprintf(alias, sizeof(alias), "fs-%s", t);
		(void)rf_kmod_normalize(alias, alias);
		rf_aliasindex_match(&c->aliases, alias, consider_alias, &q);
		at = rf_plan_find(c->plan, t);
		if (at >= 0)
			q.any |= consider(c, (size_t)at, alias);
	}
	return q.any;
}

void rf_coldplug_free(struct rf_coldplug *c)
{
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = 0; i < c->ndeny; i++) {
		free(c->deny[i].name);
		free(c->deny[i].where);
	}
	for (size_t i = 0; i < c->nseen; i++)
		free(c->seen[i]);
	for (size_t i = 0; i < c->nblocks; i++)
		free(c->blocks[i]);
	free(c->blocks);
	free(c->deny);
	free(c->seen);
	free(c->told);
	rf_aliasindex_free(&c->aliases);
	free(c->text);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
