// SPDX-License-Identifier: MIT
/* Sysroot items into the manifest (lib/items.c), on a merged-/usr sysroot of gcc-built
 * fixtures made here: programs with their closure (the loader through its link chain, a
 * library through RUNPATH, a soname link to a versioned file), glibc's unwinder, plain files,
 * ELF by content, scripts, shared libraries once, reproducibility, the errors, and the image's
 * lib/modules moving under the sysroot's lib -> usr/lib. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "items.h"
#include "tap.h"

static char top[] = "/tmp/rf-items-XXXXXX";
static char root[600];
static int setup_failed;

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

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	sh("mkdir -p \"$(dirname '%s')\"", path);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0)
		setup_failed++;
}

/* gcc -nostdlib SRC into ROOT/OUT (run in ROOT, so relative paths in FLAGS are the sysroot's). */
static void cc(const char *out, const char *src, const char *flags)
{
	char file[700];
	FILE *f;

	snprintf(file, sizeof(file), "%s/src.c", top);
	f = fopen(file, "w");
	if (!f || fputs(src, f) < 0 || fclose(f) != 0)
		setup_failed++;
	sh("mkdir -p \"$(dirname '%s/%s')\" && cd '%s' && gcc -nostdlib -fPIC -Wl,--no-as-needed "
	   "-o '%s' '%s' %s", root, out, root, out, file, flags);
}

static void lib(const char *out, const char *soname, const char *flags)
{
	char f[1200];

	snprintf(f, sizeof(f), "-shared -Wl,-soname,%s %s", soname, flags);
	cc(out, "int v;\n", f);
}

/* A program ROOT/OUT with the fake loader as its PT_INTERP. */
static void prog(const char *out, const char *flags)
{
	char f[1200];

	snprintf(f, sizeof(f), "-Wl,--dynamic-linker=/lib64/ld-fake.so.2 %s", flags);
	cc(out, "void _start(void) {}\n", f);
}

#define MA "usr/lib/x86_64-linux-gnu"

/* A merged /usr as Debian 12's: bin, sbin, lib, lib64 link to usr/; the loader's path
 * /lib64/ld-fake.so.2 is a link to /lib/x86_64-linux-gnu/ld-fake.so.2. */
static void make_root(void)
{
	sh("mkdir -p '%s'/usr/bin '%s'/usr/sbin '%s'/" MA " '%s'/usr/lib64 '%s'/etc/dir '%s'/opt/rf/lib",
	   root, root, root, root, root, root);
	sh("cd '%s' && ln -s usr/bin bin && ln -s usr/sbin sbin && ln -s usr/lib lib && "
	   "ln -s usr/lib64 lib64 && ln -s /lib/x86_64-linux-gnu/ld-fake.so.2 usr/lib64/ld-fake.so.2", root);
	lib(MA "/ld-fake.so.2", "ld-linux-x86-64.so.2", "");
	lib(MA "/libc.so.6", "libc.so.6", "");
	lib(MA "/libgcc_s.so.1", "libgcc_s.so.1", MA "/libc.so.6");
	lib(MA "/libfoo.so.1.2.3", "libfoo.so.1", MA "/libc.so.6");
	sh("ln -s libfoo.so.1.2.3 '%s/" MA "/libfoo.so.1'", root);
	lib("opt/rf/lib/libbar.so.1", "libbar.so.1", "");
	lib("opt/rf/lib/libgone.so.1", "libgone.so.1", "");
	/* prog1: libfoo from the default directory, libbar through its RUNPATH */
	prog("usr/bin/prog1", "-Wl,--enable-new-dtags '-Wl,-rpath,$ORIGIN/../../opt/rf/lib' "
	     MA "/libfoo.so.1 opt/rf/lib/libbar.so.1");
	prog("usr/sbin/prog2", MA "/libfoo.so.1");
	prog("usr/bin/nolibc", "-Wl,-rpath,/opt/rf/lib opt/rf/lib/libbar.so.1");
	prog("usr/bin/progmiss", "opt/rf/lib/libgone.so.1");
	sh("rm '%s/opt/rf/lib/libgone.so.1'", root);
	sh("chmod 0644 '%s/" MA "/libfoo.so.1.2.3'", root);
	put("etc/app.conf", "key=value\n", 0640);
	sh("ln -s app.conf '%s/etc/app-link.conf'", root);
	sh("cp '%s/usr/sbin/prog2' '%s/etc/elf.conf'", root, root);
	put("usr/bin/script", "#!/usr/sbin/prog2 -x\n", 0755);
	put("etc/notes.txt", "#!not a script: not executable\n", 0644);
	sh("mkfifo '%s/etc/fifo'", root);
}

/* The manifest as lines: "d PATH MODE", "f PATH MODE SOURCE", "l PATH -> TARGET", "b PATH". */
static const char *listing(const struct rf_manifest *m, bool dirs)
{
	static char buf[16384];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->n && len < sizeof(buf); i++) {
		const struct rf_entry *e = &m->v[i];

		if (e->type == RF_ENTRY_DIR && dirs)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "d %s %o\n", e->path, e->mode);
		else if (e->type == RF_ENTRY_FILE)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "f %s %o %s\n", e->path,
						e->mode, e->source);
		else if (e->type == RF_ENTRY_SYMLINK)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "l %s -> %s\n", e->path, e->source);
		else if (e->type == RF_ENTRY_BYTES)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "b %s\n", e->path);
	}
	return buf;
}

/* Add items (paths with flags, origin "test:N") to m; the error message, or "" on success. */
static int add(struct rf_manifest *m, struct rf_strv *added, struct rf_err *err, size_t n,
	       const char *const *paths, const unsigned *flags)
{
	struct rf_item items[16];
	char origins[16][16];

	for (size_t i = 0; i < n && i < 16; i++) {
		snprintf(origins[i], sizeof(origins[i]), "test:%zu", i + 1);
		items[i] = (struct rf_item){ paths[i], flags ? flags[i] : RF_ITEM_REQUIRED, origins[i] };
	}
	err->msg[0] = '\0';
	return rf_items_add(m, root, items, n, added, err);
}

static void test_program(void)
{
	struct rf_manifest m = { 0 };
	struct rf_strv added = { 0 };
	struct rf_err err;
	const char *p[] = { "/bin/prog1" };
	int r = add(&m, &added, &err, 1, p, NULL);

	rf_manifest_sort(&m);
	TAP_CHECK(r == 0, "a program: %s", err.msg);
	TAP_STREQ(listing(&m, false),
		  "l bin -> usr/bin\n"
		  "l lib -> usr/lib\n"
		  "l lib64 -> usr/lib64\n"
		  "f opt/rf/lib/libbar.so.1 755 /opt/rf/lib/libbar.so.1\n"
		  "l sbin -> usr/sbin\n"
		  "f usr/bin/prog1 755 /usr/bin/prog1\n"
		  "f " MA "/ld-fake.so.2 755 /" MA "/ld-fake.so.2\n"
		  "f " MA "/libc.so.6 755 /" MA "/libc.so.6\n"
		  "l " MA "/libfoo.so.1 -> libfoo.so.1.2.3\n"
		  "f " MA "/libfoo.so.1.2.3 644 /" MA "/libfoo.so.1.2.3\n"
		  "f " MA "/libgcc_s.so.1 755 /" MA "/libgcc_s.so.1\n"
		  "l usr/lib64/ld-fake.so.2 -> /lib/x86_64-linux-gnu/ld-fake.so.2\n",
		  "its file, the loader through /lib64 and its link, libc, libfoo through its soname "
		  "link, libbar through RUNPATH, libgcc_s for libc, the merged /usr's links; modes kept");
	for (size_t i = 0; i < m.n; i++)
		r += m.v[i].type == RF_ENTRY_FILE && (!m.v[i].root || strcmp(m.v[i].root, root) != 0);
	TAP_CHECK(r == 0, "every file is read inside the sysroot");
	TAP_CHECK(added.n == 12 && strcmp(added.v[0], "bin") == 0 &&
			  strcmp(added.v[11], "usr/lib64/ld-fake.so.2") == 0,
		  "added: the 12 image paths, sorted (%zu)", added.n);
	rf_strv_clear(&added);
	rf_manifest_free(&m);
}

static void test_shared_once(void)
{
	struct rf_manifest m = { 0 };
	struct rf_strv added = { 0 };
	struct rf_err err;
	const char *p[] = { "/usr/bin/prog1", "/sbin/prog2", "/etc/elf.conf", "/usr/sbin/prog2" };
	size_t foo = 0;
	int r = add(&m, &added, &err, 4, p, NULL);

	for (size_t i = 0; i < m.n; i++)
		foo += strstr(m.v[i].path, "libfoo.so.1.2.3") != NULL;
	TAP_CHECK(r == 0 && foo == 1, "libfoo, shared by three items, is in once: %s", err.msg);
	TAP_CHECK(strstr(listing(&m, false), "f etc/elf.conf 755 /etc/elf.conf\n") &&
			  strstr(listing(&m, false), "f usr/sbin/prog2 755"),
		  "an ELF file is a program by its content, whatever its name");
	for (size_t i = 1; i < added.n; i++)
		foo += strcmp(added.v[i - 1], added.v[i]) >= 0;
	TAP_CHECK(foo == 1, "added lists each path once");
	/* a second call (the bundles, then install_items) adds nothing twice */
	foo = added.n;
	r = add(&m, &added, &err, 1, p + 1, NULL);
	TAP_CHECK(r == 0 && added.n == foo, "a second call adds nothing the first one added (%zu)", added.n);
	rf_strv_clear(&added);
	rf_manifest_free(&m);
}

static int write_archive(const struct rf_manifest *m, unsigned char **out, size_t *len)
{
	struct rf_archive_opts o = { .compress = RF_COMPRESS_NONE, .level = -1, .threads = 1 };
	struct rf_err err = { "" };
	int fd = memfd_create("archive", 0);
	int64_t n = fd >= 0 ? rf_archive_write(m, fd, &o, &err) : -1;

	*out = n > 0 ? malloc((size_t)n) : NULL;
	*len = n > 0 ? (size_t)n : 0;
	if (*out && pread(fd, *out, *len, 0) != (ssize_t)*len)
		n = -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		fprintf(stderr, "# archive: %s\n", err.msg);
	return n < 0 ? -1 : 0;
}

/* The image's own lib/modules, then items in the given order. */
static void compose(struct rf_manifest *m, const char *const *p, size_t n)
{
	struct rf_err err;

	rf_manifest_add_dir(m, "lib/modules/5.10", 0755);
	rf_manifest_add_bytes(m, "lib/modules/5.10/kernel/a.ko", "ko", 2, 0644);
	rf_manifest_add_bytes(m, "init", "init", 4, 0755);
	if (add(m, NULL, &err, n, p, NULL) < 0)
		fprintf(stderr, "# %s\n", err.msg);
	rf_manifest_sort(m);
}

static void test_reproducible_and_merge(void)
{
	struct rf_manifest a = { 0 }, b = { 0 };
	const char *p1[] = { "/etc/app-link.conf", "/bin/prog1", "/usr/sbin/prog2" };
	const char *p2[] = { "/usr/sbin/prog2", "/bin/prog1", "/etc/app-link.conf" };
	unsigned char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;
	char *text;

	compose(&a, p1, 3);
	compose(&b, p2, 3);
	text = strdup(listing(&a, true));
	TAP_STREQ(text, listing(&b, true), "the same manifest whatever the order of the items");
	TAP_CHECK(write_archive(&a, &da, &la) == 0 && write_archive(&b, &db, &lb) == 0 && la == lb &&
			  memcmp(da, db, la) == 0,
		  "and byte-identical archives (%zu bytes)", la);
	TAP_CHECK(la && memmem(da, la, "key=value\n", 10), "the archive holds the file read in the sysroot");
	TAP_CHECK(strstr(text, "l lib -> usr/lib\n") && strstr(text, "b usr/lib/modules/5.10/kernel/a.ko\n") &&
			  !strstr(text, " lib/modules") && strstr(text, "d usr/lib/modules/5.10 755\n"),
		  "the image's lib/modules moved to usr/lib/modules when lib became the link usr/lib");
	TAP_CHECK(rf_manifest_get(&a, "lib/modules/5.10/kernel/a.ko") &&
			  rf_manifest_get(&a, "/lib/modules/5.10/kernel/a.ko")->type == RF_ENTRY_BYTES,
		  "and is found at its old path through the link");
	TAP_CHECK(strstr(text, "l etc/app-link.conf -> app.conf\n") &&
			  strstr(text, "f etc/app.conf 640 /etc/app.conf\n"),
		  "a plain file through its link: the link and the file, its mode kept");
	free(text);
	free(da);
	free(db);
	rf_manifest_free(&a);
	rf_manifest_free(&b);
}

static void test_scripts_and_libc(void)
{
	struct rf_manifest m = { 0 };
	struct rf_err err;
	const char *p1[] = { "/usr/bin/script" }, *p2[] = { "/etc/notes.txt" }, *p3[] = { "/usr/bin/nolibc" };
	int r = add(&m, NULL, &err, 1, p1, NULL);

	TAP_CHECK(r == 0 && rf_manifest_get(&m, "usr/sbin/prog2") && rf_manifest_get(&m, MA "/libfoo.so.1"),
		  "an executable #! script brings its interpreter and its libraries: %s", err.msg);
	rf_manifest_free(&m);
	r = add(&m, NULL, &err, 1, p2, NULL);
	TAP_CHECK(r == 0 && strcmp(listing(&m, false), "f etc/notes.txt 644 /etc/notes.txt\n") == 0,
		  "a #! file without an execute bit is a plain file: %s", listing(&m, false));
	rf_manifest_free(&m);
	r = add(&m, NULL, &err, 1, p3, NULL);
	TAP_CHECK(r == 0 && rf_manifest_get(&m, "opt/rf/lib/libbar.so.1") &&
			  !rf_manifest_get(&m, MA "/libgcc_s.so.1") && !rf_manifest_get(&m, MA "/libc.so.6"),
		  "no libgcc_s.so.1 for a closure without glibc's libc.so.6: %s", err.msg);
	rf_manifest_free(&m);
}

static void test_errors(void)
{
	struct rf_manifest m = { 0 };
	struct rf_err err;
	char want[1400];
	const char *miss[] = { "/bin/prog1", "/usr/bin/progmiss" };
	const char *opt[] = { "/etc/nothing.conf", "/etc/none/x.conf", "/nowhere/at/all" };
	const unsigned optf[] = { RF_ITEM_OPTIONAL, RF_ITEM_OPTIONAL, RF_ITEM_OPTIONAL };
	const char *one[1];
	size_t before;
	int r;

	rf_manifest_add_bytes(&m, "init", "x", 1, 0755);
	before = m.n;
	r = add(&m, NULL, &err, 2, miss, NULL);
	TAP_CHECK(r == -ENOENT && strcmp(err.msg, "test:2: /usr/bin/progmiss: libgone.so.1: not found") == 0,
		  "a missing library: one line naming the item's origin, the program and the soname: %s", err.msg);
	TAP_CHECK(m.n == before, "and nothing is added, not even the first item's files (%zu)", m.n);
	r = add(&m, NULL, &err, 3, opt, optf);
	TAP_CHECK(r == 0 && m.n == before, "missing OPTIONAL items are skipped silently: %s", err.msg);
	one[0] = "/etc/nothing.conf";
	r = add(&m, NULL, &err, 1, one, NULL);
	snprintf(want, sizeof(want), "test:1: /etc/nothing.conf: not found in %s", root);
	TAP_CHECK(r == -ENOENT && strcmp(err.msg, want) == 0, "a missing REQUIRED item: %s", err.msg);
	one[0] = "/etc/fifo";
	r = add(&m, NULL, &err, 1, one, optf);
	TAP_CHECK(r == -EINVAL && strcmp(err.msg, "test:1: /etc/fifo: not a regular file") == 0,
		  "a FIFO is an error, OPTIONAL or not: %s", err.msg);
	one[0] = "/etc/dir";
	r = add(&m, NULL, &err, 1, one, NULL);
	TAP_CHECK(r == -EISDIR && strstr(err.msg, "test:1: /etc/dir: a directory"), "a directory: %s", err.msg);
	one[0] = "etc/app.conf";
	r = add(&m, NULL, &err, 1, one, NULL);
	TAP_CHECK(r == -EINVAL && strstr(err.msg, "test:1: etc/app.conf: not an absolute path"),
		  "a relative path: %s", err.msg);
	one[0] = "/init";
	put("init", "the sysroot's\n", 0755);
	r = add(&m, NULL, &err, 1, one, NULL);
	TAP_CHECK(r == 0 && rf_manifest_get(&m, "init")->type == RF_ENTRY_BYTES,
		  "what the image has at a path (its /init) is kept: %s", err.msg);
	TAP_CHECK(m.n == before, "nothing was added by the failed calls (%zu)", m.n);
	rf_manifest_free(&m);
}

static void test_conf(void)
{
	struct rf_manifest m = { 0 };
	struct rf_conf_word w[] = { { "/etc/app.conf", "etc/ramforge.conf:2" },
				    { "/usr/bin/progmiss", "etc/ramforge.conf.d/x.conf:7" } };
	struct rf_conf_list l = { .v = w, .n = 2, .cap = 2 };
	struct rf_err err = { "" };
	int r = rf_items_add_conf(&m, root, &l, "install_items", RF_ITEM_REQUIRED, NULL, &err);

	TAP_CHECK(r == -ENOENT && strcmp(err.msg, "install_items etc/ramforge.conf.d/x.conf:7: "
					  "/usr/bin/progmiss: libgone.so.1: not found") == 0,
		  "install_items: the origin is the key and the word's file:line: %s", err.msg);
	l.n = 1;
	err.msg[0] = '\0';
	r = rf_items_add_conf(&m, root, &l, "install_items", RF_ITEM_REQUIRED, NULL, &err);
	TAP_CHECK(r == 0 && rf_manifest_get(&m, "etc/app.conf"), "and a good one goes in: %s", err.msg);
	rf_manifest_free(&m);
}

int main(void)
{
	if (!mkdtemp(top))
		return 1;
	snprintf(root, sizeof(root), "%s/root", top);
	if (chdir(top) != 0)
		return 1;
	make_root();
	test_program();
	test_shared_once();
	test_reproducible_and_merge();
	test_scripts_and_libc();
	test_errors();
	test_conf();
	TAP_CHECK(setup_failed == 0, "the fixtures were built (%d commands failed)", setup_failed);
	sh("rm -rf '%s'", top);
	return tap_done();
}
