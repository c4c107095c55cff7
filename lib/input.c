// SPDX-License-Identifier: MIT
/*
 * Safe reading of untrusted inputs (see input.h): open without blocking, regular files only,
 * a size cap, read errors as errors, and paths resolved inside a root as if chrooted.
 */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "strmap.h"

#define MAX_LINKS 40 /* the kernel's own limit on symlinks in one resolution */

static bool is_host_root(const char *root)
{
	return !root || root[strspn(root, "/")] == '\0';
}

static int sys_openat2(int dirfd, const char *path, int flags)
{
#ifdef SYS_openat2
	struct open_how how = { .flags = (uint64_t)flags,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
#else
	(void)dirfd, (void)path, (void)flags;
	return -ENOSYS;
#endif
}

/* The walk's directories from the root down; fds[0] is the caller's root (not closed). */
struct dirstack {
	int *fds;
	size_t n, cap;
};

static void stack_pop_to(struct dirstack *s, size_t n)
{
	while (s->n > n)
		close(s->fds[--s->n]);
}

/* Replace the walk's remaining path with TARGET/REST. */
static int expand_link(char **buf, char **rest, const char *target)
{
	char *joined = *rest[0] ? rf_strdupf("%s/%s", target, *rest) : strdup(target);

	if (!joined)
		return -ENOMEM;
	if (strlen(joined) >= PATH_MAX * 4) {
		free(joined);
		return -ENAMETOOLONG;
	}
	free(*buf);
	*buf = *rest = joined;
	return 0;
}

/* Handle one component c under the top directory: enter it, expand it as a link, or (the
 * last one) open it into *out. */
static int walk_step(struct dirstack *s, char **buf, char **rest, const char *c, int flags,
		     int *links, int *out)
{
	int top = s->fds[s->n - 1], fd;
	char target[PATH_MAX];
	ssize_t n;

	if (strcmp(c, "..") == 0) {
		stack_pop_to(s, s->n > 1 ? s->n - 1 : 1);
		return 0;
	}
	n = readlinkat(top, c, target, sizeof(target));
	if (n >= 0) {
		if ((size_t)n == sizeof(target))
			return -ENAMETOOLONG;
		if (++*links > MAX_LINKS)
			return -ELOOP;
		target[n] = '\0';
		if (target[0] == '/')
			stack_pop_to(s, 1);
		return expand_link(buf, rest, target);
	}
	if (errno != EINVAL)
		return -errno;
	/* Not a link now; O_NOFOLLOW makes a link swapped in meanwhile an error, not a way out. */
	if ((*rest)[strspn(*rest, "/")] == '\0') {
		*out = openat(top, c, flags | O_NOFOLLOW);
		return *out < 0 ? -errno : 0;
	}
	if (rf_grow(&s->fds, &s->cap, s->n, sizeof(*s->fds), 16) < 0)
		return -ENOMEM;
	fd = openat(top, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	s->fds[s->n++] = fd;
	return 0;
}

int rf_input_openat_walk(int rootfd, const char *path, int flags)
{
	struct dirstack s = { 0 };
	char *buf = strdup(path), *rest = buf, *c;
	int links = 0, out = -1, r = buf ? rf_grow(&s.fds, &s.cap, 0, sizeof(*s.fds), 16) : -ENOMEM;

	if (r < 0) {
		free(buf);
		return r;
	}
	s.fds[s.n++] = rootfd;
	while (r >= 0 && out < 0 && (c = rf_path_next(&rest)))
		if (strcmp(c, ".") != 0)
			r = walk_step(&s, &buf, &rest, c, flags, &links, &out);
	if (r >= 0 && out < 0) { /* the path ended in a directory: ".", ".." or the root */
		out = openat(s.fds[s.n - 1], ".", flags);
		r = out < 0 ? -errno : 0;
	}
	stack_pop_to(&s, 1);
	free(s.fds);
	free(buf);
	return r < 0 ? r : out;
}

static bool no_openat2; /* the kernel (or a seccomp filter) refused openat2 once: walk */

/* Open PATH under ROOT with flags, resolved inside ROOT. Returns the fd or -errno. */
static int open_in(const char *root, const char *path, int flags)
{
	int rootfd, fd = -ENOSYS;

	if (is_host_root(root)) {
		/* Under root "/", "etc/x" means "/etc/x"; with no root it is relative to the cwd. */
		bool prefix = root && path[0] != '/';
		char *abs = prefix ? rf_strdupf("/%s", path) : NULL;

		if (prefix && !abs)
			return -ENOMEM;
		fd = open(abs ? abs : path, flags);
		free(abs);
		return fd < 0 ? -errno : fd;
	}
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	path += strspn(path, "/");
	if (!*path)
		path = ".";
	if (!no_openat2)
		fd = sys_openat2(rootfd, path, flags);
	if (fd == -ENOSYS || fd == -EPERM) {
		no_openat2 = true;
		fd = rf_input_openat_walk(rootfd, path, flags);
	}
	close(rootfd);
	return fd;
}

static bool is_missing(int r)
{
	return r == -ENOENT || r == -ENOTDIR;
}

int rf_input_open(const char *root, const char *path, const char *display, unsigned flags,
		  struct rf_err *err)
{
	int fd = open_in(root, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st = { 0 };

	if (!display)
		display = path;
	if (fd < 0 && is_missing(fd) && (flags & RF_INPUT_OPTIONAL))
		return -ENOENT;
	if (fd < 0)
		return rf_fail(err, fd, "cannot read %s: %s", display, strerror(-fd));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;

		close(fd);
		return rf_fail(err, e, "%s: not a regular file%s", display, e == -EISDIR ? " (a directory)" : "");
	}
	return fd;
}

int rf_input_open_path(const char *root, const char *path, int flags)
{
	return open_in(root, path, O_PATH | O_CLOEXEC | flags);
}

static int too_large(const char *display, size_t max, struct rf_err *err)
{
	return rf_fail(err, -EFBIG, "%s: larger than %zu bytes", display, max);
}

int rf_input_read_fd(int fd, const char *display, size_t max, char **text, size_t *len,
		     struct rf_err *err)
{
	struct stat st;
	size_t got = 0, cap;
	char *buf;

	if (fstat(fd, &st) < 0)
		return rf_fail(err, -errno, "cannot read %s: %s", display, strerror(errno));
	if (st.st_size > 0 && (uint64_t)st.st_size > max)
		return too_large(display, max, err);
	/* /proc and /sys report 0 or 4096 whatever they hold: the size is only a first guess. */
	cap = (size_t)st.st_size + 1 > 4096 ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	buf = malloc(cap);
	for (;;) {
		ssize_t n;

		if (!buf)
			return rf_fail(err, -ENOMEM, "cannot read %s: %s", display, strerror(ENOMEM));
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return rf_fail(err, -e, "cannot read %s: %s", display, strerror(e));
		}
		got += (size_t)n;
		if (got > max) {
			free(buf);
			return too_large(display, max, err);
		}
		if (n == 0 && got < cap)
			break;
		if (got == cap) {
			size_t want = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *grown = realloc(buf, want);

			if (!grown)
				free(buf);
			buf = grown;
			cap = want;
		}
	}
	buf[got] = '\0';
	*text = buf;
	if (len)
		*len = got;
	return 0;
}

int rf_input_read(const char *root, const char *path, const char *display, size_t max,
		  unsigned flags, char **text, size_t *len, struct rf_err *err)
{
	int fd = rf_input_open(root, path, display, flags, err), r;

	if (fd < 0)
		return fd;
	r = rf_input_read_fd(fd, display ? display : path, max, text, len, err);
	close(fd);
	return r;
}

static bool has_suffix(const char *name, const char *const *suffixes)
{
	size_t len = strlen(name);

	if (name[0] == '.')
		return false;
	for (; *suffixes; suffixes++) {
		size_t n = strlen(*suffixes);

		if (len > n && strcmp(name + len - n, *suffixes) == 0)
			return true;
	}
	return false;
}

enum kind { K_FILE, K_MASK, K_SKIP };

/* What the entry REL (NAME in the open directory dfd) is, following links inside root. */
static int classify(const char *root, int dfd, const char *name, const char *rel, enum kind *k)
{
	char target[16];
	struct stat st;
	ssize_t n;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? (*k = K_SKIP, 0) : -errno;
	*k = S_ISDIR(st.st_mode) ? K_SKIP : K_FILE;
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		*k = K_MASK;
	if (!S_ISLNK(st.st_mode))
		return 0;
	/* The link is read, not followed: /dev/null need not exist inside a sysroot. */
	n = readlinkat(dfd, name, target, sizeof(target) - 1);
	if (n == 9 && memcmp(target, "/dev/null", 9) == 0) {
		*k = K_MASK;
		return 0;
	}
	fd = open_in(root, rel, O_PATH | O_CLOEXEC);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) {
		*k = K_MASK; /* leads nowhere: kmod reads nothing for it, and it hides the name */
		return 0;
	}
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		*k = K_SKIP;
	close(fd);
	return 0;
}

static int add_entry(struct rf_input_list *l, const char *dir, const char *name, bool masked)
{
	struct rf_input_entry *e;

	if (rf_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 16) < 0)
		return -ENOMEM;
	e = &l->v[l->n];
	e->path = rf_strdupf("%s/%s", dir, name);
	if (!e->path)
		return -ENOMEM;
	e->name = e->path + strlen(dir) + 1;
	e->masked = masked;
	l->n++;
	return 0;
}

/* Add the files of one directory whose names no earlier directory had (seen). */
static int list_dir(const char *root, const char *dir, const char *const *suffixes,
		    struct rf_strmap *seen, struct rf_input_list *out, struct rf_err *err)
{
	int fd = open_in(root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	struct dirent *de;
	DIR *d;

	if (is_missing(fd))
		return 0;
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		r = fd < 0 ? fd : -errno;
		if (fd >= 0)
			close(fd);
		return rf_fail(err, r, "cannot read %s: %s", dir, strerror(-r));
	}
	while (r >= 0 && (errno = 0, de = readdir(d))) {
		char *rel;
		enum kind k;

		if (!has_suffix(de->d_name, suffixes) || rf_strmap_get(seen, de->d_name))
			continue;
		rel = rf_strdupf("%s/%s", dir, de->d_name);
		r = rel ? classify(root, dirfd(d), de->d_name, rel, &k) : -ENOMEM;
		if (r < 0 && r != -ENOMEM)
			rf_fail(err, r, "cannot read %s: %s", rel, strerror(-r));
		free(rel);
		if (r >= 0 && k != K_SKIP)
			r = add_entry(out, dir, de->d_name, k == K_MASK);
		if (r >= 0 && k != K_SKIP)
			r = rf_strmap_put(seen, de->d_name, (void *)1);
		if (r == -ENOMEM)
			rf_fail(err, r, "listing %s: %s", dir, strerror(ENOMEM));
	}
	if (r >= 0 && errno)
		r = rf_fail(err, -errno, "cannot read %s: %s", dir, strerror(errno));
	closedir(d);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct rf_input_entry *)a)->name, ((const struct rf_input_entry *)b)->name);
}

int rf_input_list_conf(const char *root, const char *const *dirs, const char *const *suffixes,
		       struct rf_input_list *out, struct rf_err *err)
{
	struct rf_strmap seen = { 0 };
	int r = 0;

	for (; r >= 0 && *dirs; dirs++)
		r = list_dir(root, *dirs, suffixes, &seen, out, err);
	rf_strmap_clear(&seen);
	if (r < 0) {
		rf_input_list_free(out);
		return r;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
	return 0;
}

void rf_input_list_free(struct rf_input_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* What libkmod (and depindex after it) open in the tree on their own. */
static const char *const kmod_files[] = {
	"modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin", "modules.softdep",
	"modules.weakdep", "modules.symbols", "modules.symbols.bin", "modules.builtin",
	"modules.builtin.bin", "modules.builtin.alias.bin", "modules.builtin.modinfo",
	"modules.devname", "modules.order",
};

int rf_input_check_kmod_tree(const char *kmoddir, struct rf_err *err)
{
	for (size_t i = 0; i < sizeof(kmod_files) / sizeof(kmod_files[0]); i++) {
		char *path = rf_path_join(kmoddir, kmod_files[i]);
		struct stat st;
		int r = 0;

		if (!path)
			return rf_fail(err, -ENOMEM, "out of memory");
		if (stat(path, &st) < 0)
			r = is_missing(-errno) ? 0 : rf_fail(err, -errno, "cannot read %s: %s", path, strerror(errno));
		else if (!S_ISREG(st.st_mode))
			r = rf_fail(err, -EINVAL, "%s: not a regular file", path);
		else if ((uint64_t)st.st_size > RF_INPUT_INDEX_MAX)
			r = too_large(path, RF_INPUT_INDEX_MAX, err);
		free(path);
		if (r < 0)
			return r;
	}
	return 0;
}

int rf_input_in_tree(const char *tree, const char *rel, const char *module, char **real,
		     struct rf_err *err)
{
	char *path = rf_path_join(tree, rel), *res;
	size_t n = strlen(tree);
	int r = 0;

	if (!path)
		return rf_fail(err, -ENOMEM, "out of memory");
	res = realpath(path, NULL);
	while (n > 0 && tree[n - 1] == '/')
		n--;
	/* lib/modules, not the tree alone: RHEL's weak-updates/ links reach another kernel's
	 * extra/ for a kABI-compatible module. */
	while (n > 1 && tree[n - 1] != '/')
		n--;
	if (n > 1)
		n--;
	if (!res)
		r = rf_fail(err, -errno, "module %s: %s: %s", module, path, strerror(errno));
	else if (strncmp(res, tree, n) != 0 || res[n] != '/')
		r = rf_fail(err, -EXDEV, "module %s: %s leads out of the module trees (%.*s) to %s",
			    module, path, (int)n, tree, res);
	free(path);
	if (r < 0)
		rf_freep(&res);
	*real = res;
	return r;
}
