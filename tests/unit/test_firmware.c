// SPDX-License-Identifier: MIT
/* Firmware lookup (lib/firmware.c) on sysroots made here: the kernel's directory order (an
 * updates/KVER copy first; a plain file anywhere before a compressed one), usr/lib/firmware,
 * .xz and .zst kept or decompressed by the kernel's config, links kept with their targets
 * (decompressed alike), links out of the directory or out of the sysroot, missing files
 * warned once, add_firmware's missing file an error, built-in drivers' records, the manifest. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware.h"
#include "log.h"
#include "tap.h"

#define KVER "6.1.0-rf"

static char top[] = "/tmp/rf-fw-XXXXXX";
static int setup_failed;
static struct rf_strv warnings;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		setup_failed++;
		return -1;
	}
	return 0;
}

/* ROOT/REL holding text (parents made). */
static void put(const char *root, const char *rel, const char *text)
{
	sh("mkdir -p \"$(dirname '%s/%s')\" && printf '%%s' '%s' > '%s/%s'", root, rel, text, root,
	   rel);
}

static void on_log(void *data, enum rf_log_level level, const char *msg)
{
	(void)data;
	if (level <= RF_LOG_WARN)
		rf_strv_push(&warnings, msg);
}

/* A fresh sysroot TOP/NAME (its boot/config-KVER holding config, if not NULL). */
static char *sysroot(const char *name, const char *config)
{
	char *root = rf_strdupf("%s/%s", top, name);

	sh("mkdir -p '%s/boot' '%s/lib/firmware'", root, root);
	if (config)
		put(root, "boot/config-" KVER, config);
	return root;
}

static const struct rf_fw_file *entry(const struct rf_firmware *fw, const char *name)
{
	for (size_t i = 0; i < fw->n; i++)
		if (strcmp(fw->v[i].name, name) == 0)
			return &fw->v[i];
	return NULL;
}

static void test_order(void)
{
	char *root = sysroot("order", NULL);
	struct rf_firmware fw;
	struct rf_err err = { "" };
	const struct rf_fw_file *f;

	put(root, "lib/firmware/a.bin", "base");
	put(root, "lib/firmware/" KVER "/a.bin", "kver");
	put(root, "lib/firmware/updates/a.bin", "updates");
	put(root, "lib/firmware/updates/" KVER "/a.bin", "updates-kver");
	put(root, "lib/firmware/b.bin", "base");
	put(root, "lib/firmware/" KVER "/b.bin", "kver");
	put(root, "lib/firmware/updates/b.bin", "updates");
	put(root, "lib/firmware/c.bin", "base");
	put(root, "lib/firmware/" KVER "/c.bin", "kver");
	put(root, "lib/firmware/d/e.bin", "base");
	put(root, "usr/lib/firmware/u.bin", "usr");
	put(root, "usr/lib/firmware/d/e.bin", "usr");
	/* A plain file in the last directory beats a compressed one in the first, as the
	 * kernel tries every directory without a suffix first. */
	put(root, "lib/firmware/p.bin", "plain");
	sh("printf xz > %s/lib/firmware/updates/p.bin.raw && xz -F xz -C crc32 --suffix=.xz "
	   "-c %s/lib/firmware/updates/p.bin.raw > %s/lib/firmware/updates/p.bin.xz", root, root,
	   root);
	TAP_CHECK(rf_firmware_init(&fw, root, KVER, &err) == 0, "init: %s", err.msg);
	TAP_CHECK(fw.usr_dirs, "lib is a directory: usr/lib/firmware is searched too");
	for (const char *n = "a.bin\0b.bin\0c.bin\0d/e.bin\0u.bin\0p.bin\0"; *n; n += strlen(n) + 1)
		TAP_CHECK(rf_firmware_want(&fw, "m", n, false, &err) == 0, "want %s: %s", n,
			  err.msg);
	TAP_CHECK(fw.n == 6 && fw.nmissing == 0, "six found (%zu, %zu missing)", fw.n, fw.nmissing);
	f = entry(&fw, "a.bin");
	TAP_STREQ(f ? f->source : NULL, "lib/firmware/updates/" KVER "/a.bin",
		  "updates/KVER first");
	f = entry(&fw, "b.bin");
	TAP_STREQ(f ? f->source : NULL, "lib/firmware/updates/b.bin", "then updates");
	f = entry(&fw, "c.bin");
	TAP_STREQ(f ? f->source : NULL, "lib/firmware/" KVER "/c.bin", "then KVER");
	f = entry(&fw, "d/e.bin");
	TAP_STREQ(f ? f->source : NULL, "lib/firmware/d/e.bin", "lib/firmware before usr/lib");
	f = entry(&fw, "u.bin");
	TAP_STREQ(f ? f->source : NULL, "usr/lib/firmware/u.bin", "then usr/lib/firmware");
	TAP_CHECK(f && f->size == 3 && !f->data, "a plain file is streamed: its size noted");
	f = entry(&fw, "p.bin");
	TAP_STREQ(f ? f->source : NULL, "lib/firmware/p.bin", "the plain name anywhere before .xz");
	TAP_CHECK(fw.bytes == 12 + 7 + 4 + 4 + 3 + 5, "bytes summed (%llu)",
		  (unsigned long long)fw.bytes);
	rf_firmware_free(&fw);
	free(root);
}

static void test_merged_usr(void)
{
	char *root = rf_strdupf("%s/merged", top);
	struct rf_firmware fw;
	struct rf_err err = { "" };

	sh("mkdir -p %s/usr/lib/firmware && ln -s usr/lib %s/lib", root, root);
	put(root, "usr/lib/firmware/x.bin", "x");
	TAP_CHECK(rf_firmware_init(&fw, root, KVER, &err) == 0, "init: %s", err.msg);
	TAP_CHECK(!fw.usr_dirs, "lib -> usr/lib: usr/lib/firmware is not searched twice");
	TAP_CHECK(rf_firmware_want(&fw, "m", "x.bin", false, &err) == 0 && fw.n == 1 &&
		  strcmp(fw.v[0].source, "lib/firmware/x.bin") == 0,
		  "found through the link as lib/firmware/x.bin");
	rf_firmware_free(&fw);
	free(root);
}

/* file NAME.SFX under ROOT/lib/firmware holding text, compressed with TOOL. */
static void compressed(const char *root, const char *name, const char *tool, const char *text)
{
	sh("mkdir -p \"$(dirname %s/lib/firmware/%s)\" && printf '%%s' '%s' | %s > "
	   "%s/lib/firmware/%s", root, name, text, tool, root, name);
}

static void test_compression(void)
{
	struct rf_err err = { "" };
	const struct rf_fw_file *f;
	struct rf_firmware fw;
	char *root = sysroot("xz-yes", "CONFIG_FW_LOADER=y\nCONFIG_FW_LOADER_COMPRESS_XZ=y\n"
				       "# CONFIG_FW_LOADER_COMPRESS_ZSTD is not set\n");

	compressed(root, "x.bin.xz", "xz -C crc32", "xz-content");
	compressed(root, "z.bin.zst", "zstd -q", "zstd-content");
	TAP_CHECK(rf_firmware_init(&fw, root, KVER, &err) == 0 && fw.keep_xz && !fw.keep_zst,
		  "COMPRESS_XZ=y read, ZSTD not set");
	rf_firmware_want(&fw, "m", "x.bin", false, &err);
	rf_firmware_want(&fw, "m", "z.bin", false, &err);
	f = entry(&fw, "x.bin.xz");
	TAP_CHECK(f && !f->data && strcmp(f->source, "lib/firmware/x.bin.xz") == 0,
		  "xz kept as x.bin.xz for a kernel that decompresses it");
	f = entry(&fw, "z.bin");
	TAP_CHECK(f && f->data && f->size == 12 && memcmp(f->data, "zstd-content", 12) == 0,
		  "zst stored decompressed as z.bin for a kernel without COMPRESS_ZSTD");
	rf_firmware_free(&fw);
	free(root);

	root = sysroot("xz-no", "CONFIG_FW_LOADER=y\n# CONFIG_FW_LOADER_COMPRESS_XZ is not set\n"
				"CONFIG_FW_LOADER_COMPRESS_ZSTD=y\n");
	compressed(root, "x.bin.xz", "xz -C crc32", "xz-content");
	compressed(root, "z.bin.zst", "zstd -q", "zstd-content");
	compressed(root, "bad.bin.xz", "cat", "not xz at all");
	rf_firmware_init(&fw, root, KVER, &err);
	rf_firmware_want(&fw, "m", "x.bin", false, &err);
	rf_firmware_want(&fw, "m", "z.bin", false, &err);
	f = entry(&fw, "x.bin");
	TAP_CHECK(f && f->data && f->size == 10 && memcmp(f->data, "xz-content", 10) == 0,
		  "xz stored decompressed as x.bin without COMPRESS_XZ");
	TAP_CHECK(entry(&fw, "z.bin.zst") != NULL, "zst kept with COMPRESS_ZSTD=y");
	err.msg[0] = '\0';
	TAP_CHECK(rf_firmware_want(&fw, "m", "bad.bin", false, &err) == -EBADMSG &&
			  strstr(err.msg, "lib/firmware/bad.bin.xz") && strstr(err.msg, "corrupt"),
		  "corrupt xz data is an error naming the file: %s", err.msg);
	rf_firmware_free(&fw);
	free(root);

	root = sysroot("noconfig", NULL);
	compressed(root, "x.bin.xz", "xz -C crc32", "xz-content");
	rf_firmware_init(&fw, root, KVER, &err);
	rf_firmware_want(&fw, "m", "x.bin", false, &err);
	TAP_CHECK(!fw.keep_xz && entry(&fw, "x.bin") && entry(&fw, "x.bin")->data,
		  "no config-KVER: decompressed");
	rf_firmware_free(&fw);
	free(root);
}

static void test_links(void)
{
	struct rf_err err = { "" };
	const struct rf_fw_file *f;
	struct rf_firmware fw;
	char *root = sysroot("links", "CONFIG_FW_LOADER_COMPRESS_XZ=y\n");
	char *plain = sysroot("links-plain", NULL);

	put(root, "lib/firmware/vendor/real.bin", "real");
	sh("ln -s real.bin %s/lib/firmware/vendor/alias.bin", root);
	sh("ln -s vendor/alias.bin %s/lib/firmware/chain.bin", root);
	sh("ln -s ../../../etc/secret %s/lib/firmware/out.bin", root);
	sh("ln -s /etc/secret %s/lib/firmware/abs.bin", root);
	sh("ln -s nothing.bin %s/lib/firmware/dangling.bin", root);
	put(root, "etc/secret", "inside");
	compressed(root, "c/t.bin.xz", "xz -C crc32", "xz-target");
	sh("ln -s t.bin.xz %s/lib/firmware/c/l.bin.xz", root);
	rf_firmware_init(&fw, root, KVER, &err);
	rf_log_set_fn(on_log, NULL);
	for (const char *n = "vendor/alias.bin\0chain.bin\0out.bin\0abs.bin\0dangling.bin\0"
			     "c/l.bin\0";
	     *n; n += strlen(n) + 1)
		TAP_CHECK(rf_firmware_want(&fw, "m", n, false, &err) == 0, "want %s: %s", n,
			  err.msg);
	f = entry(&fw, "vendor/alias.bin");
	TAP_STREQ(f ? f->target : NULL, "real.bin", "a link is kept with its target as written");
	TAP_CHECK(entry(&fw, "vendor/real.bin") && entry(&fw, "vendor/real.bin")->by_link &&
			  entry(&fw, "vendor/real.bin")->size == 4,
		  "the link's target is stored too, once");
	f = entry(&fw, "chain.bin");
	TAP_STREQ(f ? f->target : NULL, "vendor/alias.bin", "a chain of links is kept");
	f = entry(&fw, "out.bin");
	TAP_CHECK(f && !f->target && f->size == 6,
		  "a link out of the firmware directory: its content (read inside the sysroot)");
	f = entry(&fw, "abs.bin");
	TAP_CHECK(f && !f->target && f->size == 6, "an absolute link resolves inside the sysroot");
	f = entry(&fw, "dangling.bin");
	TAP_CHECK(f && f->missing, "a dangling link is a missing file");
	f = entry(&fw, "c/l.bin.xz");
	TAP_STREQ(f ? f->target : NULL, "t.bin.xz", "a kept .xz link keeps its .xz target");
	rf_firmware_free(&fw);

	compressed(plain, "c/t.bin.xz", "xz -C crc32", "xz-target");
	sh("ln -s t.bin.xz %s/lib/firmware/c/l.bin.xz", plain);
	rf_firmware_init(&fw, plain, KVER, &err);
	rf_firmware_want(&fw, "m", "c/l.bin", false, &err);
	f = entry(&fw, "c/l.bin");
	TAP_STREQ(f ? f->target : NULL, "t.bin", "decompressed: the link leads to the plain name");
	f = entry(&fw, "c/t.bin");
	TAP_CHECK(f && f->data && f->size == 9, "and its target is stored decompressed");
	rf_firmware_free(&fw);
	rf_log_set_fn(NULL, NULL);
	free(root);
	free(plain);
}

static void test_missing(void)
{
	struct rf_err err = { "" };
	struct rf_firmware fw;
	char *root = sysroot("missing", NULL);

	rf_strv_clear(&warnings);
	rf_log_set_fn(on_log, NULL);
	rf_firmware_init(&fw, root, KVER, &err);
	TAP_CHECK(rf_firmware_want(&fw, "qla2xxx", "ql2500_fw.bin", false, &err) == 0 &&
			  rf_firmware_want(&fw, "other", "ql2500_fw.bin", false, &err) == 0,
		  "a missing file is no error");
	TAP_CHECK(warnings.n == 1 && strstr(warnings.v[0], "module qla2xxx") &&
			  strstr(warnings.v[0], "ql2500_fw.bin") &&
			  strstr(warnings.v[0], "possible missing firmware"),
		  "warned once, naming the module and the file: %s",
		  warnings.n ? warnings.v[0] : "");
	TAP_CHECK(fw.n == 1 && fw.nmissing == 1 && fw.v[0].missing, "one missing entry");
	TAP_CHECK(rf_firmware_want(&fw, "add_firmware", "nope.bin", true, &err) == -ENOENT &&
			  strstr(err.msg, "nope.bin") && strstr(err.msg, "add_firmware"),
		  "add_firmware's missing file is an error: %s", err.msg);
	TAP_CHECK(rf_firmware_want(&fw, "add_firmware", "../etc/x", true, &err) == -EINVAL,
		  "a name with .. is an error for add_firmware: %s", err.msg);
	rf_strv_clear(&warnings);
	TAP_CHECK(rf_firmware_want(&fw, "m", "/abs.bin", false, &err) == 0 && warnings.n == 1,
		  "and a warning for a module: %s", warnings.n ? warnings.v[0] : "");
	rf_firmware_free(&fw);
	rf_log_set_fn(NULL, NULL);
	free(root);
}

static void test_builtin_and_manifest(void)
{
	struct rf_err err = { "" };
	struct rf_firmware fw;
	struct rf_manifest m = { 0 };
	const struct rf_entry *e;
	char *root = sysroot("builtin", NULL);
	char *tree = rf_strdupf("%s/lib/modules/" KVER, root);

	sh("mkdir -p %s && printf 'ahci.license=GPL\\0e1000e.firmware=e1000e/fw.bin\\0"
	   "e1000e.firmware=e1000e/gone.bin\\0bad\\0' > %s/modules.builtin.modinfo", tree, tree);
	put(root, "lib/firmware/e1000e/fw.bin", "fw");
	put(root, "lib/firmware/t.bin", "t");
	sh("ln -s t.bin %s/lib/firmware/l.bin", root);
	compressed(root, "x.bin.xz", "xz -C crc32", "xz-content");
	rf_firmware_init(&fw, root, KVER, &err);
	TAP_CHECK(rf_firmware_want_builtin(&fw, tree, &err) == 0, "builtin records: %s", err.msg);
	TAP_CHECK(entry(&fw, "e1000e/fw.bin") &&
			  strcmp(entry(&fw, "e1000e/fw.bin")->module, "e1000e (built in)") == 0,
		  "a built-in driver's firmware, named for it");
	TAP_CHECK(entry(&fw, "e1000e/gone.bin") && entry(&fw, "e1000e/gone.bin")->missing,
		  "and its missing one");
	rf_firmware_want(&fw, "m", "l.bin", false, &err);
	rf_firmware_want(&fw, "m", "x.bin", false, &err);
	TAP_CHECK(rf_firmware_add(&fw, &m, &err) == 0, "into the manifest: %s", err.msg);
	e = rf_manifest_get(&m, "lib/firmware/e1000e/fw.bin");
	TAP_CHECK(e && e->type == RF_ENTRY_FILE && e->root && e->size == 2,
		  "a file, read inside the sysroot");
	e = rf_manifest_get(&m, "lib/firmware/l.bin");
	TAP_CHECK(e && e->type == RF_ENTRY_SYMLINK && strcmp(e->source, "t.bin") == 0, "a link");
	e = rf_manifest_get(&m, "lib/firmware/x.bin");
	TAP_CHECK(e && e->type == RF_ENTRY_BYTES && e->size == 10, "decompressed bytes");
	TAP_CHECK(!rf_manifest_get(&m, "lib/firmware/e1000e/gone.bin"), "nothing for the missing");
	rf_manifest_free(&m);
	rf_firmware_free(&fw);
	free(tree);
	free(root);
}

/* The image's lib is a link to usr/lib (a merged /usr's programs came in): the firmware goes
 * where the link leads, and is still found at lib/firmware. */
static void test_image_merged_usr(void)
{
	struct rf_err err = { "" };
	struct rf_firmware fw;
	struct rf_manifest m = { 0 };
	const struct rf_entry *e;
	char *root = sysroot("image-usr", NULL);

	put(root, "lib/firmware/v/a.bin", "a");
	rf_firmware_init(&fw, root, KVER, &err);
	rf_firmware_want(&fw, "m", "v/a.bin", false, &err);
	TAP_CHECK(rf_manifest_add_dir(&m, "usr/lib", 0755) == 0 &&
			  rf_manifest_add_symlink_merge(&m, "lib", "usr/lib", &err) == 0 &&
			  rf_firmware_add(&fw, &m, &err) == 0,
		  "added under lib -> usr/lib: %s", err.msg);
	e = rf_manifest_get(&m, "lib/firmware/v/a.bin");
	TAP_STREQ(e ? e->path : NULL, "usr/lib/firmware/v/a.bin", "stored at usr/lib/firmware");
	rf_manifest_free(&m);
	rf_firmware_free(&fw);
	free(root);
}

int main(void)
{
	if (!mkdtemp(top))
		return 1;
	test_order();
	test_merged_usr();
	test_compression();
	test_links();
	test_missing();
	test_builtin_and_manifest();
	test_image_merged_usr();
	TAP_CHECK(!setup_failed, "fixtures made");
	sh("rm -rf %s", top);
	rf_strv_clear(&warnings);
	return tap_done();
}
