// SPDX-License-Identifier: MIT
/* The atomic installer: refusal without force, backup names, rotation, bad targets, abort and
 * SIGTERM leaving the old image byte-identical with no temporary file behind; the lock file,
 * names near NAME_MAX, and signals ignored by the caller. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "install.h"
#include "tap.h"

static char root[] = "/tmp/rf-install-XXXXXX";
static char dir[64];

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entries, sorted, space-separated; backups as "BAK" when mask_bak. */
static const char *listing(bool mask_bak)
{
	static char buf[4096];
	char *names[64];
	size_t n = 0, len = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	buf[0] = '\0';
	while (d && (de = readdir(d)) && n < 64)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(mask_bak && strstr(de->d_name, ".bak.") ? "BAK" : de->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return buf;
}

static const char *slurp(const char *path)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, b, 255) : -1;

	if (fd >= 0)
		close(fd);
	b[n > 0 ? n : 0] = '\0';
	return n >= 0 ? b : "(missing)";
}

static void put(const char *name, const char *text, time_t mtime)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	if (mtime) {
		struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

		utimensat(AT_FDCWD, path, ts, 0);
	}
}

static void reset(void)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir '%s'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "reset failed\n");
}

/* A whole install with these options: begin, write text, commit. */
static int install_o(const struct rf_install_opts *o, const char *text, struct rf_err *err)
{
	struct rf_install *ins;
	int r;

	err->msg[0] = '\0';
	r = rf_install_begin(&ins, o, err);
	if (r < 0)
		return r;
	if (write(rf_install_fd(ins), text, strlen(text)) != (ssize_t)strlen(text))
		return rf_install_fail(ins, -EIO, err);
	return rf_install_commit(ins, NULL, err);
}

static int install(const char *image, bool force, bool backup, int keep, const char *text, struct rf_err *err)
{
	struct rf_install_opts o = { .image = image, .force = force, .backup = backup, .keep = keep };

	return install_o(&o, text, err);
}

static void test_names(void)
{
	char *a, *b, *c;

	setenv("TZ", "UTC", 1);
	tzset();
	/* 2024-01-02 03:04:05 UTC */
	a = rf_install_backup_name("/boot/initramfs-6.1.img", 1704164645);
	b = rf_install_backup_name("/boot/initrd", 1704164645);
	c = rf_install_backup_name(".img", 1704164645);
	TAP_STREQ(a, "/boot/initramfs-6.1.bak.01-02-030405.img", "backup name of a .img (RHEL's format)");
	TAP_STREQ(b, "/boot/initrd.bak.01-02-030405", "backup name of a name without .img");
	TAP_STREQ(c, ".img.bak.01-02-030405", "\".img\" alone is not stripped to nothing");
	free(a);
	free(b);
	free(c);
}

static void test_basic(void)
{
	struct rf_err err;
	char img[700];
	struct stat st;
	int r;

	reset();
	snprintf(img, sizeof(img), "%s/x.img", dir);
	r = install(img, false, true, 3, "one", &err);
	TAP_CHECK(r == 0, "a new image is written: %s", err.msg);
	TAP_STREQ(slurp(img), "one", "new image content");
	TAP_CHECK(stat(img, &st) == 0 && (st.st_mode & 07777) == 0600, "mode 0600");
	TAP_STREQ(listing(false), "x.img", "no temporary file, no backup");

	r = install(img, false, true, 3, "two", &err);
	TAP_CHECK(r == -EEXIST, "an existing image without force is refused");
	snprintf(img, sizeof(img), "%s/x.img exists; use -f to replace it (a backup is kept)", dir);
	TAP_STREQ(err.msg, img, "the refusal says how");
	snprintf(img, sizeof(img), "%s/x.img", dir);
	TAP_STREQ(slurp(img), "one", "the refused image is untouched");
	TAP_STREQ(listing(false), "x.img", "nothing left behind by the refusal");

	r = install(img, true, true, 3, "two", &err);
	TAP_CHECK(r == 0, "force replaces: %s", err.msg);
	TAP_STREQ(slurp(img), "two", "replaced content");
	TAP_STREQ(listing(true), "BAK x.img", "one backup made");

	r = install(img, true, false, 3, "three", &err);
	TAP_CHECK(r == 0 && strcmp(slurp(img), "three") == 0, "--no-backup replaces: %s", err.msg);
	TAP_STREQ(listing(true), "BAK x.img", "--no-backup makes no backup and keeps the old ones");
}

static void test_backup_content(void)
{
	struct rf_err err;
	char img[700], path[700];
	struct dirent *de;
	DIR *d;
	int found = 0;

	reset();
	snprintf(img, sizeof(img), "%s/initrd", dir);
	put("initrd", "old", 0);
	TAP_CHECK(install(img, true, true, 3, "new", &err) == 0, "replace initrd: %s", err.msg);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "initrd.bak.", 11) != 0)
			continue;
		found++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		TAP_STREQ(slurp(path), "old", "the backup holds the old image");
		TAP_CHECK(strlen(de->d_name) == strlen("initrd.bak.MM-DD-HHMMSS"), "non-.img backup name: %s",
			  de->d_name);
	}
	if (d)
		closedir(d);
	TAP_CHECK(found == 1, "exactly one backup");

	/* Two builds within one second must not clobber the first backup. */
	TAP_CHECK(install(img, true, true, 5, "newer", &err) == 0, "second replace: %s", err.msg);
	TAP_STREQ(listing(true), "BAK BAK initrd", "two distinct backups");
}

static void test_rotation(void)
{
	struct rf_err err;
	char img[700];

	reset();
	snprintf(img, sizeof(img), "%s/i.img", dir);
	put("i.img", "current", 0);
	/* Made in this order (ctime), a clock tick apart; the names alone would sort b2 last. */
	put("i.bak.01-01-000000.img", "b1", 1000000000);
	usleep(20000);
	put("i.bak.12-31-235959.img", "b2", 1000000100);
	usleep(20000);
	put("i.bak.06-01-120000.img", "b3", 1000000200);
	usleep(20000);
	put("i.bak.06-01-120000-3.img", "b4", 1000000300);
	put("i.bak.notastamp.img", "other", 1);
	put("j.bak.01-01-000000.img", "other image", 1);
	put("i.bak.01-01-000000", "non-.img form of another image", 1);
	TAP_CHECK(install(img, true, true, 2, "next", &err) == 0, "replace with keep=2: %s", err.msg);
	{
		const char *l = listing(false);

		TAP_CHECK(!strstr(l, "i.bak.01-01-000000.img") && !strstr(l, "i.bak.12-31-235959.img") &&
				  !strstr(l, "i.bak.06-01-120000.img "),
			  "the backups made first are pruned: %s", l);
		TAP_CHECK(strstr(l, "i.bak.06-01-120000-3.img") != NULL, "the newest old backup stays (-N suffix form)");
		TAP_CHECK(strstr(l, "i.bak.notastamp.img") && strstr(l, "j.bak.01-01-000000.img") &&
				  strstr(l, "i.bak.01-01-000000 "),
			  "files that are not this image's backups are untouched");
		TAP_STREQ(listing(true), "BAK BAK BAK BAK BAK i.img", "two backups of i.img plus three others");
	}
}

static void test_rotation_keeps_new(void)
{
	struct rf_err err;
	char img[700];

	reset();
	snprintf(img, sizeof(img), "%s/k.img", dir);
	put("k.img", "current", 2000000000);
	put("k.bak.01-01-000000.img", "b1", 1000000000);
	TAP_CHECK(install(img, true, true, 1, "next", &err) == 0, "replace with keep=1: %s", err.msg);
	{
		struct dirent *de;
		DIR *d = opendir(dir);
		char path[700];
		int n = 0;

		while (d && (de = readdir(d)))
			if (strstr(de->d_name, ".bak.")) {
				n++;
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				TAP_STREQ(slurp(path), "current", "the surviving backup is the image just replaced");
			}
		if (d)
			closedir(d);
		TAP_CHECK(n == 1, "keep=1 leaves one backup");
	}
	TAP_CHECK(install(img, true, true, 0, "last", &err) == 0, "replace with keep=0: %s", err.msg);
	TAP_STREQ(listing(false), "k.img", "keep=0 keeps no backups");
}

static void test_bad_targets(void)
{
	struct rf_err err;
	char img[700], want[1400];

	reset();
	put("real.img", "real", 0);
	snprintf(img, sizeof(img), "%s/link.img", dir);
	TAP_CHECK(symlink("real.img", img) == 0, "symlink made");
	TAP_CHECK(install(img, true, true, 3, "x", &err) == -ELOOP, "a symlink IMAGE is refused");
	snprintf(want, sizeof(want), "%s is a symlink; name the file itself (ramforge does not replace symlinks)", img);
	TAP_STREQ(err.msg, want, "symlink message");
	TAP_STREQ(listing(false), "link.img real.img", "nothing written next to the symlink");

	snprintf(img, sizeof(img), "%s/sub.img", dir);
	mkdir(img, 0755);
	TAP_CHECK(install(img, true, true, 3, "x", &err) == -EISDIR, "a directory IMAGE is refused");
	snprintf(want, sizeof(want), "%s is a directory; name the image file to write", img);
	TAP_STREQ(err.msg, want, "directory message");

	snprintf(img, sizeof(img), "%s/nodir/x.img", dir);
	TAP_CHECK(install(img, true, true, 3, "x", &err) == -ENOENT, "a missing directory is an error");
	snprintf(want, sizeof(want), "cannot write %s: directory %s/nodir does not exist", img, dir);
	TAP_STREQ(err.msg, want, "missing directory message");

	snprintf(img, sizeof(img), "%s/real.img/x.img", dir);
	TAP_CHECK(install(img, true, true, 3, "x", &err) == -ENOTDIR, "a file as the directory is an error: %s", err.msg);
}

static void test_abort_and_space(void)
{
	struct rf_install_opts o = { .force = true, .backup = true, .keep = 3 };
	struct rf_install *ins;
	struct rf_err err = { "" };
	char img[700], want[1400];
	int r;

	reset();
	snprintf(img, sizeof(img), "%s/a.img", dir);
	put("a.img", "old", 0);
	put(".a.img.rf-tmp.abc123", "stale temp of a killed older version", 0);
	put(".rf-tmp.abcdef123456", "stale temp of a killed run", 0);
	put(".rf-tmp.abc", "not a temporary name of ramforge's", 0);
	o.image = img;
	r = rf_install_begin(&ins, &o, &err);
	TAP_CHECK(r == 0, "begin: %s", err.msg);
	if (r == 0) {
		TAP_CHECK(write(rf_install_fd(ins), "partial", 7) == 7, "partial write");
		TAP_STREQ(listing(false), ".ramforge.lock .rf-tmp.abc a.img",
			  "the temporary file is unnamed; the stale ones were removed; the lock is held");
		rf_install_abort(ins);
	}
	TAP_STREQ(slurp(img), "old", "abort leaves the image identical");
	TAP_STREQ(listing(false), ".rf-tmp.abc a.img", "abort leaves no temporary file, no backup, no lock file");
	snprintf(want, sizeof(want), "%s/.rf-tmp.abc", dir);
	unlink(want);

	o.size_hint = (uint64_t)1 << 60;
	r = rf_install_begin(&ins, &o, &err);
	TAP_CHECK(r == -ENOSPC, "a size hint beyond the free space is refused");
	snprintf(want, sizeof(want), "not enough space in %s for %s: about ", dir, img);
	TAP_CHECK(strncmp(err.msg, want, strlen(want)) == 0, "space message: %s", err.msg);
	snprintf(want, sizeof(want), "; the old %s is intact", img);
	TAP_CHECK(strstr(err.msg, want) != NULL, "and it says the old image is intact");
	TAP_STREQ(listing(false), "a.img", "nothing left behind");

	err.msg[0] = '\0';
	o.size_hint = 0;
	r = rf_install_begin(&ins, &o, &err);
	if (r == 0) {
		snprintf(err.msg, sizeof(err.msg), "writing the archive failed: No space left on device");
		rf_install_fail(ins, -ENOSPC, &err);
	}
	snprintf(want, sizeof(want), "writing the archive failed: No space left on device; the old %s is intact", img);
	TAP_STREQ(err.msg, want, "rf_install_fail appends what became of the old image");
	TAP_STREQ(slurp(img), "old", "and it is so");
}

/* A child writes half an image and waits; SIGTERM must leave the old image and no temp file. */
static void test_sigterm(void)
{
	struct rf_install_opts o = { .force = true, .backup = true, .keep = 3 };
	char img[700], want[1400], msg[1024] = "";
	int ready[2], errp[2], status = 0;
	ssize_t n;
	pid_t pid;

	reset();
	snprintf(img, sizeof(img), "%s/s.img", dir);
	put("s.img", "old", 0);
	o.image = img;
	if (pipe(ready) < 0 || pipe(errp) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct rf_install *ins;
		struct rf_err err;

		dup2(errp[1], 2);
		if (rf_install_begin(&ins, &o, &err) < 0)
			_exit(1);
		if (write(rf_install_fd(ins), "half", 4) != 4 || write(ready[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(ready[1]);
	close(errp[1]);
	TAP_CHECK(read(ready[0], msg, 1) == 1, "child began writing");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	TAP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 143, "exit status 143 (status %d)", status);
	n = read(errp[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "ramforge: error: interrupted by SIGTERM; %s left as it was\n", img);
	TAP_STREQ(msg, want, "one-line message");
	TAP_STREQ(slurp(img), "old", "old image intact");
	TAP_STREQ(listing(false), "s.img", "no temporary file, no backup");
	close(ready[0]);
	close(errp[0]);
}

/* The contents of the only backup of image `prefix`* in dir; how many there are in *n. */
static const char *only_backup(const char *prefix, int *n)
{
	static char content[256];
	char path[700];
	struct dirent *de;
	DIR *d = opendir(dir);

	*n = 0;
	content[0] = '\0';
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && strstr(de->d_name, ".bak.")) {
			(*n)++;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			snprintf(content, sizeof(content), "%s", slurp(path));
		}
	if (d)
		closedir(d);
	return content;
}

/* The old image's mtime is older than every backup's (the clock was stepped back, or it was
 * restored with cp -p): the backup this run makes, a hard link with that mtime, must stay. */
static void test_prune_keeps_own_backup(void)
{
	struct rf_err err;
	char img[700];
	int n;

	reset();
	snprintf(img, sizeof(img), "%s/p.img", dir);
	put("p.bak.05-01-100000.img", "b1", time(NULL) - 100);
	put("p.bak.05-02-100000.img", "b2", time(NULL) - 50);
	put("p.img", "old image", 978307200); /* 2001-01-01 */
	TAP_CHECK(install(img, true, true, 1, "new", &err) == 0, "replace with keep=1: %s", err.msg);
	TAP_STREQ(only_backup("p.", &n), "old image", "the backup this run made survives, with the old image");
	TAP_CHECK(n == 1, "keep=1 leaves one backup (%d)", n);
	TAP_STREQ(slurp(img), "new", "the new image is in place");
}

/* Backups are ordered by when they were made (the link's ctime), not by name: MM-DD has no
 * year, so 01-01 of this year is newer than 12-31 of the last. Nor by the copied mtime. */
static void test_prune_by_creation(void)
{
	struct rf_err err;
	char img[700];
	const char *l;

	reset();
	snprintf(img, sizeof(img), "%s/q.img", dir);
	put("q.bak.12-31-235959.img", "december", 1700000000);
	usleep(30000);
	put("q.bak.01-01-000001.img", "january", 1600000000);
	usleep(30000);
	put("q.img", "current", 0);
	TAP_CHECK(install(img, true, true, 2, "next", &err) == 0, "replace with keep=2: %s", err.msg);
	l = listing(false);
	TAP_CHECK(!strstr(l, "q.bak.12-31-235959.img"), "the backup made first is pruned: %s", l);
	TAP_CHECK(strstr(l, "q.bak.01-01-000001.img") != NULL, "the one made after it, in the new year, stays");
	TAP_STREQ(listing(true), "BAK BAK q.img", "two backups");
}

/* Names near NAME_MAX (255): the temporary name always fits; a backup name that would not is
 * refused before anything is written. */
static void test_long_names(void)
{
	struct rf_err err;
	char base[300], img[700], want[1400], hidden[302];

	reset();
	memset(base, 'n', 246);
	snprintf(base + 246, sizeof(base) - 246, ".img");
	snprintf(img, sizeof(img), "%s/%s", dir, base);
	TAP_CHECK(install(img, false, true, 3, "one", &err) == 0, "a 250-character name is written: %s", err.msg);
	TAP_CHECK(install(img, true, true, 3, "two", &err) == -ENAMETOOLONG, "-f with a backup name too long is refused");
	snprintf(want, sizeof(want), "%s: the name is too long to keep a backup beside it", img);
	TAP_CHECK(strncmp(err.msg, want, strlen(want)) == 0, "the message says why: %s", err.msg);
	TAP_CHECK(strstr(err.msg, "--no-backup") != NULL, "and what to do");
	snprintf(want, sizeof(want), "; the old %s is intact", img);
	TAP_CHECK(strstr(err.msg, want) != NULL, "and that the old image is intact");
	TAP_STREQ(slurp(img), "one", "the image is untouched");
	TAP_STREQ(listing(false), base, "nothing else was written");
	TAP_CHECK(install(img, true, false, 3, "three", &err) == 0, "without a backup it is replaced: %s", err.msg);
	TAP_STREQ(slurp(img), "three", "replaced");

	reset();
	memset(base, 'm', 254);
	base[254] = '\0';
	snprintf(hidden, sizeof(hidden), ".%s", base);
	put(hidden, "a file named like a truncated temporary name", 0);
	snprintf(img, sizeof(img), "%s/%s", dir, base);
	TAP_CHECK(install(img, false, true, 3, "long", &err) == 0, "a 254-character name is written: %s", err.msg);
	TAP_STREQ(slurp(img), "long", "with its content");
}

static pid_t fork_install(const struct rf_install_opts *o)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rf_err err;

		alarm(10); /* a build that hangs fails the test instead of hanging it */
		_exit(install_o(o, "new", &err) == 0 ? 0 : 1);
	}
	return pid;
}

/* The lock is a root-only file beside the image, not the directory anyone can open. */
static void test_lock(void)
{
	struct rf_install_opts o = { .force = true, .lock_timeout = 1 };
	struct rf_err err;
	char img[700], lock[700], want[2200], target[700];
	struct stat st;
	int dfd, lfd, status = -1;
	time_t t0;

	reset();
	snprintf(img, sizeof(img), "%s/l.img", dir);
	snprintf(lock, sizeof(lock), "%s/.ramforge.lock", dir);
	o.image = img;
	put("l.img", "old", 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	TAP_CHECK(dfd >= 0 && flock(dfd, LOCK_EX) == 0, "someone holds a lock on the directory");
	waitpid(fork_install(&o), &status, 0);
	TAP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "it does not stop a build (status %d)", status);
	close(dfd);
	TAP_STREQ(slurp(img), "new", "the image was replaced");
	TAP_STREQ(listing(false), "l.img", "the lock file is removed after the build");

	put("l.img", "old", 0);
	lfd = open(lock, O_RDONLY | O_CREAT, 0600);
	TAP_CHECK(lfd >= 0 && flock(lfd, LOCK_EX) == 0, "another build holds the lock file");
	t0 = time(NULL);
	TAP_CHECK(install_o(&o, "new", &err) == -ETIMEDOUT, "the build gives up");
	TAP_CHECK(time(NULL) - t0 >= 1 && time(NULL) - t0 <= 4, "after lock_timeout (%lld s)",
		  (long long)(time(NULL) - t0));
	snprintf(want, sizeof(want), "%s: another build holds %s; gave up after 1 s; the old %s is intact", img, lock, img);
	TAP_STREQ(err.msg, want, "timeout message");
	TAP_STREQ(slurp(img), "old", "the image is untouched");
	o.lock_timeout = 0;
	t0 = time(NULL);
	TAP_CHECK(install_o(&o, "new", &err) == -ETIMEDOUT && time(NULL) - t0 <= 1, "lock_timeout 0 does not wait");
	close(lfd);
	TAP_CHECK(install_o(&o, "new", &err) == 0, "once released, the lock is taken: %s", err.msg);
	TAP_STREQ(listing(false), "l.img", "and the lock file removed");

	put("l.img", "old", 0);
	snprintf(target, sizeof(target), "%s/target", dir);
	TAP_CHECK(symlink("target", lock) == 0, "a symlink planted at the lock path");
	TAP_CHECK(install_o(&o, "new", &err) == -ELOOP, "is refused");
	snprintf(want, sizeof(want), "cannot write %s: the lock file %s is a symlink; remove it; the old %s is intact", img,
		 lock, img);
	TAP_STREQ(err.msg, want, "symlink message");
	TAP_CHECK(lstat(target, &st) < 0, "its target was not created");
	TAP_STREQ(slurp(img), "old", "the image is untouched");
	unlink(lock);

	TAP_CHECK(mkdir(lock, 0700) == 0, "a directory at the lock path");
	TAP_CHECK(install_o(&o, "new", &err) < 0 && strstr(err.msg, "not a regular file owned by"), "is refused: %s",
		  err.msg);
	rmdir(lock);
	if (geteuid() == 0) {
		put(".ramforge.lock", "", 0);
		TAP_CHECK(chown(lock, 65534, 65534) == 0, "a lock file owned by another user");
		TAP_CHECK(install_o(&o, "new", &err) == -EPERM, "is refused");
		snprintf(want, sizeof(want),
			 "cannot write %s: the lock file %s is not a regular file owned by root; remove it; the old %s is intact",
			 img, lock, img);
		TAP_STREQ(err.msg, want, "owner message");
		TAP_STREQ(slurp(img), "old", "the image is untouched");
	}
}

/* A signal the caller ignored (nohup, a background job) stays ignored: the build completes. */
static void test_ignored_signal(int sig, const char *name)
{
	struct rf_install_opts o = { .force = true, .backup = true, .keep = 3 };
	char img[700], c;
	int ready[2], go[2], status = -1;
	pid_t pid;

	reset();
	snprintf(img, sizeof(img), "%s/h.img", dir);
	put("h.img", "old", 0);
	o.image = img;
	if (pipe(ready) < 0 || pipe(go) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct rf_install *ins;
		struct sigaction sa;
		struct rf_err err;

		signal(sig, SIG_IGN);
		alarm(10);
		if (rf_install_begin(&ins, &o, &err) < 0)
			_exit(1);
		if (write(rf_install_fd(ins), "new", 3) != 3 || write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		if (rf_install_commit(ins, NULL, &err) < 0)
			_exit(3);
		sigaction(sig, NULL, &sa);
		_exit(sa.sa_handler == SIG_IGN ? 0 : 4);
	}
	TAP_CHECK(read(ready[0], &c, 1) == 1, "%s ignored: the child began writing", name);
	kill(pid, sig);
	TAP_CHECK(write(go[1], "g", 1) == 1, "told it to go on");
	waitpid(pid, &status, 0);
	TAP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s while writing: the build completes, %s still ignored (status %d)",
		  name, name, status);
	TAP_STREQ(slurp(img), "new", "the new image is in place");
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

int main(void)
{
	char cmd[700];

	if (!mkdtemp(root))
		return 1;
	snprintf(dir, sizeof(dir), "%s/boot", root);
	test_names();
	test_basic();
	test_backup_content();
	test_rotation();
	test_rotation_keeps_new();
	test_bad_targets();
	test_abort_and_space();
	test_sigterm();
	test_prune_keeps_own_backup();
	test_prune_by_creation();
	test_long_names();
	test_lock();
	test_ignored_signal(SIGHUP, "SIGHUP");
	test_ignored_signal(SIGINT, "SIGINT");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return tap_done();
}
