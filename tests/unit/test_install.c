// SPDX-License-Identifier: MIT
/* The atomic installer: refusal without force, backup names, rotation, bad targets, abort and
 * SIGTERM leaving the old image byte-identical with no temporary file behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* A whole install: begin, write text, commit. */
static int install(const char *image, bool force, bool backup, int keep, const char *text, struct rf_err *err)
{
	struct rf_install_opts o = { .image = image, .force = force, .backup = backup, .keep = keep };
	struct rf_install *ins;
	int r;

	err->msg[0] = '\0';
	r = rf_install_begin(&ins, &o, err);
	if (r < 0)
		return r;
	if (write(rf_install_fd(ins), text, strlen(text)) != (ssize_t)strlen(text))
		return rf_install_fail(ins, -EIO, err);
	return rf_install_commit(ins, err);
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
	put("i.bak.01-01-000000.img", "b1", 1000000000);
	put("i.bak.12-31-235959.img", "b2", 1000000100); /* the name sorts late, the mtime says older */
	put("i.bak.06-01-120000.img", "b3", 1000000200);
	put("i.bak.06-01-120000-3.img", "b4", 1000000300);
	put("i.bak.notastamp.img", "other", 1);
	put("j.bak.01-01-000000.img", "other image", 1);
	put("i.bak.01-01-000000", "non-.img form of another image", 1);
	TAP_CHECK(install(img, true, true, 2, "next", &err) == 0, "replace with keep=2: %s", err.msg);
	{
		const char *l = listing(false);

		TAP_CHECK(!strstr(l, "i.bak.01-01-000000.img") && !strstr(l, "i.bak.12-31-235959.img") &&
				  !strstr(l, "i.bak.06-01-120000.img "),
			  "the oldest backups by mtime are pruned: %s", l);
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
	put(".a.img.rf-tmp.abc123", "stale temp of a killed run", 0);
	o.image = img;
	r = rf_install_begin(&ins, &o, &err);
	TAP_CHECK(r == 0, "begin: %s", err.msg);
	if (r == 0) {
		TAP_CHECK(write(rf_install_fd(ins), "partial", 7) == 7, "partial write");
		TAP_STREQ(listing(false), "a.img", "the temporary file is unnamed; the stale one was removed");
		rf_install_abort(ins);
	}
	TAP_STREQ(slurp(img), "old", "abort leaves the image identical");
	TAP_STREQ(listing(false), "a.img", "abort leaves no temporary file and no backup");

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
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return tap_done();
}
