// SPDX-License-Identifier: MIT
/* Sysroot files into the image, programs with what they need to run; see items.h.
 * Two passes: every item is resolved and checked first (nothing is added while one can still
 * fail on the sysroot's account), then the entries go into the manifest in path order. */
#include "items.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfdeps.h"
#include "input.h"
#include "log.h"
#include "rootpath.h"
#include "strmap.h"

/* glibc's pthread_exit and pthread_cancel unwind the thread's stack with libgcc's unwinder,
 * which libc.so.6 (libpthread.so.0 before glibc 2.34) dlopen()s on first use, without a
 * .note.dlopen saying so: a program whose thread exits that way aborts without it
 * ("libgcc_s.so.1 must be installed for pthread_exit to work"). cryptsetup's argon2 threads
 * do. Whether a program ever cancels a thread cannot be told from its file (since 2.34 the
 * calls are inside libc.so.6), and the library is small (about 100 KiB), so it goes in
 * whenever a closure holds glibc's libc.so.6 and the sysroot has it; as dracut does. */
#define GLIBC_SONAME "libc.so.6"
#define UNWIND_SONAME "libgcc_s.so.1"
static const char unwind_origin[] =
	"libgcc_s.so.1 (glibc's pthread_exit and pthread_cancel load it)";

/* One entry to add: a file or a symlink, at its path in the sysroot. */
struct want {
	char *path;         /* "/usr/sbin/lvm" */
	char *target;       /* a symlink's text, NULL for a file */
	const char *origin; /* the item that brought it first */
};

struct stage {
	const char *root; /* "/" for the host */
	int rootfd;
	struct rf_rootpath *rp;
	struct rf_elfdeps *deps; /* made at the first program */
	struct rf_strmap seen;   /* path -> 1 */
	struct want *v;
	size_t n, cap;
	bool glibc; /* a closure holds libc.so.6 */
};

static int want_add(struct stage *st, const char *path, const char *target, const char *origin)
{
	struct want *w;

	if (rf_strmap_get(&st->seen, path))
		return 0;
	if (rf_grow(&st->v, &st->cap, st->n, sizeof(*st->v), 64) < 0)
		return -ENOMEM;
	w = &st->v[st->n];
	w->path = strdup(path);
	w->target = target ? strdup(target) : NULL;
	w->origin = origin;
	if (!w->path || (target && !w->target) || rf_strmap_put(&st->seen, path, (void *)1) < 0) {
		free(w->path);
		free(w->target);
		return -ENOMEM;
	}
	st->n++;
	return 0;
}

static bool is_glibc(const char *path)
{
	const char *base = strrchr(path, '/');

	return strcmp(base ? base + 1 : path, GLIBC_SONAME) == 0;
}

/* What the resolver has found so far, those not taken yet credited to origin. */
static int take_deps(struct stage *st, const char *origin)
{
	size_t n;
	const struct rf_elfdeps_entry *e = rf_elfdeps_entries(st->deps, &n);
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		r = want_add(st, e[i].path, e[i].kind == RF_ELFDEPS_SYMLINK ? e[i].target : NULL, origin);
		st->glibc |= is_glibc(e[i].path);
	}
	return r;
}

/* A plain file: the symlinks met on its way, then the file itself. */
static int take_file(struct stage *st, const struct rf_rootpath_res *res, const char *origin)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < res->nlinks; i++) {
		const struct rf_rootpath_link *l = rf_rootpath_link(st->rp, res->links[i]);

		r = want_add(st, l->path, l->target, origin);
	}
	return r < 0 ? r : want_add(st, res->real, NULL, origin);
}

enum kind { PLAIN, PROGRAM };

/* Is the regular file at real (no symlinks in it) a program: ELF, or #! with an execute bit?
 * Its type is checked before it is opened: opening a device can do things (a watchdog starts). */
static int kind_of(struct stage *st, const struct rf_item *it, const char *real, enum kind *kind,
		   struct rf_err *err)
{
	unsigned char head[4] = { 0 };
	struct rf_err sub = { "" };
	struct stat sb;
	ssize_t n;
	int fd;

	if (fstatat(st->rootfd, strcmp(real, "/") ? real + 1 : ".", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return rf_fail(err, -errno, "%s: %s: %s", it->origin, it->path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return rf_fail(err, -EINVAL, "%s: %s: not a regular file", it->origin, it->path);
	fd = rf_input_open(st->root, real, it->path, 0, &sub);
	if (fd < 0)
		return rf_fail(err, fd, "%s: %s", it->origin, sub.msg);
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		int e = -errno;

		close(fd);
		return rf_fail(err, e, "%s: cannot read %s: %s", it->origin, it->path, strerror(-e));
	}
	close(fd);
	if (n == 4 && memcmp(head, "\177ELF", 4) == 0)
		*kind = PROGRAM;
	else
		*kind = n >= 2 && head[0] == '#' && head[1] == '!' && (sb.st_mode & 0111) ? PROGRAM : PLAIN;
	return 0;
}

static int add_program(struct stage *st, const struct rf_item *it, struct rf_err *err)
{
	struct rf_err sub = { "" };
	int r = st->deps ? 0 : rf_elfdeps_new(&st->deps, st->root, 0, &sub);

	if (r == 0)
		r = rf_elfdeps_add(st->deps, it->path, &sub);
	if (r < 0)
		return rf_fail(err, r, "%s: %s", it->origin, sub.msg);
	r = take_deps(st, it->origin);
	return r < 0 ? rf_fail(err, r, "%s: %s: %s", it->origin, it->path, strerror(-r)) : 0;
}

static int add_item(struct stage *st, const struct rf_item *it, struct rf_err *err)
{
	const struct rf_rootpath_res *res;
	bool host = strcmp(st->root, "/") == 0;
	enum kind kind;
	int r;

	if (it->path[0] != '/')
		return rf_fail(err, -EINVAL, "%s: %s: not an absolute path", it->origin, it->path);
	r = rf_rootpath_resolve(st->rp, it->path, &res);
	if (r < 0)
		return rf_fail(err, r, "%s: %s: %s", it->origin, it->path, strerror(-r));
	if ((res->err == ENOENT || res->err == ENOTDIR) && (it->flags & RF_ITEM_OPTIONAL))
		return 0;
	if (res->err == ENOENT || res->err == ENOTDIR)
		return rf_fail(err, -ENOENT, "%s: %s: not found%s%s", it->origin, it->path,
			       host ? "" : " in ", host ? "" : st->root);
	if (res->err)
		return rf_fail(err, -res->err, "%s: %s: %s", it->origin, it->path, strerror(res->err));
	if (res->dir)
		return rf_fail(err, -EISDIR, "%s: %s: a directory (name the files in it)", it->origin,
			       it->path);
	r = kind_of(st, it, res->real, &kind, err);
	if (r < 0)
		return r;
	if (kind == PROGRAM)
		return add_program(st, it, err);
	r = take_file(st, res, it->origin);
	return r < 0 ? rf_fail(err, r, "%s: %s: %s", it->origin, it->path, strerror(-r)) : 0;
}

/* The unwinder glibc loads (see UNWIND_SONAME above), when the sysroot has it. */
static int add_unwinder(struct stage *st, struct rf_err *err)
{
	struct rf_err sub = { "" };
	int r;

	if (!st->glibc)
		return 0;
	r = rf_elfdeps_add_soname(st->deps, UNWIND_SONAME, &sub);
	if (r == -ENOENT) {
		rf_info("%s: not in the sysroot: a program of the image whose thread exits through "
			"pthread_exit or pthread_cancel will abort", UNWIND_SONAME);
		return 0;
	}
	if (r < 0)
		return rf_fail(err, r, "%s: %s", unwind_origin, sub.msg);
	r = take_deps(st, unwind_origin);
	return r < 0 ? rf_fail(err, r, "%s: %s", unwind_origin, strerror(-r)) : 0;
}

/* The top-level links of a merged /usr (Debian 12, Fedora): /sbin -> usr/sbin and the like.
 * The image gets those of the sysroot with its programs, so that a program or script called
 * by another of its paths (/sbin/lvm for /usr/sbin/lvm) is found as in the sysroot. */
static int add_usr_links(struct stage *st, struct rf_err *err)
{
	static const char *const names[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
	static const char origin[] = "the sysroot's merged /usr";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct rf_rootpath_res *res;
		char target[64], path[16];
		const char *t;
		ssize_t n = readlinkat(st->rootfd, names[i], target, sizeof(target) - 1);
		int r;

		if (n <= 0 || (size_t)n >= sizeof(target) - 1)
			continue;
		target[n] = '\0';
		snprintf(path, sizeof(path), "/%s", names[i]);
		t = target + (target[0] == '/');
		if (strncmp(t, "usr/", 4) != 0 || strcmp(t + 4, names[i]) != 0)
			continue;
		r = rf_rootpath_resolve(st->rp, path, &res);
		if (r == 0 && (res->err || !res->dir))
			continue;
		if (r == 0)
			r = want_add(st, path, target, origin);
		if (r < 0)
			return rf_fail(err, r, "%s: %s", origin, strerror(-r));
	}
	return 0;
}

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->path, ((const struct want *)b)->path);
}

/* The image has something at w's path already: keep it when it is the same, else say so. */
static bool keep_existing(const struct stage *st, const struct want *w, const struct rf_entry *e)
{
	if (!w->target && e->type == RF_ENTRY_FILE && e->root && strcmp(e->root, st->root) == 0 &&
	    strcmp(e->source, w->path) == 0)
		return true;
	if (w->target && e->type == RF_ENTRY_SYMLINK && strcmp(e->source, w->target) == 0)
		return true;
	if (e->type == RF_ENTRY_DIR)
		return false; /* a link merges with it; a file is refused by the manifest */
	rf_warn("%s: %s: the image has its own %s; the sysroot's is left out", w->origin, w->path,
		w->path);
	return true;
}

static int apply(struct stage *st, struct rf_manifest *m, struct rf_strv *added, struct rf_err *err)
{
	int r = 0;

	if (st->n) /* the same manifest whatever the order */
		qsort(st->v, st->n, sizeof(*st->v), cmp_want);
	for (size_t i = 0; r >= 0 && i < st->n; i++) {
		const struct want *w = &st->v[i];
		const struct rf_entry *e = rf_manifest_get(m, w->path);
		struct rf_err sub = { "" };

		if (e && keep_existing(st, w, e))
			continue;
		if (w->target)
			r = rf_manifest_add_symlink_merge(m, w->path, w->target, &sub);
		else if (e)
			r = rf_fail(&sub, -EISDIR, "%s: the image has a directory there", w->path);
		else
			r = rf_manifest_add_file_in(m, w->path, st->root, w->path, 0, &sub);
		if (r < 0)
			return rf_fail(err, r, "%s: %s", w->origin, sub.msg);
		if (added && (r = rf_strv_push(added, w->path + 1)) < 0)
			return rf_fail(err, r, "%s: %s", w->origin, strerror(-r));
	}
	return r;
}

static void stage_free(struct stage *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].path);
		free(st->v[i].target);
	}
	free(st->v);
	rf_strmap_clear(&st->seen);
	rf_elfdeps_free(st->deps);
	rf_rootpath_free(st->rp);
	if (st->rootfd >= 0)
		close(st->rootfd);
}

int rf_items_add(struct rf_manifest *m, const char *sysroot, const struct rf_item *items, size_t n,
		 struct rf_strv *added, struct rf_err *err)
{
	struct stage st = { .root = sysroot && sysroot[strspn(sysroot, "/")] ? sysroot : "/" };
	int r;

	if (n == 0)
		return 0;
	st.rootfd = open(st.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = st.rootfd < 0 ? -errno : rf_rootpath_new(&st.rp, st.root);
	if (r < 0)
		r = rf_fail(err, r, "sysroot %s: %s", st.root, strerror(-r));
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = add_item(&st, &items[i], err);
	if (r >= 0 && st.deps)
		r = add_unwinder(&st, err);
	if (r >= 0 && st.deps)
		r = add_usr_links(&st, err);
	if (r >= 0)
		r = apply(&st, m, added, err);
	stage_free(&st);
	return r < 0 ? r : 0;
}

int rf_items_add_conf(struct rf_manifest *m, const char *sysroot, const struct rf_conf_list *list,
		      const char *key, unsigned flags, struct rf_strv *added, struct rf_err *err)
{
	struct rf_item *items = calloc(list->n + 1, sizeof(*items));
	struct rf_strv origins = { 0 };
	int r = items ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < list->n; i++)
		r = rf_strv_pushf(&origins, "%s %s", key, list->v[i].origin);
	for (size_t i = 0; r == 0 && i < list->n; i++)
		items[i] = (struct rf_item){ .path = list->v[i].word, .flags = flags,
					     .origin = origins.v[i] };
	if (r < 0)
		r = rf_fail(err, r, "%s: %s", key, strerror(-r));
	else
		r = rf_items_add(m, sysroot, items, list->n, added, err);
	rf_strv_clear(&origins);
	free(items);
	return r;
}
