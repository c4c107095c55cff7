// SPDX-License-Identifier: MIT
/* The generic rules: parsing (errors name FILE:LINE), and the scan on the fake module tree
 * (RF_FAKE_ROOT/RF_FAKE_KVER from tests/fixtures/prepare): dir, exclude, module and symbol
 * rules, the last reading real ELF files, compressed ones included. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "generic.h"
#include "tap.h"

/* The origin of the request for name, or NULL. */
static const char *origin_of(const struct rf_requests *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return r->v[i].origin;
	return NULL;
}

static bool all_automatic(const struct rf_requests *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].automatic)
			return false;
	return true;
}

static void test_parse(void)
{
	struct rf_generic_rules g = { 0 };
	struct rf_err err = { "" };
	int r = rf_generic_rules_parse(&g, "# c\n\nsymbols-in kernel/drivers/\n  symbol scsi_add_host  # x\n"
					   "dir kernel/fs\nexclude kernel/fs/nfs\nmodule crc32c",
				   "t.conf", &err);

	TAP_CHECK(r == 0 && g.n == 5, "five rules parse (%s)", err.msg);
	TAP_CHECK(g.n == 5 && g.v[0].kind == RF_GEN_SYMBOLS_IN && g.v[4].kind == RF_GEN_MODULE, "kinds");
	TAP_STREQ(g.n ? g.v[0].arg : NULL, "kernel/drivers", "a trailing '/' is dropped");
	TAP_STREQ(g.n > 1 ? g.v[1].where : NULL, "t.conf:4", "each rule knows its line");
	rf_generic_rules_free(&g);

	r = rf_generic_rules_parse(&g, "dir kernel/fs\nfolder kernel/x\n", "t.conf", &err);
	TAP_CHECK(r == -EINVAL && strstr(err.msg, "t.conf:2: unknown rule 'folder'"), "unknown rule: %s", err.msg);
	rf_generic_rules_free(&g);
	r = rf_generic_rules_parse(&g, "symbol\n", "t.conf", &err);
	TAP_CHECK(r == -EINVAL && strstr(err.msg, "t.conf:1:"), "missing argument: %s", err.msg);
	rf_generic_rules_free(&g);
	r = rf_generic_rules_parse(&g, "dir a b\n", "t.conf", &err);
	TAP_CHECK(r == -EINVAL && strstr(err.msg, "one argument"), "two arguments: %s", err.msg);
	rf_generic_rules_free(&g);

	r = rf_generic_rules_default(&g, &err);
	TAP_CHECK(r == 0 && g.n > 50, "the shipped generic.conf parses (%zu rules) %s", g.n, err.msg);
	rf_generic_rules_free(&g);
}

/* Scan the fake tree with rules text; requests into reqs. */
static int scan(const char *text, struct rf_requests *reqs, struct rf_err *err)
{
	const char *root = getenv("RF_FAKE_ROOT"), *kver = getenv("RF_FAKE_KVER");
	struct rf_generic_rules g = { 0 };
	char *dir = rf_strdupf("%s/lib/modules/%s", root ? root : "", kver ? kver : "");
	int r = rf_generic_rules_parse(&g, text, "t.conf", err);

	if (r >= 0)
		r = rf_generic_scan(&g, dir, reqs, err);
	rf_generic_rules_free(&g);
	free(dir);
	return r;
}

static void test_scan_fake(void)
{
	struct rf_requests q = { 0 };
	struct rf_err err = { "" };
	int r;

	/* The shipped rules: on the fake tree, the virtio directory and kernel/fs's 3 modules. */
	struct rf_generic_rules g = { 0 };
	char *dir = rf_strdupf("%s/lib/modules/%s", getenv("RF_FAKE_ROOT"), getenv("RF_FAKE_KVER"));

	r = rf_generic_rules_default(&g, &err);
	r = r < 0 ? r : rf_generic_scan(&g, dir, &q, &err);
	TAP_CHECK(r == 0 && q.n == 4, "shipped rules on the fake tree: 4 requests (got %zu) %s", q.n, err.msg);
	TAP_CHECK(origin_of(&q, "fake_virtio") && strstr(origin_of(&q, "fake_virtio"), "generic: kernel/drivers/virtio (generic.conf:"),
		  "fake_virtio by the virtio directory rule");
	TAP_CHECK(origin_of(&q, "fakefs") && origin_of(&q, "otherfs") && origin_of(&q, "fake_jbd"),
		  "every module under kernel/fs");
	TAP_CHECK(all_automatic(&q), "generic requests are automatic (the blacklist applies)");
	rf_requests_clear(&q);
	rf_generic_rules_free(&g);
	free(dir);

	/* Symbol rules read ELF files: fake-virtblk and fake_blk_legacy import fake_virtio_fn. */
	r = scan("symbols-in kernel/drivers\nsymbol nosuch_fn\nsymbol fake_virtio_fn\n", &q, &err);
	TAP_CHECK(r == 0 && q.n == 2, "symbol rule: two importers (got %zu) %s", q.n, err.msg);
	TAP_STREQ(origin_of(&q, "fake_virtblk"),
		  "generic: kernel/drivers module importing fake_virtio_fn (t.conf:3)",
		  "the name is normalised and the origin names the symbol and the rule");
	TAP_CHECK(origin_of(&q, "fake_blk_legacy") != NULL, "fake_blk_legacy too");
	rf_requests_clear(&q);

	/* exclude wins over symbol; a file exclude works; compressed modules (.zst, .xz) are read. */
	r = scan("symbols-in kernel\nsymbol chain_c_fn\nexclude kernel/drivers/fake/deny_user.ko\n", &q, &err);
	TAP_CHECK(r == 0, "scan with exclude (%s)", err.msg);
	TAP_CHECK(origin_of(&q, "chain_b") != NULL, "chain_b.ko.zst read through libkmod");
	TAP_CHECK(origin_of(&q, "fakefs") != NULL, "fakefs.ko.xz read through libkmod");
	TAP_CHECK(origin_of(&q, "deny_user") == NULL, "an excluded file is not taken");
	TAP_CHECK(origin_of(&q, "deny_top") == NULL, "a module not importing the symbol is not taken");
	TAP_CHECK(origin_of(&q, "chain_a") == NULL, "chain_a imports chain_b_fn only");
	rf_requests_clear(&q);

	/* Symbols outside symbols-in are not looked at; module rules need the tree to know the name. */
	r = scan("symbols-in kernel/fs\nsymbol fake_virtio_fn\nmodule fake-bl-alias\nmodule no_such_mod\n",
		 &q, &err);
	TAP_CHECK(r == 0 && q.n == 1, "only the known module name is requested (got %zu)", q.n);
	TAP_STREQ(origin_of(&q, "fake-bl-alias"), "generic: listed (t.conf:3)", "module rule origin");
	rf_requests_clear(&q);

	r = rf_generic_scan(&(struct rf_generic_rules){ 0 }, "/nonexistent/tree", &q, &err);
	TAP_CHECK(r == 0 && q.n == 0, "no tree: nothing selected, the closure reports it");
	r = rf_generic_scan(&(struct rf_generic_rules){ 0 }, "/proc/self", &q, &err);
	TAP_CHECK(r == -ENOENT && strstr(err.msg, "/proc/self has no modules.dep: run depmod"),
		  "a tree without modules.dep: %s", err.msg);
	rf_requests_clear(&q);
}

int main(void)
{
	test_parse();
	if (getenv("RF_FAKE_ROOT") && getenv("RF_FAKE_KVER"))
		test_scan_fake();
	else
		TAP_CHECK(0, "RF_FAKE_ROOT/RF_FAKE_KVER not set: run through make check");
	return tap_done();
}
