// SPDX-License-Identifier: MIT
/* Reading untrusted inputs: regular files only, caps, no blocking on FIFOs, symlinks resolved
 * inside a root (openat2 and the component walk agree), the merged config listing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "tap.h"

static char top[] = "/tmp/rf-input-XXXXXX";
static char root[600];

static void put(const char *path, const char *text)
{
	char cmd[1400];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd) != 0)
		return;
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *at(const char *base, const char *rel)
{
	static char buf[4][1200];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, rel);
	return buf[i];
}

/* The text of ROOT/REL read through rf_input_read, or "ERR: message". */
static const char *read_in(const char *r, const char *rel)
{
	static char out[RF_ERR_MAX + 8];
	struct rf_err err = { "" };
	char *text = NULL;

	if (rf_input_read(r, rel, rel, RF_INPUT_CONF_MAX, 0, &text, NULL, &err) < 0)
		snprintf(out, sizeof(out), "ERR: %s", err.msg);
	else
		snprintf(out, sizeof(out), "%s", text);
	free(text);
	return out;
}

/* The text of REL under root through the walk alone (the fallback), or "ERR: strerror". */
static const char *read_walk(const char *rel)
{
	static char out[256];
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = rf_input_openat_walk(rootfd, rel, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0) {
		snprintf(out, sizeof(out), "ERR: %s", strerror(-fd));
	} else {
		n = read(fd, out, sizeof(out) - 1);
		out[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	close(rootfd);
	return out;
}

static void test_files(void)
{
	struct rf_err err = { "" };
	char *text = NULL, *big;
	size_t len = 0;
	int r;

	put(at(top, "plain"), "hello\n");
	r = rf_input_read(NULL, at(top, "plain"), "plain", 100, 0, &text, &len, &err);
	TAP_CHECK(r == 0 && len == 6 && strcmp(text, "hello\n") == 0, "a regular file is read whole");
	free(text);

	TAP_CHECK(mkfifo(at(top, "fifo"), 0644) == 0, "FIFO made");
	alarm(10); /* a hang is a failure */
	r = rf_input_read(NULL, at(top, "fifo"), "the-fifo", 100, 0, &text, NULL, &err);
	alarm(0);
	TAP_CHECK(r == -EINVAL, "a FIFO is refused without blocking (%d)", r);
	TAP_STREQ(err.msg, "the-fifo: not a regular file", "the message names it");

	r = rf_input_read(NULL, top, "dir", 100, 0, &text, NULL, &err);
	TAP_CHECK(r == -EISDIR, "a directory is refused");
	TAP_STREQ(err.msg, "dir: not a regular file (a directory)", "and says so");

	r = rf_input_read(NULL, "/dev/zero", "/dev/zero", 100, 0, &text, NULL, &err);
	TAP_STREQ(r < 0 ? err.msg : "", "/dev/zero: not a regular file", "a device (endless) is refused");

	err.msg[0] = '\0';
	r = rf_input_read(NULL, at(top, "missing"), "missing", 100, RF_INPUT_OPTIONAL, &text, NULL, &err);
	TAP_CHECK(r == -ENOENT && !err.msg[0], "missing and optional: -ENOENT, no message");
	r = rf_input_read(NULL, at(top, "missing"), "missing", 100, 0, &text, NULL, &err);
	TAP_STREQ(err.msg, "cannot read missing: No such file or directory", "missing otherwise: an error");
	r = rf_input_read(NULL, at(top, "plain/x"), "px", 100, RF_INPUT_OPTIONAL, &text, NULL, &err);
	TAP_CHECK(r == -ENOENT, "a file as a directory component counts as missing");

	big = calloc(1, 5000);
	memset(big, 'x', 4999);
	put(at(top, "big"), big);
	free(big);
	r = rf_input_read(NULL, at(top, "big"), "big", 4999, 0, &text, &len, &err);
	TAP_CHECK(r == 0 && len == 4999, "exactly the cap is fine");
	free(text);
	r = rf_input_read(NULL, at(top, "big"), "big", 4998, 0, &text, &len, &err);
	TAP_CHECK(r == -EFBIG, "one byte over the cap is refused");
	TAP_STREQ(err.msg, "big: larger than 4998 bytes", "with the cap in the message");

	/* /proc files say size 0: the whole text is read anyway, past the first guess. */
	r = rf_input_read(NULL, "/proc/self/status", "status", RF_INPUT_PROC_MAX, 0, &text, &len, &err);
	TAP_CHECK(r == 0 && len > 100 && strstr(text, "VmSize") != NULL, "a /proc file is read whole (%zu)", len);
	free(text);
	r = rf_input_read(NULL, "/proc/self/status", "status", 64, 0, &text, &len, &err);
	TAP_CHECK(r == -EFBIG, "and capped like any other");
}

static void test_in_root(void)
{
	char hostfile[1200], link[1400];

	snprintf(hostfile, sizeof(hostfile), "%s/host/secret", top);
	put(hostfile, "HOST");
	put(at(root, hostfile), "ROOT");
	put(at(root, "etc/plain.conf"), "PLAIN");
	TAP_CHECK(symlink(hostfile, at(root, "etc/abs")) == 0, "absolute link made");
	snprintf(link, sizeof(link), "../../../../../../../../../../..%s", hostfile);
	TAP_CHECK(symlink(link, at(root, "etc/climb")) == 0, "climbing relative link made");
	snprintf(link, sizeof(link), "%s/host", top);
	TAP_CHECK(symlink(link, at(root, "etc/dirlink")) == 0, "directory link made");
	TAP_CHECK(symlink("loop", at(root, "etc/loop")) == 0, "self loop made");
	TAP_CHECK(symlink("/nowhere", at(root, "etc/dangling")) == 0, "dangling link made");
	TAP_CHECK(symlink("/proc/self/root/etc/passwd", at(root, "etc/magic")) == 0, "link via /proc made");

	TAP_STREQ(read_in(root, "etc/plain.conf"), "PLAIN", "a plain file under the root");
	TAP_STREQ(read_in(root, "etc/abs"), "ROOT", "an absolute link resolves inside the root");
	TAP_STREQ(read_in(root, "etc/climb"), "ROOT", "a relative link cannot climb out");
	TAP_STREQ(read_in(root, "etc/dirlink/secret"), "ROOT", "a linked directory resolves inside too");
	TAP_STREQ(read_in(root, "/../../etc/../etc/abs"), "ROOT", "'..' stops at the root");
	TAP_STREQ(read_in(root, "etc/loop"), "ERR: cannot read etc/loop: Too many levels of symbolic links",
		  "a link loop ends");
	TAP_STREQ(read_in(root, "etc/dangling"), "ERR: cannot read etc/dangling: No such file or directory",
		  "a dangling link is missing");
	TAP_CHECK(strncmp(read_in(root, "etc/magic"), "ERR: ", 5) == 0, "no way out through /proc");
	TAP_STREQ(read_in("/", at(root + 1, "etc/abs")), "HOST", "root \"/\": an ordinary open");

	TAP_STREQ(read_walk("etc/plain.conf"), "PLAIN", "walk: a plain file");
	TAP_STREQ(read_walk("etc/abs"), "ROOT", "walk: an absolute link resolves inside the root");
	TAP_STREQ(read_walk("etc/climb"), "ROOT", "walk: a relative link cannot climb out");
	TAP_STREQ(read_walk("etc/dirlink/secret"), "ROOT", "walk: a linked directory");
	TAP_STREQ(read_walk("../../etc/../etc/abs"), "ROOT", "walk: '..' stops at the root");
	TAP_STREQ(read_walk("etc/loop"), "ERR: Too many levels of symbolic links", "walk: a loop ends");
	TAP_STREQ(read_walk("etc/dangling"), "ERR: No such file or directory", "walk: dangling");
	TAP_CHECK(strncmp(read_walk("etc/magic"), "ERR: ", 5) == 0, "walk: no way out through /proc");

	/* 40 links in a row resolve, 41 do not (the kernel's limit). */
	for (int i = 1; i <= 41; i++) {
		char name[64], target[64];

		snprintf(name, sizeof(name), "chain/l%d", i);
		snprintf(target, sizeof(target), i == 1 ? "/etc/plain.conf" : "l%d", i - 1);
		if (i == 1)
			mkdir(at(root, "chain"), 0755);
		if (symlink(target, at(root, name)) != 0)
			TAP_CHECK(0, "link %s", name);
	}
	TAP_STREQ(read_walk("chain/l40"), "PLAIN", "walk: 40 links resolve");
	TAP_STREQ(read_walk("chain/l41"), "ERR: Too many levels of symbolic links", "walk: 41 do not");
}

/* "name[*]" per entry ('*' when masked), space-separated, with the directory of each. */
static const char *show(const struct rf_input_list *l)
{
	static char buf[2048];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s%s", i ? " " : "", l->v[i].path,
				      l->v[i].masked ? "*" : "");
	return buf;
}

static void test_list(void)
{
	static const char *const dirs[] = { "a", "c", "b", NULL };
	static const char *const suffixes[] = { ".conf", ".alias", NULL };
	struct rf_input_list l = { 0 };
	struct rf_err err = { "" };
	char lr[700];
	int r;

	snprintf(lr, sizeof(lr), "%s/listroot", top);
	put(at(lr, "a/1.conf"), "a1");
	put(at(lr, "b/1.conf"), "b1");
	put(at(lr, "b/0.alias"), "b0");
	put(at(lr, "a/.hidden.conf"), "");
	put(at(lr, "a/notes.txt"), "");
	put(at(lr, "b/d.conf"), "bd");
	put(at(lr, "b/m.conf"), "bm");
	put(at(lr, "b/dang.conf"), "bdang");
	put(at(lr, "elsewhere/z.conf"), "z");
	mkdir(at(lr, "a/d.conf"), 0755);
	TAP_CHECK(symlink("/dev/null", at(lr, "a/m.conf")) == 0, "mask made");
	TAP_CHECK(symlink("/nowhere", at(lr, "a/dang.conf")) == 0, "dangling made");
	TAP_CHECK(mkfifo(at(lr, "a/fifo.conf"), 0644) == 0, "FIFO made");
	TAP_CHECK(symlink("/elsewhere", at(lr, "c")) == 0, "absolute directory link made");

	r = rf_input_list_conf(lr, dirs, suffixes, &l, &err);
	TAP_CHECK(r == 0, "listed: %s", err.msg);
	TAP_STREQ(show(&l), "b/0.alias a/1.conf b/d.conf a/dang.conf* a/fifo.conf a/m.conf* c/z.conf",
		  "sorted by name; earlier hides later; a directory hides nothing; masks; "
		  "the FIFO listed; a linked directory read inside the root");
	rf_input_list_free(&l);

	r = rf_input_list_conf(at(lr, "nothing-here"), dirs, suffixes, &l, &err);
	TAP_CHECK(r == 0 && l.n == 0, "no directories: an empty list");
}

static void test_tree(void)
{
	struct rf_err err = { "" };
	char tree[700], outside[700], *real = NULL, *treal;
	int r;

	snprintf(tree, sizeof(tree), "%s/modules/tree", top); /* the trees' directory: modules/ */
	put(at(tree, "modules.dep"), "kernel/a.ko:\n");
	put(at(tree, "kernel/a.ko"), "A");
	put(at(tree, "kernel/other/b.ko"), "B");
	snprintf(outside, sizeof(outside), "%s/outside.ko", top);
	put(outside, "OUT");
	TAP_CHECK(rf_input_check_kmod_tree(tree, &err) == 0, "a tree of regular files passes (%s)", err.msg);
	TAP_CHECK(mkfifo(at(tree, "modules.softdep"), 0644) == 0, "FIFO index made");
	r = rf_input_check_kmod_tree(tree, &err);
	TAP_CHECK(r < 0 && strstr(err.msg, "/tree/modules.softdep: not a regular file"), "a FIFO index: %s", err.msg);
	unlink(at(tree, "modules.softdep"));

	treal = realpath(tree, NULL);
	TAP_CHECK(symlink("other/b.ko", at(tree, "kernel/b.ko")) == 0, "inner link made");
	TAP_CHECK(symlink(outside, at(tree, "kernel/out.ko")) == 0, "outer link made");
	r = rf_input_in_tree(treal, "kernel/b.ko", "b", &real, &err);
	TAP_CHECK(r == 0 && real && strcmp(real, at(treal, "kernel/other/b.ko")) == 0,
		  "a link inside the tree: its real path (%s)", real ? real : err.msg);
	free(real);
	r = rf_input_in_tree(treal, "kernel/out.ko", "out", &real, &err);
	TAP_CHECK(r == -EXDEV && !real, "a link out of the trees' directory is refused");
	TAP_CHECK(strncmp(err.msg, "module out: ", 12) == 0 && strstr(err.msg, "leads out of the module trees"),
		  "naming the module: %s", err.msg);
	free(real);
	snprintf(outside, sizeof(outside), "%s/modules/other-kver/extra/c.ko", top);
	put(outside, "C");
	TAP_CHECK(symlink(outside, at(tree, "kernel/weak.ko")) == 0, "weak-updates link made");
	r = rf_input_in_tree(treal, "kernel/weak.ko", "weak", &real, &err);
	TAP_CHECK(r == 0 && real, "a link to another kernel's tree (weak-updates) is taken (%s)", real ? real : err.msg);
	free(real);
	free(treal);
}

int main(void)
{
	char cmd[700];

	if (!mkdtemp(top))
		return 1;
	snprintf(root, sizeof(root), "%s/root", top);
	test_files();
	test_in_root();
	test_list();
	test_tree();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
	return tap_done();
}
