// SPDX-License-Identifier: MIT
/* The manifest: canonical paths, parents added, duplicates replaced, deterministic order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "manifest.h"
#include "tap.h"

static const struct rf_entry *find(const struct rf_manifest *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].path, path) == 0)
			return &m->v[i];
	return NULL;
}

static void test_parents_and_paths(void)
{
	struct rf_manifest m = { 0 };
	const struct rf_entry *e;

	TAP_CHECK(rf_manifest_add_bytes(&m, "/lib//modules/6.1/modules.dep/", "x", 1, 0644) == 0,
		  "add with a leading '/', '//' and a trailing '/'");
	e = find(&m, "lib/modules/6.1/modules.dep");
	TAP_CHECK(e && e->type == RF_ENTRY_BYTES && e->size == 1 && e->data[0] == 'x',
		  "stored at the canonical path");
	e = find(&m, "lib/modules");
	TAP_CHECK(e && e->type == RF_ENTRY_DIR && e->mode == 0755, "parents added as 0755 dirs");
	TAP_CHECK(m.n == 4, "exactly the parents (lib, lib/modules, lib/modules/6.1) and the file");
	TAP_CHECK(rf_manifest_add_bytes(&m, "./etc/./a.conf", "", 0, 0600) == 0 && find(&m, "etc/a.conf"),
		  "'.' components are dropped");
	TAP_CHECK(rf_manifest_add_dir(&m, "lib/../etc", 0755) == -EINVAL, "'..' is refused");
	TAP_CHECK(rf_manifest_add_dir(&m, "/", 0755) == -EINVAL, "an empty path is refused");
	TAP_CHECK(rf_manifest_add_dir(&m, "lib/modules", 0700) == 0 &&
			  find(&m, "lib/modules")->mode == 0700 && m.n == 6,
		  "an explicit dir replaces an automatic parent's mode");
	TAP_CHECK(rf_manifest_add_symlink(&m, "lib", "usr/lib") == -EISDIR,
		  "a directory is not replaced by a symlink (its contents would dangle)");
	TAP_CHECK(rf_manifest_add_dir(&m, "etc/a.conf/sub", 0755) == -ENOTDIR,
		  "a file cannot be a parent");
	TAP_CHECK(rf_manifest_add_node(&m, "dev/null", 0666, makedev(1, 3)) == -EINVAL,
		  "a node needs S_IFCHR or S_IFBLK");
	rf_manifest_free(&m);
	TAP_CHECK(m.n == 0 && m.v == NULL, "free leaves an empty, reusable manifest");
}

static void test_replace(void)
{
	struct rf_manifest m = { 0 };
	struct rf_err err = { "" };
	const struct rf_entry *e;

	rf_manifest_add_bytes(&m, "etc/x.conf", "one", 3, 0644);
	rf_manifest_add_bytes(&m, "etc/x.conf", "three", 5, 0600);
	e = find(&m, "etc/x.conf");
	TAP_CHECK(m.n == 2 && e && e->size == 5 && memcmp(e->data, "three", 5) == 0 && e->mode == 0600,
		  "a path added twice keeps the later entry only");
	TAP_CHECK(rf_manifest_add_file(&m, "etc/x.conf", "/nonexistent/x", 0644, &err) == -ENOENT &&
			  strstr(err.msg, "/nonexistent/x"),
		  "a missing source is an error naming it: %s", err.msg);
	TAP_CHECK(rf_manifest_add_file(&m, "etc/y", "/dev/null", 0644, &err) == -EINVAL,
		  "a source that is not a regular file is refused: %s", err.msg);
	TAP_CHECK(rf_manifest_add_file(&m, "etc/passwd", "/etc/passwd", 0, &err) == 0 &&
			  find(&m, "etc/passwd")->mode == 0644,
		  "mode 0 takes the source's permission bits");
	rf_manifest_free(&m);
}

static void test_sort_many(void)
{
	struct rf_manifest m = { 0 };
	char path[128];
	int ok = 1;

	/* Thousands of entries in scrambled order, like a full module tree. */
	for (unsigned i = 0; i < 20000; i++) {
		unsigned k = (i * 7919u) % 20000u;
		snprintf(path, sizeof(path), "lib/modules/6.1/kernel/d%u/s%u/m%u.ko", k % 37, k % 11, k);
		ok &= rf_manifest_add_bytes(&m, path, "", 0, 0644) == 0;
	}
	rf_manifest_add_bytes(&m, "lib-x", "", 0, 0644);
	rf_manifest_add_dir(&m, "lib/modules/6.1/kernel/d1-b", 0755);
	TAP_CHECK(ok && m.n == 20000 + 37 + 37 * 11 + 4 + 2, "20000 files and their parents: %zu", m.n);
	rf_manifest_sort(&m);
	for (size_t i = 1; i < m.n; i++)
		ok &= strcmp(m.v[i - 1].path, m.v[i].path) < 0;
	TAP_CHECK(ok, "sorted byte-wise, no duplicates");
	for (size_t i = 0; i < m.n; i++) {
		const char *slash = strrchr(m.v[i].path, '/');
		if (slash) {
			snprintf(path, sizeof(path), "%.*s", (int)(slash - m.v[i].path), m.v[i].path);
			const struct rf_entry *p = find(&m, path);
			ok &= p && p < &m.v[i] && p->type == RF_ENTRY_DIR;
		}
	}
	TAP_CHECK(ok, "every entry comes after its parent directory");
	TAP_CHECK(rf_manifest_add_bytes(&m, "lib/modules/6.1/kernel/d0/s0/m0.ko", "z", 1, 0644) == 0 &&
			  m.n == 20000 + 37 + 37 * 11 + 4 + 2 && find(&m, "lib/modules/6.1/kernel/d0/s0/m0.ko")->size == 1,
		  "after sorting, adding a known path still replaces it");
	rf_manifest_free(&m);
}

static void test_links(void)
{
	struct rf_manifest m = { 0 };
	struct rf_err err = { "" };
	const struct rf_entry *e;

	rf_manifest_add_symlink(&m, "lib", "usr/lib");
	TAP_CHECK(rf_manifest_add_bytes(&m, "lib/modules/6.1/modules.dep", "x", 1, 0644) == 0 &&
			  find(&m, "usr/lib/modules/6.1/modules.dep") && !find(&m, "lib/modules") &&
			  find(&m, "usr/lib")->type == RF_ENTRY_DIR && find(&m, "lib")->type == RF_ENTRY_SYMLINK,
		  "an entry under a symlink goes where the link leads, its parents made there");
	TAP_CHECK(rf_manifest_add_dir(&m, "lib", 0700) == 0 && find(&m, "lib")->type == RF_ENTRY_SYMLINK &&
			  find(&m, "usr/lib")->mode == 0700,
		  "a directory added at a link's path is the directory the link leads to");
	rf_manifest_add_symlink(&m, "usr/lib64", "/lib");
	rf_manifest_add_symlink(&m, "lib64", "usr/lib64");
	TAP_CHECK(rf_manifest_add_bytes(&m, "lib64/../lib64/x", "", 0, 0644) == -EINVAL &&
			  rf_manifest_add_bytes(&m, "lib64/ld.so", "", 0, 0755) == 0 && find(&m, "usr/lib/ld.so"),
		  "links are followed through links, absolute ones from the image's root");
	e = rf_manifest_get(&m, "/lib64/ld.so");
	TAP_CHECK(e && e == find(&m, "usr/lib/ld.so") && !rf_manifest_get(&m, "lib64/nothing"),
		  "rf_manifest_get follows the links as an add places the entry");
	rf_manifest_add_symlink(&m, "loop", "loop/x");
	TAP_CHECK(rf_manifest_add_bytes(&m, "loop/y", "", 0, 0644) == -ELOOP, "a link loop is -ELOOP");
	rf_manifest_free(&m);

	/* a merged /usr arriving after the image's lib/modules */
	rf_manifest_add_dir(&m, "lib/modules", 0700);
	rf_manifest_add_bytes(&m, "lib/modules/6.1/a.ko", "a", 1, 0644);
	rf_manifest_add_bytes(&m, "usr/lib/x86_64/libc.so.6", "c", 1, 0755);
	TAP_CHECK(rf_manifest_add_symlink_merge(&m, "lib", "usr/lib", &err) == 0 &&
			  find(&m, "lib")->type == RF_ENTRY_SYMLINK && find(&m, "usr/lib/modules/6.1/a.ko") &&
			  find(&m, "usr/lib/modules")->mode == 0700 && find(&m, "usr/lib/x86_64/libc.so.6") &&
			  m.n == 8,
		  "a link over a directory moves its contents where it leads, merged: %s", err.msg);
	rf_manifest_sort(&m);
	e = NULL;
	for (size_t i = 0; i < m.n; i++)
		if (strncmp(m.v[i].path, "lib/", 4) == 0)
			e = &m.v[i];
	TAP_CHECK(!e, "nothing is left under the link: %s", e ? e->path : "");
	TAP_CHECK(rf_manifest_add_symlink_merge(&m, "lib", "usr/lib", &err) == 0 && m.n == 8,
		  "the same link again changes nothing");
	rf_manifest_add_bytes(&m, "bin/sh", "1", 1, 0755);
	rf_manifest_add_bytes(&m, "usr/bin/sh", "2", 1, 0755);
	TAP_CHECK(rf_manifest_add_symlink_merge(&m, "bin", "usr/bin", &err) == -EEXIST &&
			  strstr(err.msg, "bin/sh") && strstr(err.msg, "usr/bin/sh"),
		  "two different entries meeting is -EEXIST naming both: %s", err.msg);
	rf_manifest_free(&m);
	rf_manifest_add_bytes(&m, "a/b/c", "", 0, 0644);
	rf_manifest_add_bytes(&m, "x/y/z", "", 0, 0644);
	TAP_CHECK(rf_manifest_add_symlink_merge(&m, "a/b", "b/deeper", &err) == -ELOOP &&
			  rf_manifest_add_symlink_merge(&m, "a", "/", &err) == -ELOOP,
		  "a directory cannot move into itself or the root: %s", err.msg);
	rf_manifest_free(&m);
	rf_manifest_add_bytes(&m, "x/y/z", "", 0, 0644);
	TAP_CHECK(rf_manifest_add_symlink_merge(&m, "x/y", "../w", &err) == 0 && find(&m, "w/z") &&
			  strcmp(find(&m, "x/y")->source, "../w") == 0,
		  "a relative target is taken from the link's directory: %s", err.msg);
	rf_manifest_free(&m);
}

static void test_file_in(void)
{
	char top[] = "/tmp/rf-manifest-XXXXXX", path[300];
	struct rf_manifest m = { 0 };
	struct rf_err err = { "" };
	const struct rf_entry *e;
	FILE *f;

	if (!mkdtemp(top))
		return;
	snprintf(path, sizeof(path), "%s/etc", top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/real.conf", top);
	f = fopen(path, "w");
	if (f) {
		fputs("hello\n", f);
		fclose(f);
	}
	chmod(path, 0640);
	snprintf(path, sizeof(path), "%s/etc/abs.conf", top);
	if (symlink("/etc/real.conf", path) != 0)
		return;
	snprintf(path, sizeof(path), "%s/etc/fifo", top);
	mkfifo(path, 0644);
	TAP_CHECK(rf_manifest_add_file_in(&m, "etc/x.conf", top, "/etc/abs.conf", 0, &err) == 0 &&
			  (e = find(&m, "etc/x.conf")) && e->size == 6 && e->mode == 0640 &&
			  strcmp(e->root, top) == 0 && strcmp(e->source, "/etc/abs.conf") == 0,
		  "a file of a root: its link resolved inside the root, size and mode seen: %s", err.msg);
	TAP_CHECK(rf_manifest_add_file_in(&m, "etc/f", top, "/etc/fifo", 0, &err) == -EINVAL &&
			  strstr(err.msg, "fifo: not a regular file"),
		  "a FIFO of the root is refused: %s", err.msg);
	TAP_CHECK(rf_manifest_add_file_in(&m, "etc/g", top, "/etc/none", 0, &err) == -ENOENT &&
			  strstr(err.msg, "/etc/none"),
		  "a missing one names it: %s", err.msg);
	rf_manifest_free(&m);
	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	if (system(path) != 0)
		TAP_CHECK(0, "cleaning up %s", top);
}

/* The input record first, after its parents; the rest in sorted order; lookups still work. */
static void test_move_first(void)
{
	struct rf_manifest m = { 0 };
	const char *want[] = { "etc", "etc/ramforge", "etc/ramforge/inputs", "bin", "bin/sh", "etc/a",
			       "etc/ramforge/plan", "init", "lib" };
	bool same = true;

	rf_manifest_add_bytes(&m, "init", "x", 1, 0755);
	rf_manifest_add_bytes(&m, "etc/ramforge/plan", "p", 1, 0644);
	rf_manifest_add_bytes(&m, "bin/sh", "s", 1, 0755);
	rf_manifest_add_bytes(&m, "etc/a", "a", 1, 0644);
	rf_manifest_add_dir(&m, "lib", 0755);
	rf_manifest_add_bytes(&m, "etc/ramforge/inputs", "r", 1, 0644);
	rf_manifest_sort(&m);
	TAP_CHECK(rf_manifest_move_first(&m, "etc/ramforge/inputs") == 0, "moved");
	TAP_CHECK(m.n == sizeof(want) / sizeof(want[0]), "%zu entries", m.n);
	for (size_t i = 0; i < m.n && i < sizeof(want) / sizeof(want[0]); i++)
		same = same && strcmp(m.v[i].path, want[i]) == 0;
	TAP_CHECK(same, "the record and its parents first, the rest sorted");
	TAP_CHECK(rf_manifest_get(&m, "etc/a") && rf_manifest_get(&m, "etc/a")->data[0] == 'a',
		  "lookups after the move");
	TAP_CHECK(rf_manifest_move_first(&m, "etc/none") == 0 && strcmp(m.v[0].path, "etc") == 0,
		  "a path that is no entry moves nothing");
	rf_manifest_free(&m);
}

/* Taking entries out (the module segment takes the modules): through a link, missing, NULL,
 * twice; the rest keep their order and are found again. */
static void test_take(void)
{
	struct rf_manifest m = { 0 };
	struct rf_entry out[5];
	const char *paths[] = { "lib/modules/k/a.ko", "usr/lib/modules/k/b.ko", "none", NULL,
				"lib/modules/k/a.ko" };

	rf_manifest_add_bytes(&m, "init", "x", 1, 0755);
	rf_manifest_add_bytes(&m, "usr/lib/modules/k/a.ko", "A", 1, 0644);
	rf_manifest_add_bytes(&m, "usr/lib/modules/k/b.ko", "B", 1, 0644);
	rf_manifest_add_bytes(&m, "usr/lib/modules/k/modules.dep", "d", 1, 0644);
	rf_manifest_add_symlink(&m, "lib", "usr/lib");
	size_t before = m.n;

	TAP_CHECK(rf_manifest_take(&m, paths, 5, out) == 0, "taken");
	TAP_CHECK(out[0].path && strcmp(out[0].path, "usr/lib/modules/k/a.ko") == 0 &&
		  out[0].data[0] == 'A', "through the link: the entry where the link leads");
	TAP_CHECK(out[1].path && out[1].data[0] == 'B', "by its own path");
	TAP_CHECK(!out[2].path && !out[3].path && !out[4].path, "missing, NULL and taken twice: none");
	TAP_CHECK(m.n == before - 2, "%zu entries left of %zu", m.n, before);
	TAP_CHECK(!rf_manifest_get(&m, "lib/modules/k/a.ko"), "gone from the manifest");
	TAP_CHECK(rf_manifest_get(&m, "lib/modules/k/modules.dep") &&
		  rf_manifest_get(&m, "init"), "the others found again");
	for (size_t i = 0; i < 5; i++)
		rf_entry_release(&out[i]);
	rf_manifest_free(&m);
}

int main(void)
{
	test_parents_and_paths();
	test_replace();
	test_sort_many();
	test_links();
	test_file_in();
	test_move_first();
	test_take();
	return tap_done();
}
