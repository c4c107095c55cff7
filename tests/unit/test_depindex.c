// SPDX-License-Identifier: MIT
/*
 * The subset's depmod indexes, read back by libkmod itself: names, dependencies, wildcard and
 * bracket aliases, alias priority, symbols, builtins, softdeps; modules outside the set are
 * gone. On the fixture trees (when set), the indexes for the whole tree must be byte-identical
 * to what depmod wrote there.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depindex.h"
#include "kmod_index.h"
#include "tap.h"

#define KVER "5.10.0-unit"

static char tmp[] = "/tmp/rf-depindex-XXXXXX";

static void put_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

#define PUT(dir, name, s) put_file(dir, name, s, sizeof(s) - 1)

/* A small source tree in depmod's text format: compressed and '-' names, wildcard and bracket
 * aliases, one alias on two modules, a module (left_out) that the set leaves out. */
static void make_tree(const char *d)
{
	PUT(d, "modules.dep",
	    "kernel/drivers/fake/chain_a.ko: kernel/drivers/fake/chain_b.ko.zst "
	    "kernel/drivers/fake/chain_c.ko\n"
	    "kernel/drivers/fake/chain_b.ko.zst: kernel/drivers/fake/chain_c.ko\n"
	    "kernel/drivers/fake/chain_c.ko:\n"
	    "kernel/drivers/net/fake-net.ko: kernel/drivers/net/fake_mii.ko "
	    "kernel/drivers/net/fake-phy-lib.ko.xz\n"
	    "kernel/drivers/fake/left_out.ko: kernel/drivers/fake/chain_c.ko\n"
	    "kernel/drivers/net/fake_mii.ko: kernel/drivers/net/fake-phy-lib.ko.xz\n"
	    "kernel/drivers/net/fake-phy-lib.ko.xz:\n"
	    "kernel/crypto/hash_b.ko.gz:\n"
	    "kernel/crypto/hash_a.ko:\n");
	PUT(d, "modules.alias",
	    "# Aliases extracted from modules themselves.\n"
	    "alias pci:v00008086d0000100Esv*sd*bc*sc*i* fake_net\n"
	    "alias net-pf-99 fake_net\n"
	    "alias fake-left left_out\n"
	    "alias usb:v1234p[0-9A]*d* fake_mii\n"
	    "alias crypto-hash hash_b\n"
	    "alias crypto-hash hash_a\n");
	PUT(d, "modules.symbols",
	    "# Aliases for symbols, used by symbol_request().\n"
	    "alias symbol:left_fn left_out\n"
	    "alias symbol:chain_b_fn chain_b\n");
	PUT(d, "modules.softdep",
	    "# Soft dependencies extracted from modules themselves.\n"
	    "softdep chain_a pre: hash_a post: fake_net\n"
	    "softdep left_out pre: chain_c\n");
	PUT(d, "modules.devname",
	    "# Device nodes to trigger on-demand module loading.\n"
	    "fake_net fakenet c10:99\n"
	    "left_out leftdev c10:98\n");
	PUT(d, "modules.order",
	    "kernel/drivers/fake/chain_a.ko\nkernel/drivers/fake/chain_b.ko\n"
	    "kernel/drivers/fake/chain_c.ko\nkernel/drivers/net/fake-net.ko\n"
	    "kernel/drivers/fake/left_out.ko\nkernel/drivers/net/fake_mii.ko\n"
	    "kernel/drivers/net/fake-phy-lib.ko\nkernel/crypto/hash_b.ko\n"
	    "kernel/crypto/hash_a.ko\n");
	PUT(d, "modules.builtin", "kernel/drivers/fake/fake_builtin.ko\nkernel/fs/fake-bfs.ko\n");
	PUT(d, "modules.builtin.modinfo",
	    "fake_builtin.alias=fake-builtin-alias\0fake_builtin.license=GPL\0"
	    "fake_bfs.alias=fs-bfs\0");
}

static void add_mod(struct rf_modset *set, const char *name, const char *path)
{
	struct rf_module *m = &set->mods[set->n++];

	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	m->path = path ? strdup(path) : NULL;
	m->builtin = !path;
}

static void free_set(struct rf_modset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->mods[i].name);
		free(set->mods[i].path);
	}
	free(set->mods);
}

/* libkmod only takes dependencies whose file exists: give the set's modules (empty) files. */
static void touch_modules(const struct rf_modset *set, const char dir[512])
{
	for (size_t i = 0; i < set->n; i++) {
		char cmd[4096];

		if (!set->mods[i].path)
			continue;
		snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\" && : > '%s/%s'", dir,
			 set->mods[i].path, dir, set->mods[i].path);
		if (system(cmd) != 0)
			exit(2);
	}
}

static const struct rf_entry *find_entry(const struct rf_manifest *m, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "lib/modules/%s/%s", KVER, name);
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].path, path) == 0)
			return &m->v[i];
	return NULL;
}

/* Write the manifest's in-memory files under dir (paths taken relative to the image root). */
static void write_manifest(const struct rf_manifest *m, const char *dir)
{
	for (size_t i = 0; i < m->n; i++) {
		const char *base = strrchr(m->v[i].path, '/');

		if (m->v[i].type == RF_ENTRY_BYTES)
			put_file(dir, base ? base + 1 : m->v[i].path, (const char *)m->v[i].data,
				 m->v[i].size);
	}
}

/* Names of what libkmod resolves `what` to on dir, space-separated ("" for nothing). */
static const char *resolve(struct kmod_ctx *ctx, const char *what)
{
	static char buf[1024];
	struct kmod_list *list = NULL, *l;

	buf[0] = '\0';
	if (kmod_module_new_from_lookup(ctx, what, &list) < 0)
		return "(error)";
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		if (buf[0])
			strcat(buf, " ");
		strncat(buf, kmod_module_get_name(mod), sizeof(buf) - strlen(buf) - 2);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return buf;
}

/* Names of a module list (dependencies, softdeps), space-separated. */
static const char *names(struct kmod_list *list)
{
	static char buf[1024];
	struct kmod_list *l;

	buf[0] = '\0';
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		if (buf[0])
			strcat(buf, " ");
		strncat(buf, kmod_module_get_name(mod), sizeof(buf) - strlen(buf) - 2);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return buf;
}

static struct kmod_module *one(struct kmod_ctx *ctx, const char *name)
{
	struct kmod_module *mod = NULL;

	if (kmod_module_new_from_name(ctx, name, &mod) < 0)
		return NULL;
	return mod;
}

static void check_kmod(const char *dir, const char *confdir)
{
	const char *conf[] = { confdir, NULL };
	struct kmod_ctx *ctx = kmod_new(dir, conf);
	struct kmod_list *pre = NULL, *post = NULL;
	struct kmod_module *mod;

	TAP_CHECK(ctx != NULL, "libkmod opens the generated indexes");
	if (!ctx)
		return;
	kmod_set_log_priority(ctx, 0);
	TAP_STREQ(resolve(ctx, "chain_a"), "chain_a", "a module resolves by name");
	TAP_STREQ(resolve(ctx, "fake-net"), "fake_net", "a '-' name resolves to its '_' module");
	TAP_STREQ(resolve(ctx, "fake_phy_lib"), "fake_phy_lib", "an .xz module resolves by name");
	mod = one(ctx, "chain_a");
	/* libkmod lists the dependencies of "a: b c" as c, b (load order). */
	TAP_STREQ(mod ? names(kmod_module_get_dependencies(mod)) : NULL, "chain_c chain_b",
		  "dependencies come from modules.dep.bin");
	TAP_CHECK(mod && kmod_module_get_softdeps(mod, &pre, &post) == 0,
		  "softdeps read from modules.softdep");
	TAP_STREQ(names(pre), "hash_a", "softdep pre");
	TAP_STREQ(names(post), "fake_net", "softdep post");
	kmod_module_unref(mod);
	mod = one(ctx, "chain_b");
	TAP_CHECK(mod && kmod_module_get_path(mod) &&
			  strstr(kmod_module_get_path(mod), "kernel/drivers/fake/chain_b.ko.zst"),
		  "a compressed module keeps its .ko.zst path");
	kmod_module_unref(mod);
	TAP_STREQ(resolve(ctx, "pci:v00008086d0000100Esv00001234sd00000001bc02sc00i00"), "fake_net",
		  "a wildcard alias matches");
	TAP_STREQ(resolve(ctx, "usb:v1234p5xd1"), "fake_mii", "a bracket alias matches in range");
	TAP_STREQ(resolve(ctx, "usb:v1234pBxd1"), "", "a bracket alias does not match outside it");
	TAP_STREQ(resolve(ctx, "crypto-hash"), "hash_b hash_a",
		  "an alias of two modules gives both, in modules.order order");
	TAP_STREQ(resolve(ctx, "symbol:chain_b_fn"), "chain_b", "a symbol resolves");
	TAP_STREQ(resolve(ctx, "left_out"), "", "a module outside the set is gone (name)");
	TAP_STREQ(resolve(ctx, "fake-left"), "", "a module outside the set is gone (alias)");
	TAP_STREQ(resolve(ctx, "symbol:left_fn"), "", "a module outside the set is gone (symbol)");
	mod = one(ctx, "fake_builtin");
	TAP_CHECK(mod && kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN,
		  "a builtin is known as builtin (modules.builtin.bin)");
	kmod_module_unref(mod);
	TAP_STREQ(resolve(ctx, "fake-builtin-alias"), "fake_builtin",
		  "a builtin's alias resolves (modules.builtin.alias.bin)");
	TAP_STREQ(resolve(ctx, "fs-bfs"), "fake_bfs", "builtin aliases are kept for the whole kernel");
	kmod_unref(ctx);
}

static void check_text(const struct rf_manifest *m)
{
	const struct rf_entry *e = find_entry(m, "modules.dep");
	static const char *const files[] = { "modules.dep", "modules.dep.bin", "modules.alias",
		"modules.alias.bin", "modules.softdep", "modules.symbols", "modules.symbols.bin",
		"modules.builtin", "modules.builtin.bin", "modules.builtin.alias.bin",
		"modules.builtin.modinfo", "modules.order", "modules.devname" };
	int all = 1;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const struct rf_entry *f = find_entry(m, files[i]);

		if (!f || f->type != RF_ENTRY_BYTES || (f->mode & 0777) != 0644) {
			printf("# missing or wrong: %s\n", files[i]);
			all = 0;
		}
	}
	TAP_CHECK(all, "all 13 index files are in the manifest, mode 0644");
	TAP_CHECK(e && !memmem(e->data, e->size, "left_out", 8) &&
			  memmem(e->data, e->size, "kernel/drivers/net/fake_mii.ko: ", 32),
		  "modules.dep keeps the set's lines only");
	e = find_entry(m, "modules.order");
	TAP_CHECK(e && !memmem(e->data, e->size, "left_out", 8) &&
			  memmem(e->data, e->size, "fake-phy-lib.ko\n", 16),
		  "modules.order keeps the set's lines only");
	e = find_entry(m, "modules.softdep");
	TAP_CHECK(e && e->size == sizeof("# Soft dependencies extracted from modules themselves.\n"
					 "softdep chain_a pre: hash_a post: fake_net\n") - 1,
		  "modules.softdep: the header and the set's lines");
	e = find_entry(m, "modules.devname");
	TAP_CHECK(e && memmem(e->data, e->size, "fake_net fakenet", 16) &&
			  !memmem(e->data, e->size, "left_out", 8),
		  "modules.devname keeps the set's lines only");
}

static void test_subset(void)
{
	char src[512], out[512], conf[512];
	struct rf_modset set = { .kver = KVER, .kmoddir = src };
	struct rf_manifest m = { 0 };
	struct rf_err err = { { 0 } };
	int r;

	snprintf(src, sizeof(src), "%s/src", tmp);
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(conf, sizeof(conf), "%s/conf", tmp);
	mkdir(src, 0755);
	mkdir(out, 0755);
	mkdir(conf, 0755);
	make_tree(src);
	set.mods = calloc(16, sizeof(*set.mods));
	add_mod(&set, "chain_c", "kernel/drivers/fake/chain_c.ko");
	add_mod(&set, "chain_b", "kernel/drivers/fake/chain_b.ko.zst");
	add_mod(&set, "chain_a", "kernel/drivers/fake/chain_a.ko");
	add_mod(&set, "fake_phy_lib", "kernel/drivers/net/fake-phy-lib.ko.xz");
	add_mod(&set, "fake_mii", "kernel/drivers/net/fake_mii.ko");
	add_mod(&set, "fake_net", "kernel/drivers/net/fake-net.ko");
	add_mod(&set, "hash_a", "kernel/crypto/hash_a.ko");
	add_mod(&set, "hash_b", "kernel/crypto/hash_b.ko.gz");
	add_mod(&set, "fake_builtin", NULL);
	r = rf_depindex_add(&set, &m, &err);
	TAP_CHECK(r == 0, "indexes for a subset: %d %s", r, err.msg);
	check_text(&m);
	write_manifest(&m, out);
	touch_modules(&set, out);
	check_kmod(out, conf);

	add_mod(&set, "ghost", "kernel/drivers/fake/ghost.ko");
	rf_manifest_free(&m);
	memset(&m, 0, sizeof(m));
	r = rf_depindex_add(&set, &m, &err);
	TAP_CHECK(r == -ENOENT && strstr(err.msg, "ghost") && strstr(err.msg, "modules.dep"),
		  "a module missing from the tree's modules.dep is an error naming it: %s", err.msg);
	rf_manifest_free(&m);
	free_set(&set);
}

static int kidx_bytes(const char *const *keys, size_t n, unsigned char **data, size_t *size)
{
	struct rf_kidx *ix = rf_kidx_new();
	int r = ix ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && r >= 0; i++)
		r = rf_kidx_insert(ix, keys[i], keys[i], (uint32_t)strlen(keys[i]));
	if (r >= 0)
		r = rf_kidx_write(ix, data, size);
	rf_kidx_free(ix);
	return r;
}

static void test_kidx(void)
{
	static const char *const a[] = { "on", "ask", "once", "one", "ate", "o", "a*b", "a[bc]" };
	static const char *const b[] = { "a[bc]", "one", "o", "ate", "a*b", "once", "ask", "on" };
	unsigned char *da = NULL, *db = NULL;
	size_t na = 0, nb = 0;
	struct rf_kidx *ix = rf_kidx_new();

	TAP_CHECK(kidx_bytes(a, 8, &da, &na) == 0 && kidx_bytes(b, 8, &db, &nb) == 0 && na == nb &&
			  memcmp(da, db, na) == 0,
		  "the index bytes do not depend on insertion order");
	TAP_CHECK(na > 12 && da[0] == 0xB0 && da[1] == 0x07 && da[2] == 0xF4 && da[3] == 0x57 &&
			  da[4] == 0 && da[5] == 2 && da[6] == 0 && da[7] == 1,
		  "magic 0xB007F457, version 2.1, big-endian");
	free(da);
	free(db);
	TAP_CHECK(ix && rf_kidx_insert(ix, "caf\xc3\xa9", "x", 0) == -EINVAL,
		  "a key kmod cannot index (8-bit) is refused");
	TAP_CHECK(ix && rf_kidx_write(ix, &da, &na) == 0 && na == 12 && da[11] == 12,
		  "an empty index is a header and an empty root");
	free(da);
	rf_kidx_free(ix);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;

	*len = 0;
	if (f) {
		buf = malloc(64 << 20);
		*len = fread(buf, 1, 64 << 20, f);
		fclose(f);
	}
	return buf;
}

/* Every module of the tree's modules.dep, as the closure would give them. */
static void whole_set(struct rf_modset *set, const char *dep)
{
	size_t len;
	char *text = slurp(dep, &len), *p = text, *end = text + len;

	set->mods = calloc(len / 8 + 1, sizeof(*set->mods));
	while (text && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *colon = strchr(p, ':');
		char *base, name[256];
		size_t i;

		*colon = '\0';
		base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		for (i = 0; base[i] && base[i] != '.' && i < 255; i++)
			name[i] = base[i] == '-' ? '_' : base[i];
		name[i] = '\0';
		add_mod(set, name, p);
		p = nl ? nl + 1 : end;
	}
	free(text);
}

static void test_whole_tree(const char *rootvar, const char *kvervar)
{
	const char *root = getenv(rootvar), *kver = getenv(kvervar);
	char dir[4096], dep[4200];
	struct rf_modset set = { 0 };
	struct rf_manifest m = { 0 };
	struct rf_err err;
	int same = 1, r;

	if (!root || !kver || !*root) {
		TAP_CHECK(1, "# skip %s not set (run through make check)", rootvar);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/lib/modules/%s", root, kver);
	snprintf(dep, sizeof(dep), "%s/modules.dep", dir);
	set.kmoddir = dir;
	set.kver = (char *)kver;
	whole_set(&set, dep);
	r = rf_depindex_add(&set, &m, &err);
	for (size_t i = 0; r == 0 && i < m.n; i++) {
		char path[4400];
		size_t len;
		char *want;

		if (m.v[i].type != RF_ENTRY_BYTES)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, strrchr(m.v[i].path, '/') + 1);
		want = slurp(path, &len);
		if (!want || len != m.v[i].size || memcmp(want, m.v[i].data, len) != 0) {
			printf("# differs from depmod's: %s\n", path);
			same = 0;
		}
		free(want);
	}
	TAP_CHECK(r == 0 && same, "%s: whole-tree indexes byte-identical to depmod's (%zu modules)",
		  rootvar, set.n);
	rf_manifest_free(&m);
	free_set(&set);
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	test_kidx();
	test_subset();
	test_whole_tree("RF_FAKE_ROOT", "RF_FAKE_KVER");
	test_whole_tree("RF_CLOUD_ROOT", "RF_CLOUD_KVER");
	test_whole_tree("RF_FULL_ROOT", "RF_FULL_KVER");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return tap_done();
}
