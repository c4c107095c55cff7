// SPDX-License-Identifier: MIT
/* modules-load.d with systemd-modules-load's rules: directory precedence, /dev/null masks,
 * file-name order, comments, origins "DIR/FILE:LINE" relative to the sysroot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modules_load.h"
#include "tap.h"

static char root[] = "/tmp/rf-mload-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd) != 0)
		return;
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* "name@origin[!auto]" for every request. */
static const char *show(const struct rf_requests *r)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s@%s%s", i ? " " : "", r->v[i].name,
				      r->v[i].origin, r->v[i].automatic ? "" : "!explicit");
	return buf;
}

static int run(struct rf_requests *r, struct rf_err *err)
{
	rf_requests_clear(r);
	err->msg[0] = '\0';
	return rf_modules_load_read(root, r, err);
}

int main(void)
{
	struct rf_requests r = { 0 };
	struct rf_err err;
	char path[512], cmd[600];

	if (!mkdtemp(root))
		return 1;
	TAP_CHECK(run(&r, &err) == 0 && r.n == 0, "no directories: nothing, no error (%s)", err.msg);

	put("usr/lib/modules-load.d/b.conf", "# comment\n; also a comment\n\n  virtio_net  \nfuse\n");
	put("lib/modules-load.d/a.conf", "dm_mod\n");
	put("etc/modules-load.d/c.conf", "\tloop\r\n");
	put("etc/modules-load.d/notes.txt", "ignored\n");
	put("etc/modules-load.d/.hidden.conf", "ignored\n");
	TAP_CHECK(run(&r, &err) == 0, "read: %s", err.msg);
	TAP_STREQ(show(&r),
		  "dm_mod@lib/modules-load.d/a.conf:1 virtio_net@usr/lib/modules-load.d/b.conf:4 "
		  "fuse@usr/lib/modules-load.d/b.conf:5 loop@etc/modules-load.d/c.conf:1",
		  "merged across directories in file-name order; comments, blanks, .txt and dotfiles skipped");

	put("run/modules-load.d/b.conf", "ext4\n");
	TAP_CHECK(run(&r, &err) == 0, "read: %s", err.msg);
	TAP_STREQ(show(&r),
		  "dm_mod@lib/modules-load.d/a.conf:1 ext4@run/modules-load.d/b.conf:1 loop@etc/modules-load.d/c.conf:1",
		  "run/ hides the same name in usr/lib/");

	put("usr/local/lib/modules-load.d/a.conf", "xfs\n");
	put("etc/modules-load.d/b.conf", "");
	TAP_CHECK(run(&r, &err) == 0, "read: %s", err.msg);
	TAP_STREQ(show(&r), "xfs@usr/local/lib/modules-load.d/a.conf:1 loop@etc/modules-load.d/c.conf:1",
		  "usr/local/lib hides lib; an empty etc file hides the rest");

	snprintf(path, sizeof(path), "%s/etc/modules-load.d/a.conf", root);
	TAP_CHECK(symlink("/dev/null", path) == 0, "mask symlink made");
	TAP_CHECK(run(&r, &err) == 0, "read: %s", err.msg);
	TAP_STREQ(show(&r), "loop@etc/modules-load.d/c.conf:1", "a symlink to /dev/null in etc masks a.conf");
	unlink(path);

	snprintf(path, sizeof(path), "%s/etc/modules-load.d/d.conf", root);
	TAP_CHECK(symlink("../../usr/lib/modules-load.d/b.conf", path) == 0, "relative symlink made");
	TAP_CHECK(run(&r, &err) == 0, "read: %s", err.msg);
	TAP_STREQ(show(&r),
		  "xfs@usr/local/lib/modules-load.d/a.conf:1 loop@etc/modules-load.d/c.conf:1 "
		  "virtio_net@etc/modules-load.d/d.conf:4 fuse@etc/modules-load.d/d.conf:5",
		  "a symlink to a file is read under its own name");
	unlink(path);

	snprintf(path, sizeof(path), "%s/etc/modules-load.d/e.conf", root);
	mkdir(path, 0755);
	TAP_CHECK(run(&r, &err) == 0 && r.n == 2, "a directory named *.conf is skipped (%s)", err.msg);
	rmdir(path);

	put("etc/modules-load.d/f.conf", "ok_mod\nvirtio_net fuse\n");
	TAP_CHECK(run(&r, &err) == -EINVAL, "two words on a line: an error");
	TAP_STREQ(err.msg, "etc/modules-load.d/f.conf:2: \"virtio_net fuse\" is not a module name (one name a line)",
		  "the error names FILE:LINE");
	snprintf(path, sizeof(path), "%s/etc/modules-load.d/f.conf", root);
	unlink(path);

	if (geteuid() != 0) {
		put("etc/modules-load.d/g.conf", "x\n");
		snprintf(path, sizeof(path), "%s/etc/modules-load.d/g.conf", root);
		chmod(path, 0);
		TAP_CHECK(run(&r, &err) < 0 && strstr(err.msg, "cannot read etc/modules-load.d/g.conf"),
			  "unreadable file: %s", err.msg);
		unlink(path);
	}

	rf_requests_clear(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return tap_done();
}
