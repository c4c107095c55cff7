// SPDX-License-Identifier: MIT
/* `ramforge diff OLD NEW`: what changed between two images, one line per difference. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "imgdiff.h"
#include "imgindex.h"
#include "log.h"
#include "opts.h"

static const char help[] =
	"Usage: ramforge diff OLD NEW\n"
	"       ramforge diff OLD... NEW\n"
	"\n"
	"What changed between two initramfs images (ramforge's, dracut's, initramfs-tools' or any\n"
	"newc cpio, read as `ramforge ls` reads them), one line per difference: '-' only in OLD,\n"
	"'+' only in NEW, '~' changed. In this order:\n"
	"  ~ kernel: KVER -> KVER            the kernel version of the modules\n"
	"  - NAME, + NAME                    a kernel module (kmod name) removed or added\n"
	"  ~ NAME: content                   its content changed (decompressed: a module only\n"
	"                                    recompressed is the same)\n"
	"  ~ NAME: options \"A\" -> \"B\"        the options the init passes (ramforge's plan)\n"
	"  ~ NAME: loaded early -> on demand when the init loads it (ramforge's plan)\n"
	"  - /PATH, + /PATH                  another file removed or added (directories end in\n"
	"                                    '/', symlinks show ` -> TARGET`)\n"
	"  ~ /PATH: mode|owner|link|device|content A -> B, or a type change\n"
	"  - /PATH: LINE, + /PATH: LINE      a rule line of a modprobe.d file removed or added\n"
	"  ~ image: A -> B bytes             the image's size (and its layout of segments)\n"
	"Times are not compared. After a denylist change, `ramforge diff\n"
	"/boot/initrd.img-KVER.bak.* /boot/initrd.img-KVER` shows `- floppy` and the new lines:\n"
	"given several OLD images (a glob of backups), diff compares the one made last (the\n"
	"latest change time, as backups are aged) and says which in a warning.\n"
	"\n"
	"Exit status (as diff(1)): 0 when the images hold the same, 1 when they differ, 2 on an\n"
	"error (one line on stderr: `ramforge: error: IMAGE: why`).\n";

/* a was made after b: a later change time, then modification time, then name. */
static bool made_after(const struct stat *a, const char *an, const struct stat *b, const char *bn)
{
	if (a->st_ctim.tv_sec != b->st_ctim.tv_sec)
		return a->st_ctim.tv_sec > b->st_ctim.tv_sec;
	if (a->st_ctim.tv_nsec != b->st_ctim.tv_nsec)
		return a->st_ctim.tv_nsec > b->st_ctim.tv_nsec;
	if (a->st_mtime != b->st_mtime)
		return a->st_mtime > b->st_mtime;
	return strcmp(an, bn) > 0;
}

/* The OLD image of several: the one made last, as the backups are aged. -errno when one
 * cannot be looked at. */
static int newest(const struct rf_strv *olds, const char **out, struct rf_err *err)
{
	struct stat best = { 0 }, st;

	*out = NULL;
	for (size_t i = 0; i < olds->n; i++) {
		if (stat(olds->v[i], &st) < 0)
			return rf_fail(err, -errno, "%s: %s", olds->v[i], strerror(errno));
		if (!*out || made_after(&st, olds->v[i], &best, *out)) {
			best = st;
			*out = olds->v[i];
		}
	}
	return 0;
}

static void print_line(void *data, char sign, const char *text)
{
	(void)data;
	printf("%c %s\n", sign, text);
}

int rf_cmd_diff(int argc, char **argv)
{
	struct rf_opts o = { 0 };
	struct rf_err err = { "" };
	struct rf_imgindex a = { 0 }, b = { 0 };
	int r = rf_opts_parse(&o, argc, argv, 0, &err);
	const char *old;
	size_t n = 0;

	if (r >= 0 && o.help) {
		fputs(help, stdout);
		rf_opts_free(&o);
		return 0;
	}
	if (r >= 0 && o.args.n < 2)
		r = rf_fail(&err, -EINVAL, "diff takes two images, OLD and NEW (see `ramforge diff "
			    "--help`)");
	rf_opts_apply_verbosity(&o);
	old = r >= 0 ? o.args.v[0] : NULL;
	if (r >= 0 && o.args.n > 2) {
		struct rf_strv olds = { .v = o.args.v, .n = o.args.n - 1 };

		r = newest(&olds, &old, &err);
		if (r >= 0)
			rf_warn("%zu OLD images given: comparing the one made last, %s", olds.n, old);
	}
	if (r >= 0)
		r = rf_imgindex_read(&a, old, &err);
	if (r >= 0)
		r = rf_imgindex_read(&b, o.args.v[o.args.n - 1], &err);
	if (r >= 0 && (n = rf_imgdiff(&a, &b, print_line, NULL)) == (size_t)-1)
		r = rf_fail(&err, -ENOMEM, "diff: %s", strerror(ENOMEM));
	if (r < 0)
		rf_error("%s", err.msg);
	rf_imgindex_free(&a);
	rf_imgindex_free(&b);
	rf_opts_free(&o);
	return r < 0 ? 2 : n ? 1 : 0;
}
