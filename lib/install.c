// SPDX-License-Identifier: MIT
/*
 * Atomic image install (see install.h): lock the directory, write an O_TMPFILE (or a hidden
 * O_EXCL file where the filesystem has no O_TMPFILE), fsync, back up by hard link, rename over
 * IMAGE, fsync the directory, prune backups. An unnamed temporary file vanishes even on kill -9.
 */
#include "install.h"
#include "install_lock.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define TMP_TAG ".rf-tmp."
#define TMP_RANDOM 12     /* random characters after TMP_TAG */
#define LEGACY_RANDOM 6   /* ".IMAGE.rf-tmp.XXXXXX", as older versions named it */
#define BAK_TRIES 100     /* backup names tried: the stamp, then -3 .. -99 */
#define BAK_SUFFIX_MAX "-99"
#define MSDOS_MAGIC 0x4d44     /* vfat: no hard links, so a backup is a copy */
#define EXFAT_MAGIC 0x2011BAB0 /* likewise */

struct rf_install {
	char *image; /* as given */
	char *dir;   /* its directory ("." for a bare name) */
	char *base;  /* its file name */
	int dirfd;   /* open directory */
	int lockfd;  /* its lock (install_lock.h) */
	int fd;      /* the temporary file */
	char tmp[NAME_MAX + 1]; /* its name in dir once it has one ("" while unnamed) */
	char *bak;   /* the backup this run made (removed on abort, never pruned) */
	bool had_image;
	struct stat old;
	bool force, backup;
	int keep;
	struct sigaction saved[3];
	bool hooked[3]; /* a handler of ours is installed (not for a signal ignored on entry) */
	bool handlers;
};

/* What the signal handler needs, kept where an async-signal-safe handler can read it. */
static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
static char sig_image[PATH_MAX], sig_tmp[PATH_MAX], sig_bak[PATH_MAX], sig_lock[PATH_MAX];
static volatile sig_atomic_t sig_have_tmp, sig_have_bak, sig_have_lock, sig_had_image, sig_committing, sig_pending;

static void put(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void on_signal(int sig)
{
	int e = errno;
	bool intact = true;

	if (sig_committing) { /* the rename is under way: finish it, then die (commit re-raises) */
		sig_pending = sig;
		errno = e;
		return;
	}
	if (sig_have_tmp && unlink(sig_tmp) < 0 && errno == ENOENT)
		intact = false; /* another thread already renamed it; keep the backup */
	if (intact && sig_have_bak)
		unlink(sig_bak);
	if (sig_have_lock)
		unlink(sig_lock); /* ours: we hold it */
	put("ramforge: error: interrupted by ");
	put(sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP");
	if (intact) {
		put("; ");
		put(sig_image);
		put(sig_had_image ? " left as it was" : " not written");
	}
	put("\n");
	_exit(128 + sig);
}

/* Tell the handler which file to remove; set before the file can exist. */
static void sig_watch(char *buf, volatile sig_atomic_t *flag, const struct rf_install *ins, const char *name)
{
	*flag = 0;
	snprintf(buf, PATH_MAX, "%s/%s", ins->dir, name);
	*flag = 1;
}

/* Handle the signals that are not ignored: one ignored on entry (nohup, `cmd &` for SIGINT)
 * is the caller's wish, and stays so. */
static void handlers_install(struct rf_install *ins)
{
	struct sigaction sa, cur;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	snprintf(sig_image, sizeof(sig_image), "%s", ins->image);
	sig_had_image = ins->had_image;
	sig_have_tmp = sig_have_bak = sig_committing = sig_pending = 0;
	sig_watch(sig_lock, &sig_have_lock, ins, RF_LOCK_NAME);
	for (int i = 0; i < 3; i++) {
		ins->hooked[i] = sigaction(sigs[i], NULL, &cur) == 0 && cur.sa_handler != SIG_IGN;
		if (ins->hooked[i])
			sigaction(sigs[i], &sa, &ins->saved[i]);
	}
	ins->handlers = true;
}

static void handlers_restore(struct rf_install *ins)
{
	if (!ins->handlers)
		return;
	for (int i = 0; i < 3; i++)
		if (ins->hooked[i])
			sigaction(sigs[i], &ins->saved[i], NULL);
	ins->handlers = false;
	sig_have_tmp = sig_have_bak = sig_have_lock = sig_committing = 0;
}

static void install_free(struct rf_install *ins)
{
	handlers_restore(ins);
	if (ins->fd >= 0)
		close(ins->fd);
	rf_dirlock_release(ins->dirfd, ins->lockfd);
	if (ins->dirfd >= 0)
		close(ins->dirfd);
	free(ins->image);
	free(ins->dir);
	free(ins->base);
	free(ins->bak);
	free(ins);
}

void rf_install_abort(struct rf_install *ins)
{
	if (!ins)
		return;
	sig_have_tmp = sig_have_bak = 0;
	if (ins->tmp[0])
		unlinkat(ins->dirfd, ins->tmp, 0);
	if (ins->bak)
		unlinkat(ins->dirfd, ins->bak, 0);
	install_free(ins);
}

/* "; the old IMAGE is intact" or "; IMAGE was not written", appended to a message. */
static void note_intact(struct rf_err *err, const char *image, bool had_image)
{
	size_t n;

	if (!err)
		return;
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, had_image ? "; the old %s is intact" : "; %s was not written",
		 image);
}

int rf_install_fail(struct rf_install *ins, int code, struct rf_err *err)
{
	if (ins)
		note_intact(err, ins->image, ins->had_image);
	rf_install_abort(ins);
	return code < 0 ? code : -EIO;
}

/* Abort with a message: "WHAT; the old IMAGE is intact". */
static int fail_abort(struct rf_install *ins, int code, struct rf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_abort(struct rf_install *ins, int code, struct rf_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return rf_install_fail(ins, code, err);
}

char *rf_install_backup_name(const char *image, int64_t t)
{
	time_t tt = (time_t)t;
	size_t n = strlen(image);
	char stamp[32];
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(stamp, sizeof(stamp), "%m-%d-%H%M%S", &tm))
		snprintf(stamp, sizeof(stamp), "00-00-000000");
	if (n > 4 && strcmp(image + n - 4, ".img") == 0)
		return rf_strdupf("%.*s.bak.%s.img", (int)(n - 4), image, stamp);
	return rf_strdupf("%s.bak.%s", image, stamp);
}

static int split_path(struct rf_install *ins, const char *image)
{
	const char *slash = strrchr(image, '/');

	ins->image = strdup(image);
	if (!slash)
		ins->dir = strdup(".");
	else if (slash == image)
		ins->dir = strdup("/");
	else
		ins->dir = strndup(image, (size_t)(slash - image));
	ins->base = strdup(slash ? slash + 1 : image);
	return ins->image && ins->dir && ins->base ? 0 : -ENOMEM;
}

/* Is IMAGE something we may replace? Fills ins->had_image and ins->old. */
static int check_target(struct rf_install *ins, struct rf_err *err)
{
	struct stat st;

	if (fstatat(AT_FDCWD, ins->image, &ins->old, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(ins->old.st_mode))
			return rf_fail(err, -ELOOP, "%s is a symlink; name the file itself (ramforge does not replace symlinks)",
				       ins->image);
		if (S_ISDIR(ins->old.st_mode))
			return rf_fail(err, -EISDIR, "%s is a directory; name the image file to write", ins->image);
		if (!S_ISREG(ins->old.st_mode))
			return rf_fail(err, -EINVAL, "%s exists and is not a regular file", ins->image);
		ins->had_image = true;
		if (!ins->force)
			return rf_fail(err, -EEXIST, "%s exists; use -f to replace it (a backup is kept)", ins->image);
		return 0;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		return rf_fail(err, -errno, "cannot write %s: %s", ins->image, strerror(errno));
	ins->had_image = false;
	if (stat(ins->dir, &st) < 0)
		return rf_fail(err, -errno, "cannot write %s: directory %s %s", ins->image, ins->dir,
			       errno == ENOENT ? "does not exist" : strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rf_fail(err, -ENOTDIR, "cannot write %s: %s is not a directory", ins->image, ins->dir);
	return 0;
}

static int lock_dir(struct rf_install *ins, int timeout, struct rf_err *err)
{
	struct statvfs vfs;
	int fd;

	ins->dirfd = open(ins->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ins->dirfd < 0)
		return rf_fail(err, -errno, "cannot open directory %s: %s", ins->dir, strerror(errno));
	if (fstatvfs(ins->dirfd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return rf_fail(err, -EROFS, "cannot write %s: %s is on a read-only filesystem", ins->image, ins->dir);
	fd = rf_dirlock_take(ins->dirfd, ins->dir, ins->image, timeout, err);
	if (fd < 0)
		return fd;
	ins->lockfd = fd;
	return 0;
}

/* A DIR stream over IMAGE's directory (borrowed fd duplicated), or NULL. */
static DIR *open_image_dir(const struct rf_install *ins)
{
	int fd = openat(ins->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0)
		close(fd);
	return d;
}

/* Is n TMP_TAG followed by exactly len characters? */
static bool tmp_tagged(const char *n, size_t len)
{
	return strncmp(n, TMP_TAG, strlen(TMP_TAG)) == 0 && strlen(n + strlen(TMP_TAG)) == len;
}

/* A temporary file of a run that was killed (kill -9 between naming and rename, or on a
 * filesystem without O_TMPFILE): ours to remove, since we hold the directory's lock. Also the
 * longer names of older versions, for this IMAGE. */
static void remove_stale(struct rf_install *ins)
{
	size_t bl = strlen(ins->base);
	struct dirent *de;
	DIR *d = open_image_dir(ins);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *n = de->d_name;

		if (tmp_tagged(n, TMP_RANDOM) ||
		    (n[0] == '.' && strncmp(n + 1, ins->base, bl) == 0 && tmp_tagged(n + 1 + bl, LEGACY_RANDOM)))
			unlinkat(ins->dirfd, n, 0);
	}
	closedir(d);
}

static bool fs_has_links(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) < 0 || (fs.f_type != MSDOS_MAGIC && fs.f_type != (typeof(fs.f_type))EXFAT_MAGIC);
}

static bool making_backup(const struct rf_install *ins)
{
	return ins->had_image && ins->force && ins->backup && ins->keep > 0;
}

/* Refuse, before anything is written, an IMAGE whose longest backup name would not fit in a
 * directory entry. */
static int check_backup_name(struct rf_install *ins, struct rf_err *err)
{
	long max = fpathconf(ins->dirfd, _PC_NAME_MAX);
	char *name;
	size_t n;

	if (!making_backup(ins))
		return 0;
	name = rf_install_backup_name(ins->base, 0);
	if (!name)
		return rf_fail(err, -ENOMEM, "out of memory");
	n = strlen(name) + strlen(BAK_SUFFIX_MAX);
	free(name);
	if (max <= 0)
		max = NAME_MAX;
	if (n <= (size_t)max)
		return 0;
	return rf_fail(err, -ENAMETOOLONG,
		       "%s: the name is too long to keep a backup beside it (the backup's name would have up to %zu characters, the filesystem allows %ld); use a shorter name or --no-backup",
		       ins->image, n, max);
}

static void fmt_size(char *buf, size_t len, uint64_t n)
{
	if (n >= 10u << 20)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(n >> 20));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)((n + 1023) >> 10));
}

static int check_space(struct rf_install *ins, uint64_t hint, struct rf_err *err)
{
	uint64_t need = hint, avail;
	char a[32], b[32];
	struct statvfs vfs;

	if (hint == 0 || fstatvfs(ins->dirfd, &vfs) < 0)
		return 0;
	if (making_backup(ins) && !fs_has_links(ins->dirfd))
		need += (uint64_t)ins->old.st_size;
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (need <= avail)
		return 0;
	fmt_size(a, sizeof(a), need);
	fmt_size(b, sizeof(b), avail);
	return rf_fail(err, -ENOSPC, "not enough space in %s for %s: about %s needed, %s free", ins->dir,
		       ins->image, a, b);
}

/* ".rf-tmp.XXXXXXXXXXXX": a fixed length, so it fits beside any IMAGE name. */
static void random_name(char *buf, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[TMP_RANDOM];
	char s[TMP_RANDOM + 1];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(rand() ^ getpid() ^ (int)time(NULL));
	for (size_t i = 0; i < TMP_RANDOM; i++)
		s[i] = set[r[i] % (sizeof(set) - 1)];
	s[TMP_RANDOM] = '\0';
	snprintf(buf, len, TMP_TAG "%s", s);
}

/* Open the temporary file: unnamed if the filesystem can, else a hidden name, O_EXCL. */
static int open_tmp(struct rf_install *ins, struct rf_err *err)
{
	ins->fd = openat(ins->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	for (int tries = 0; ins->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == EEXIST) &&
			    tries < 100; tries++) {
		random_name(ins->tmp, sizeof(ins->tmp));
		sig_watch(sig_tmp, &sig_have_tmp, ins, ins->tmp);
		ins->fd = openat(ins->dirfd, ins->tmp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	}
	if (ins->fd < 0) {
		int e = errno;

		sig_have_tmp = 0;
		ins->tmp[0] = '\0';
		if (e == EROFS)
			return rf_fail(err, -e, "cannot write %s: %s is on a read-only filesystem", ins->image, ins->dir);
		return rf_fail(err, -e, "cannot create a temporary file in %s: %s", ins->dir, strerror(e));
	}
	fchmod(ins->fd, 0600);
	return 0;
}

/* Lock, then check again (another build may have written IMAGE meanwhile), the backup name and
 * the free space. The messages say the old image is intact, unless they say what IMAGE is. */
static int lock_and_check(struct rf_install *ins, const struct rf_install_opts *o, struct rf_err *err)
{
	int r = lock_dir(ins, o->lock_timeout, err);

	if (r >= 0) {
		r = check_target(ins, err);
		if (r == -EEXIST || r == -ELOOP || r == -EISDIR)
			return r;
	}
	if (r >= 0)
		r = check_backup_name(ins, err);
	if (r >= 0)
		r = check_space(ins, o->size_hint, err);
	if (r < 0)
		note_intact(err, ins->image, ins->had_image);
	return r;
}

int rf_install_begin(struct rf_install **out, const struct rf_install_opts *o, struct rf_err *err)
{
	struct rf_install *ins = calloc(1, sizeof(*ins));
	size_t n = o->image ? strlen(o->image) : 0;
	int r;

	*out = NULL;
	if (!ins)
		return rf_fail(err, -ENOMEM, "out of memory");
	ins->fd = ins->dirfd = ins->lockfd = -1;
	ins->force = o->force;
	ins->backup = o->backup;
	ins->keep = o->keep < 0 ? 0 : o->keep;
	if (n == 0 || o->image[n - 1] == '/') {
		install_free(ins);
		return rf_fail(err, -EISDIR, "%s: the image must be a file name, not a directory", n ? o->image : "\"\"");
	}
	r = split_path(ins, o->image);
	if (r < 0)
		r = rf_fail(err, r, "out of memory");
	if (r >= 0)
		r = check_target(ins, err);
	if (r >= 0)
		r = lock_and_check(ins, o, err);
	if (r < 0) {
		install_free(ins);
		return r;
	}
	remove_stale(ins);
	handlers_install(ins);
	r = open_tmp(ins, err);
	if (r < 0)
		return rf_install_fail(ins, r, err);
	*out = ins;
	return 0;
}

int rf_install_fd(const struct rf_install *ins)
{
	return ins->fd;
}

/* Give the unnamed temporary file a (hidden) name, so it can be renamed over IMAGE. */
static int name_tmp(struct rf_install *ins, struct rf_err *err)
{
	char proc[64];
	int r = -1;

	if (ins->tmp[0])
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ins->fd);
	for (int tries = 0; r < 0 && tries < 100; tries++) {
		random_name(ins->tmp, sizeof(ins->tmp));
		sig_watch(sig_tmp, &sig_have_tmp, ins, ins->tmp);
		r = linkat(AT_FDCWD, proc, ins->dirfd, ins->tmp, AT_SYMLINK_FOLLOW);
		if (r < 0 && errno == ENOENT) /* no /proc: needs CAP_DAC_READ_SEARCH instead */
			r = linkat(ins->fd, "", ins->dirfd, ins->tmp, AT_EMPTY_PATH);
		if (r < 0 && errno != EEXIST)
			break;
	}
	if (r < 0) {
		int e = errno;

		sig_have_tmp = 0;
		ins->tmp[0] = '\0';
		return fail_abort(ins, -e, err, "cannot name the temporary file in %s: %s", ins->dir, strerror(e));
	}
	return 0;
}

static int copy_data(int in, int out)
{
	char buf[1 << 16];
	ssize_t n;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (ssize_t off = 0, w; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return -errno;
		}
	}
	return 0;
}

/* The backup as a copy, for filesystems without hard links (vfat). Same mode and times. */
static int copy_backup(struct rf_install *ins, const char *name)
{
	int in = openat(ins->dirfd, ins->base, O_RDONLY | O_CLOEXEC), out, r;
	struct timespec ts[2] = { ins->old.st_atim, ins->old.st_mtim };

	if (in < 0)
		return -errno;
	out = openat(ins->dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	r = copy_data(in, out);
	if (r >= 0 && (fsync(out) < 0 || futimens(out, ts) < 0))
		r = -errno;
	close(in);
	if (close(out) < 0 && r >= 0)
		r = -errno;
	if (r < 0)
		unlinkat(ins->dirfd, name, 0);
	return r;
}

static int link_or_copy(struct rf_install *ins, const char *name)
{
	sig_watch(sig_bak, &sig_have_bak, ins, name);
	if (linkat(ins->dirfd, ins->base, ins->dirfd, name, 0) == 0)
		return 0;
	if (errno == EPERM || errno == EOPNOTSUPP || errno == EMLINK || errno == ENOSYS)
		return copy_backup(ins, name);
	return -errno;
}

static void wait_next_second(void)
{
	struct timespec now, d = { 0, 0 };

	clock_gettime(CLOCK_REALTIME, &now);
	d.tv_nsec = 1000000000L - now.tv_nsec + 1000000L;
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec = 1;
		d.tv_nsec -= 1000000000L;
	}
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
}

/* Back up IMAGE under the next free backup name: two builds in one second wait for the next
 * second (so names keep the RHEL format), then, failing that, take a -N suffix. */
static int make_backup(struct rf_install *ins, struct rf_err *err)
{
	int r = -EEXIST;

	for (int i = 0; r == -EEXIST && i < BAK_TRIES; i++) {
		char *name, *full = rf_install_backup_name(ins->base, (int64_t)time(NULL));

		if (i >= 3 && full) {
			char *dot = strrchr(full, '.'), *alt = NULL;
			size_t nb = strlen(ins->base);
			bool img = nb > 4 && strcmp(ins->base + nb - 4, ".img") == 0;

			alt = img && dot ? rf_strdupf("%.*s-%d.img", (int)(dot - full), full, i)
					 : rf_strdupf("%s-%d", full, i);
			free(full);
			full = alt;
		}
		if (!full)
			return fail_abort(ins, -ENOMEM, err, "out of memory");
		name = full;
		r = link_or_copy(ins, name);
		if (r == 0)
			ins->bak = name;
		else
			free(name);
		if (r == -EEXIST && i < 3)
			wait_next_second();
	}
	if (r < 0) {
		sig_have_bak = 0;
		return fail_abort(ins, r, err, "cannot back up %s in %s: %s", ins->base, ins->dir, strerror(-r));
	}
	return 0;
}

/* Is name a backup of the image called base: PREFIX.bak.MM-DD-HHMMSS[-N][.img]? Sets *stamp
 * to its MM-DD-HHMMSS and *suffix to N (0 without one). */
static bool parse_backup(const char *name, const char *base, const char **stamp, long *suffix)
{
	size_t nb = strlen(base), nn = strlen(name), pl;
	bool img = nb > 4 && strcmp(base + nb - 4, ".img") == 0;
	const char *p, *end;

	pl = img ? nb - 4 : nb;
	if (nn < pl + 5 || strncmp(name, base, pl) != 0 || strncmp(name + pl, ".bak.", 5) != 0)
		return false;
	p = *stamp = name + pl + 5;
	end = name + nn;
	*suffix = 0;
	if (img) {
		if (end - p < 4 || strcmp(end - 4, ".img") != 0)
			return false;
		end -= 4;
	}
	/* MM-DD-HHMMSS */
	for (int i = 0; i < 12; i++, p++)
		if (p >= end || ((i == 2 || i == 5) ? *p != '-' : !isdigit((unsigned char)*p)))
			return false;
	if (p == end)
		return true;
	if (*p++ != '-' || p == end || end - p > 6)
		return false;
	for (; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		*suffix = *suffix * 10 + (*p - '0');
	}
	return true;
}

struct backup {
	char *name;
	struct timespec made; /* ctime: when the link (or copy) was made */
	size_t stamp;         /* offset of MM-DD-HHMMSS in name */
	long suffix;
};

/* Made first comes first: by ctime, then by the name's stamp and suffix (see install.h). */
static int cmp_backup(const void *a, const void *b)
{
	const struct backup *x = a, *y = b;
	int c;

	if (x->made.tv_sec != y->made.tv_sec)
		return x->made.tv_sec < y->made.tv_sec ? -1 : 1;
	if (x->made.tv_nsec != y->made.tv_nsec)
		return x->made.tv_nsec < y->made.tv_nsec ? -1 : 1;
	c = strncmp(x->name + x->stamp, y->name + y->stamp, 12);
	if (c)
		return c;
	if (x->suffix != y->suffix)
		return x->suffix < y->suffix ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The backups of IMAGE in its directory but the one this run made, in *v (malloc'd). */
static size_t list_backups(const struct rf_install *ins, struct backup **v)
{
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = open_image_dir(ins);

	*v = NULL;
	while (d && (de = readdir(d))) {
		const char *stamp;
		struct stat st;
		long suffix;

		if (!parse_backup(de->d_name, ins->base, &stamp, &suffix) || (ins->bak && !strcmp(de->d_name, ins->bak)) ||
		    fstatat(ins->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (rf_grow(v, &cap, n, sizeof(**v), 8) < 0)
			break;
		(*v)[n] = (struct backup){ strdup(de->d_name), st.st_ctim, (size_t)(stamp - de->d_name), suffix };
		if ((*v)[n].name)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Keep the newest `keep` backups, counting the one this run made, which always stays. Best
 * effort: a backup that cannot be removed stays. */
static void prune_backups(struct rf_install *ins)
{
	struct backup *v;
	size_t n = list_backups(ins, &v), keep = (size_t)ins->keep;

	if (ins->bak && keep > 0)
		keep--;
	if (n)
		qsort(v, n, sizeof(*v), cmp_backup);
	for (size_t i = 0; i < n; i++) {
		if (n - i > keep)
			unlinkat(ins->dirfd, v[i].name, 0);
		free(v[i].name);
	}
	free(v);
}

/* After the rename: the backup is now the old image's only name, so nothing may remove it. */
static int after_rename(struct rf_install *ins, struct rf_err *err)
{
	ins->tmp[0] = '\0';
	sig_have_tmp = sig_have_bak = 0; /* ins->bak stays named, for prune_backups to spare it */
	if (fsync(ins->dirfd) < 0)
		return rf_fail(err, -errno, "%s was replaced, but syncing directory %s failed: %s", ins->image,
			       ins->dir, strerror(errno));
	return 0;
}

/* Do the temporary file and IMAGE hold the same bytes? A rebuild with nothing changed then
 * leaves /boot alone: no rename, no backup pushing an older one out. */
static bool same_as_old(const struct rf_install *ins)
{
	char a[65536], b[65536];
	struct stat st, nst;
	bool same = false;
	int old;

	if (!ins->had_image || fstat(ins->fd, &nst) < 0)
		return false;
	old = openat(ins->dirfd, ins->base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (old < 0)
		return false;
	if (fstat(old, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == nst.st_size) {
		off_t off = 0;
		ssize_t n;

		same = true;
		while (same && (n = pread(old, a, sizeof(a), off)) > 0)
			same = pread(ins->fd, b, (size_t)n, off) == n && memcmp(a, b, (size_t)n) == 0,
			off += n;
		same = same && n == 0 && off == st.st_size;
	}
	close(old);
	return same;
}

static void report(struct rf_install_report *rep, const struct rf_install *ins, bool unchanged)
{
	if (!rep)
		return;
	*rep = (struct rf_install_report){ .unchanged = unchanged, .replaced = !unchanged && ins->had_image };
	if (ins->bak && !unchanged)
		snprintf(rep->backup, sizeof(rep->backup), "%s%s%s", strcmp(ins->dir, ".") ? ins->dir : "",
			 strcmp(ins->dir, ".") ? "/" : "", ins->bak);
}

int rf_install_commit(struct rf_install *ins, struct rf_install_report *rep, struct rf_err *err)
{
	int r, pending;

	if (fsync(ins->fd) < 0)
		return fail_abort(ins, -errno, err, "writing %s failed: %s", ins->image, strerror(errno));
	if (ins->force && same_as_old(ins)) {
		report(rep, ins, true);
		rf_install_abort(ins);
		return 0;
	}
	r = name_tmp(ins, err);
	if (r >= 0 && making_backup(ins))
		r = make_backup(ins, err);
	if (r < 0)
		return r; /* ins was consumed */
	sig_committing = 1; /* a signal now waits until the rename is done and synced */
	if (renameat(ins->dirfd, ins->tmp, ins->dirfd, ins->base) < 0) {
		sig_committing = 0;
		return fail_abort(ins, -errno, err, "cannot rename the new image to %s: %s", ins->image,
				  strerror(errno));
	}
	r = after_rename(ins, err);
	if (ins->force && ins->backup)
		prune_backups(ins);
	report(rep, ins, false);
	pending = sig_pending;
	install_free(ins);
	if (pending)
		raise(pending); /* the user asked to stop; the new image is in place */
	return r;
}
