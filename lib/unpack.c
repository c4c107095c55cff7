// SPDX-License-Identifier: MIT
/* Extracting an image safely; see unpack.h. */
#include "unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A directory whose mode, owner and time are set at the end. */
struct pending_dir {
	char *path;
	uint32_t mode, uid, gid;
	uint64_t mtime;
};

struct unpack {
	int root; /* DIR */
	const char *dir;
	const struct rf_unpack_opts *o;
	struct rf_unpack_stats *st;
	struct rf_err *err;
	struct pending_dir *dirs;
	size_t ndirs, cap;
};

/* DIR, made when missing, refused unless empty: its descriptor or -errno. */
static int open_target(const char *dir, struct rf_err *err)
{
	int fd, dup_fd;
	DIR *d;
	struct dirent *e;
	bool empty = true;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return rf_fail(err, -errno, "%s", strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rf_fail(err, -errno, "%s", strerror(errno));
	dup_fd = dup(fd);
	d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		int e2 = errno;

		if (dup_fd >= 0)
			close(dup_fd);
		close(fd);
		return rf_fail(err, -e2, "%s", strerror(e2));
	}
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (!empty) {
		close(fd);
		return rf_fail(err, -ENOTEMPTY, "not empty (--unpack writes only into an empty or new "
			       "directory)");
	}
	return fd;
}

/* The directory that holds path's last component, opened from DIR one component at a time,
 * each a real directory (made when missing); *name is set to the last component (inside buf).
 * Returns the descriptor or -errno. */
static int open_parent(struct unpack *u, const char *path, char *buf, size_t len, char **name)
{
	char *rest = buf, *comp, *next;
	int fd = dup(u->root);

	if (fd < 0)
		return rf_fail(u->err, -errno, "%s: %s", path, strerror(errno));
	snprintf(buf, len, "%s", path);
	comp = rf_path_next(&rest);
	while (comp && (next = rf_path_next(&rest))) {
		int sub;

		if (strcmp(comp, "..") == 0) {
			close(fd);
			return rf_fail(u->err, -EPERM, "%s: a \"..\" component: refusing to leave %s",
				       path, u->dir);
		}
		if (strcmp(comp, ".") != 0) {
			sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 && errno == ENOENT && mkdirat(fd, comp, 0700) == 0)
				sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				int e = errno;
				struct stat st;
				bool link = fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
					    S_ISLNK(st.st_mode);

				close(fd);
				if (e == ELOOP || e == ENOTDIR)
					return rf_fail(u->err, -EPERM, "%s: its directory '%s' is a %s in the "
						       "image: refusing to write through it", path, comp,
						       link ? "symlink" : "file");
				return rf_fail(u->err, -e, "%s: %s: %s", path, comp, strerror(e));
			}
			close(fd);
			fd = sub;
		}
		comp = next;
	}
	if (!comp || strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0) {
		close(fd);
		return rf_fail(u->err, -EINVAL, "%s: not a name to extract", path);
	}
	*name = comp;
	return fd;
}

/* Room for a new entry called name in dir: an earlier entry of that name (not a directory)
 * is removed, as the kernel replaces it. */
static int make_room(struct unpack *u, int dir, const char *name, const char *path)
{
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : rf_fail(u->err, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return rf_fail(u->err, -EEXIST, "%s: a directory of that name came first in the image",
			       path);
	if (unlinkat(dir, name, 0) < 0)
		return rf_fail(u->err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static uint32_t perms(const struct unpack *u, uint32_t mode)
{
	return mode & (u->o->owners ? 07777u : 01777u);
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Owner, mode and time of an open file or directory. */
static int finish_fd(struct unpack *u, int fd, const char *path, uint32_t mode, uint32_t uid,
		     uint32_t gid, uint64_t mtime)
{
	struct timespec t[2] = { { (time_t)mtime, 0 }, { (time_t)mtime, 0 } };

	if (u->o->owners && fchown(fd, uid, gid) < 0)
		return rf_fail(u->err, -errno, "%s: owner %u:%u: %s", path, uid, gid, strerror(errno));
	if (fchmod(fd, perms(u, mode)) < 0 || futimens(fd, t) < 0)
		return rf_fail(u->err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static int put_file(struct unpack *u, int dir, const char *name, const struct rf_inspect_entry *e)
{
	int fd, r = make_room(u, dir, name, e->path);
	const void *p;
	size_t n;

	if (r < 0)
		return r;
	fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return rf_fail(u->err, -errno, "%s: %s", e->path, strerror(errno));
	while (e->stream && (r = rf_inspect_chunk(e->stream, &p, &n)) > 0)
		if ((r = write_all(fd, p, n)) < 0) {
			r = rf_fail(u->err, r, "%s: %s", e->path, strerror(-r));
			break;
		}
	if (r >= 0)
		r = finish_fd(u, fd, e->path, e->mode, e->uid, e->gid, e->mtime);
	if (close(fd) < 0 && r >= 0)
		r = rf_fail(u->err, -errno, "%s: %s", e->path, strerror(errno));
	u->st->files += r >= 0;
	return r;
}

static int put_symlink(struct unpack *u, int dir, const char *name, const struct rf_inspect_entry *e)
{
	struct timespec t[2] = { { (time_t)e->mtime, 0 }, { (time_t)e->mtime, 0 } };
	int r = make_room(u, dir, name, e->path);

	if (r < 0)
		return r;
	if (symlinkat(e->link, dir, name) < 0)
		return rf_fail(u->err, -errno, "%s: %s", e->path, strerror(errno));
	if (u->o->owners && fchownat(dir, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return rf_fail(u->err, -errno, "%s: owner: %s", e->path, strerror(errno));
	if (utimensat(dir, name, t, AT_SYMLINK_NOFOLLOW) < 0)
		return rf_fail(u->err, -errno, "%s: %s", e->path, strerror(errno));
	u->st->symlinks++;
	return 0;
}

static int put_dir(struct unpack *u, int dir, const char *name, const struct rf_inspect_entry *e)
{
	struct stat st;
	struct pending_dir *d;

	if (mkdirat(dir, name, 0700) < 0) {
		if (errno != EEXIST)
			return rf_fail(u->err, -errno, "%s: %s", e->path, strerror(errno));
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			return rf_fail(u->err, -EEXIST, "%s: a directory, but a %s of that name came "
				       "first in the image", e->path,
				       S_ISLNK(st.st_mode) ? "symlink" : "file");
	} else {
		u->st->dirs++;
	}
	if (rf_grow(&u->dirs, &u->cap, u->ndirs, sizeof(*u->dirs), 64) < 0)
		return rf_fail(u->err, -ENOMEM, "%s: %s", e->path, strerror(ENOMEM));
	d = &u->dirs[u->ndirs];
	*d = (struct pending_dir){ .path = strdup(e->path), .mode = e->mode, .uid = e->uid,
				   .gid = e->gid, .mtime = e->mtime };
	if (!d->path)
		return rf_fail(u->err, -ENOMEM, "%s: %s", e->path, strerror(ENOMEM));
	u->ndirs++;
	return 0;
}

/* A device node, socket or FIFO. */
static int put_special(struct unpack *u, int dir, const char *name, const struct rf_inspect_entry *e)
{
	bool fifo = S_ISFIFO(e->mode);
	int r;

	if (!fifo && !u->o->devices) {
		if (!u->st->skipped++)
			snprintf(u->st->first_skipped, sizeof(u->st->first_skipped), "%s", e->path);
		return 0;
	}
	if ((r = make_room(u, dir, name, e->path)) < 0)
		return r;
	if (mknodat(dir, name, (e->mode & S_IFMT) | 0600, makedev(e->rdev_major, e->rdev_minor)) < 0)
		return rf_fail(u->err, -errno, "%s: %s", e->path, strerror(errno));
	if (u->o->owners && fchownat(dir, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return rf_fail(u->err, -errno, "%s: owner: %s", e->path, strerror(errno));
	if (fchmodat(dir, name, perms(u, e->mode), 0) < 0)
		return rf_fail(u->err, -errno, "%s: %s", e->path, strerror(errno));
	if (fifo)
		u->st->fifos++;
	return 0;
}

static int put_entry(const struct rf_inspect_entry *e, void *data)
{
	struct unpack *u = data;
	char buf[RF_INSPECT_NAME_MAX + 1], *name;
	int dir, r;

	if (strcmp(e->path, ".") == 0)
		return 0; /* DIR itself */
	dir = open_parent(u, e->path, buf, sizeof(buf), &name);
	if (dir < 0)
		return dir;
	switch (e->mode & S_IFMT) {
	case S_IFREG: r = put_file(u, dir, name, e); break;
	case S_IFLNK: r = put_symlink(u, dir, name, e); break;
	case S_IFDIR: r = put_dir(u, dir, name, e); break;
	default: r = put_special(u, dir, name, e); break;
	}
	close(dir);
	return r;
}

/* The directories' modes, owners and times, deepest (latest) first. */
static int finish_dirs(struct unpack *u)
{
	char buf[RF_INSPECT_NAME_MAX + 1], *name;
	int r = 0;

	for (size_t i = u->ndirs; r >= 0 && i-- > 0;) {
		struct pending_dir *d = &u->dirs[i];
		int parent = open_parent(u, d->path, buf, sizeof(buf), &name), fd;

		if (parent < 0)
			return parent;
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			r = rf_fail(u->err, -errno, "%s: %s", d->path, strerror(errno));
		else
			r = finish_fd(u, fd, d->path, d->mode, d->uid, d->gid, d->mtime);
		if (fd >= 0)
			close(fd);
		close(parent);
	}
	return r;
}

int rf_unpack(struct rf_inspect *img, const char *dir, const struct rf_unpack_opts *o,
	      struct rf_unpack_stats *stats, struct rf_err *err)
{
	struct unpack u = { .dir = dir, .o = o, .st = stats, .err = err };
	int r;

	memset(stats, 0, sizeof(*stats));
	u.root = open_target(dir, err);
	if (u.root < 0)
		return u.root;
	r = rf_inspect_foreach_stream(img, put_entry, &u, err);
	if (r >= 0)
		r = finish_dirs(&u);
	for (size_t i = 0; i < u.ndirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	close(u.root);
	return r < 0 ? r : 0;
}
