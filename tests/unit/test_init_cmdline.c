// SPDX-License-Identifier: MIT
/* The init's kernel command line parser. It belongs to the static init, not to the builder's
 * library, so the test compiles its source directly (it is plain libc). */
#include "../../init/cmdline.c"

#include <stdio.h>

#include "tap.h"

/* The values of key, joined by '|'. */
static const char *values(const struct rf_cmdline *c, const char *key)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nargs; i++)
		if (strcmp(c->args[i].key, key) == 0)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "|" : "",
						c->args[i].value);
	return buf;
}

/* Steps look up any KEY and any word: the raw words are kept. */
static void test_words(void)
{
	struct rf_cmdline c = { 0 };

	TAP_CHECK(rf_cmdline_parse(&c, "root=/dev/vg/root rd.lvm=0 rd.lvm.vg=vg0 rd.lvm.vg=a,,b "
				       "rd.luks.uuid=\"luks-1234\" rd.md.uuid= quiet rd.lvm.lv "
				       "-- rd.lvm.vg=after") == 0,
		  "parse 3");
	TAP_CHECK(rf_cmdline_has_word(&c, "rd.lvm=0") && rf_cmdline_has_word(&c, "quiet") &&
			  !rf_cmdline_has_word(&c, "rd.lvm=1") && !rf_cmdline_has_word(&c, "rd.lvm"),
		  "whole words are looked up as written");
	TAP_CHECK(rf_cmdline_has_word(&c, "rd.luks.uuid=luks-1234"), "words are kept unquoted");
	TAP_STREQ(values(&c, "rd.lvm.vg"), "vg0|a|b",
		  "repeated keys and comma lists both count, in order; empty pieces do not");
	TAP_STREQ(values(&c, "rd.luks.uuid"), "luks-1234", "a quoted value");
	TAP_STREQ(values(&c, "root"), "/dev/vg/root", "any key, not only the rd. ones");
	TAP_CHECK(rf_cmdline_count(&c, "rd.md.uuid") == 0 && rf_cmdline_count(&c, "rd.lvm.lv") == 0 &&
			  rf_cmdline_count(&c, "rd.lvm.vg") == 3 && rf_cmdline_count(&c, "nope") == 0,
		  "an empty KEY= and a bare KEY have no values");
	TAP_CHECK(!rf_cmdline_has_word(&c, "rd.lvm.vg=after"), "nothing after --");
	rf_cmdline_free(&c);
	TAP_CHECK(c.words == NULL && c.nwords == 0 && c.args == NULL && c.nargs == 0,
		  "rf_cmdline_free releases the words");
}

int main(void)
{
	struct rf_cmdline c = { 0 };
	char *p;

	TAP_CHECK(rf_cmdline_parse(&c, "BOOT_IMAGE=/vmlinuz root=UUID=\"ab-cd\" ro quiet "
				       "rootfstype=ext4 rootflags=noatime,data=ordered rootwait "
				       "rd.timeout=5 rootdelay=2 init=/bin/sh rd.debug "
				       "rd.break=pre-mount modprobe.blacklist=floppy,pcspkr "
				       "rd.driver.blacklist=nouveau virtio-blk.queue_depth=77 "
				       "virtio_blk.num_request_queues=1 scsi_mod.dev_flags=\"a b\" "
				       "ramforge.threads=3 ramforge.load_timeout=7 -- rw "
				       "virtio_blk.x=1") == 0,
		  "parse");
	TAP_STREQ(c.root, "UUID=ab-cd", "root=, quotes removed");
	TAP_STREQ(c.rootfstype, "ext4", "rootfstype=");
	TAP_STREQ(c.rootflags, "noatime,data=ordered", "rootflags=");
	TAP_STREQ(c.init, "/bin/sh", "init=");
	TAP_CHECK(!c.rw, "ro (a 'rw' after -- is the init's, not ours)");
	TAP_CHECK(c.rootwait && c.rootdelay == 2 && c.timeout == 5, "rootwait rootdelay rd.timeout");
	TAP_CHECK(c.debug && c.quiet && c.threads == 3, "rd.debug quiet ramforge.threads");
	TAP_CHECK(c.load_timeout == 7, "ramforge.load_timeout= (not a module parameter)");
	TAP_CHECK(c.brk == RF_BREAK_PRE_MOUNT, "rd.break=pre-mount");
	TAP_CHECK(rf_cmdline_blacklisted(&c, "floppy") && rf_cmdline_blacklisted(&c, "pcspkr") &&
			  rf_cmdline_blacklisted(&c, "nouveau") && !rf_cmdline_blacklisted(&c, "ext4"),
		  "both blacklist spellings, comma lists");
	p = rf_cmdline_modparams(&c, "virtio_blk");
	TAP_STREQ(p, "queue_depth=77 num_request_queues=1", "MOD.k=v, '-' in the name normalised");
	free(p);
	p = rf_cmdline_modparams(&c, "scsi_mod");
	TAP_STREQ(p, "dev_flags=\"a b\"", "quoted value kept whole, quotes kept for the kernel");
	free(p);
	TAP_CHECK(rf_cmdline_modparams(&c, "rd") == NULL && rf_cmdline_modparams(&c, "ext4") == NULL,
		  "rd.* are not module parameters; none for ext4");
	rf_cmdline_free(&c);

	TAP_CHECK(rf_cmdline_parse(&c, "root=/dev/vda rw rd.break") == 0, "parse 2");
	TAP_CHECK(c.rw && c.timeout == -1 && c.load_timeout == -1 &&
			  c.brk == RF_BREAK_PRE_SWITCH_ROOT,
		  "rw; no rd.timeout (or load_timeout) is -1; bare rd.break is pre-switch-root");
	rf_cmdline_free(&c);

	test_words();
	return tap_done();
}
