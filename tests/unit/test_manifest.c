// SPDX-License-Identifier: MIT
/* The manifest: canonical paths, parents added, duplicates replaced, deterministic order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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

int main(void)
{
	test_parents_and_paths();
	test_replace();
	test_sort_many();
	return tap_done();
}
