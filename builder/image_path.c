// SPDX-License-Identifier: MIT
/* Where a kernel's image goes by default: see image_path.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_path.h"
#include "util.h"

/* image= of ramforge.conf with %k the kernel version (a literal % as %%). */
static char *expand_image(const char *root, const char *tmpl, const char *kver)
{
	size_t cap = strlen(root) + strlen(tmpl) + 1, n;
	char *out, *grown;

	for (const char *p = tmpl; (p = strstr(p, "%k")); p += 2)
		cap += strlen(kver);
	out = malloc(cap);
	if (!out)
		return NULL;
	n = (size_t)sprintf(out, "%s", root);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 'k')
			n += (size_t)sprintf(out + n, "%s", kver), p++;
		else if (p[0] == '%' && p[1] == '%')
			out[n++] = '%', p++;
		else
			out[n++] = *p;
	}
	out[n] = '\0';
	grown = realloc(out, n + 1);
	return grown ? grown : out;
}

static bool exists_in(const char *root, const char *rel)
{
	char *p = rf_strdupf("%s/%s", root, rel);
	bool yes = p && access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* The image the boot loader loads: image= from ramforge.conf; else Debian's and its
 * derivatives' /boot/initrd.img-KVER (etc/debian_version, or that image already exists);
 * else /boot/initramfs-KVER.img (RHEL, Fedora, Arch, kernel-install). */
char *rf_default_image(const char *sysroot, const char *kver, const char *conf_image)
{
	const char *root = strcmp(sysroot, "/") == 0 ? "" : sysroot;
	char *debian = rf_strdupf("boot/initrd.img-%s", kver);
	bool is_debian = debian && (exists_in(root, "etc/debian_version") || exists_in(root, debian));

	free(debian);
	if (conf_image)
		return expand_image(root, conf_image, kver);
	if (is_debian)
		return rf_strdupf("%s/boot/initrd.img-%s", root, kver);
	return rf_strdupf("%s/boot/initramfs-%s.img", root, kver);
}
