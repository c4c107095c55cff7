// SPDX-License-Identifier: MIT
/* The init's reading of the root's /etc/fstab: which entries the initramfs mounts (a separate
 * /usr, x-initrd.mount ones), and with which options. Plain libc, compiled in directly. */
#include "../../init/fstab.c"

#include <stdio.h>

#include "tap.h"

static void test_usr(void)
{
	struct rf_fstab_entry e[4];
	size_t bad = 9;
	size_t n = rf_fstab_parse("# /etc/fstab\n"
				  "UUID=1111-aaaa / ext4 errors=remount-ro 0 1\n"
				  "\n"
				  "   UUID=2222-bbbb   /usr\text4\tdefaults,noatime,errors=remount-ro,"
				  "x-systemd.device-timeout=5,nofail,comment=x  0 2\n"
				  "/dev/vdc none swap sw 0 0\n"
				  "tmpfs /tmp tmpfs mode=1777 0 0\n",
				  e, 4, &bad);

	TAP_CHECK(n == 1 && bad == 0, "one entry for the initramfs: /usr (got %zu, %zu bad)", n, bad);
	TAP_STREQ(e[0].spec, "UUID=2222-bbbb", "its device");
	TAP_STREQ(e[0].file, "/usr", "its mount point");
	TAP_STREQ(e[0].type, "ext4", "its type");
	TAP_STREQ(e[0].opts, "noatime,errors=remount-ro",
		  "options mount(2) does not take are dropped (defaults, x-*, nofail, comment=)");
	TAP_CHECK(e[0].rw && e[0].nofail && e[0].line == 4, "rw by default, nofail noted, line 4");
}

static void test_fields(void)
{
	struct rf_fstab_entry e[4];
	size_t bad;
	size_t n = rf_fstab_parse("LABEL=my\\040usr /usr/ auto ro\n", e, 4, &bad);

	TAP_CHECK(n == 1, "entry without freq and passno");
	TAP_STREQ(e[0].spec, "LABEL=my usr", "\\040 unescaped");
	TAP_STREQ(e[0].file, "/usr", "trailing '/' of the mount point removed");
	TAP_STREQ(e[0].type, "", "auto: probed");
	TAP_CHECK(!e[0].rw && e[0].opts[0] == '\0', "ro, no options left");

	n = rf_fstab_parse("/dev/vdb /usr", e, 4, &bad);
	TAP_CHECK(n == 1 && e[0].type[0] == '\0' && e[0].rw && strcmp(e[0].opts, "") == 0,
		  "no type and no options: auto, defaults (and no newline at the end)");
	TAP_CHECK(rf_fstab_is_block("/dev/vdb") && rf_fstab_is_block("PARTUUID=ab") &&
			  rf_fstab_is_block("LABEL=x") && rf_fstab_is_block("UUID=x") &&
			  rf_fstab_is_block("PARTLABEL=x") && !rf_fstab_is_block("tmpfs") &&
			  !rf_fstab_is_block("server:/usr"),
		  "block devices: /dev/..., UUID=, LABEL=, PARTUUID=, PARTLABEL=");
}

static void test_skipped(void)
{
	struct rf_fstab_entry e[4];
	size_t bad;
	size_t n = rf_fstab_parse("UUID=a /usr ext4 noauto 0 2\n"
				  "UUID=b /var ext4 defaults 0 2\n"
				  "UUID=c / ext4 x-initrd.mount 0 1\n"
				  "UUID=d none swap x-initrd.mount 0 0\n"
				  "#UUID=e /usr ext4 defaults 0 2\n",
				  e, 4, &bad);

	TAP_CHECK(n == 0 && bad == 0, "noauto /usr, /var, the root and swap are not mounted (%zu)", n);
	n = rf_fstab_parse("UUID=a /var ext4 rw,x-initrd.mount 0 2\n"
			   "UUID=b /usr xfs defaults 0 2\n"
			   "UUID=c /srv/../etc ext4 x-initrd.mount 0 2\n"
			   "UUID=d srv ext4 x-initrd.mount 0 2\n",
			   e, 4, &bad);
	TAP_CHECK(n == 2 && bad == 2, "x-initrd.mount and /usr in file order; '..' and relative "
		  "mount points refused (%zu, %zu bad)", n, bad);
	TAP_STREQ(e[0].file, "/var", "first: the x-initrd.mount entry");
	TAP_STREQ(e[0].opts, "", "x-initrd.mount itself dropped");
	TAP_STREQ(e[1].type, "xfs", "second: /usr");
	n = rf_fstab_parse("UUID=a /usr ext4 defaults 0 2\nUUID=b /var ext4 x-initrd.mount\n"
			   "UUID=c /opt ext4 x-initrd.mount\n", e, 1, &bad);
	TAP_CHECK(n == 3 && strcmp(e[0].file, "/usr") == 0, "more than max: counted, max kept");
}

static void test_hostile(void)
{
	static char big[8192];
	struct rf_fstab_entry e[2];
	size_t bad, n;

	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "UUID=", 5);
	n = rf_fstab_parse(big, e, 2, &bad);
	TAP_CHECK(n == 0 && bad == 1, "a line of 8 KiB: skipped, counted as bad");
	snprintf(big, sizeof(big), "UUID=x /usr ext4 %0600d 0 2\n", 1);
	n = rf_fstab_parse(big, e, 2, &bad);
	TAP_CHECK(n == 0 && bad == 1, "options longer than the buffer: bad, not cut");
	n = rf_fstab_parse("\\\\\\ /usr\\0 \\377\\400\n\n\n", e, 2, &bad);
	TAP_CHECK(n == 0, "odd escapes: no /usr entry");
	n = rf_fstab_parse("", e, 2, &bad);
	TAP_CHECK(n == 0 && bad == 0, "empty fstab");
}

int main(void)
{
	test_usr();
	test_fields();
	test_skipped();
	test_hostile();
	return tap_done();
}
