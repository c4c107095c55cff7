// SPDX-License-Identifier: MIT
/* The load plan (common/plan.h): what the builder writes, the init reads back exactly;
 * malformed plans are refused with the line that is wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "tap.h"

static const char good[] = "ramforge-plan 1\n"
			   "# comment\n"
			   "kver 6.1.0-9-amd64\n"
			   "\n"
			   "mod virtio_ring kernel/drivers/virtio/virtio_ring.ko early - - -\n"
			   "mod virtio kernel/drivers/virtio/virtio.ko.zst early virtio_ring - -\n"
			   "mod crc32c_generic - late - - -\n"
			   "mod virtio_blk kernel/drivers/block/virtio_blk.ko early virtio,virtio_ring "
			   "crc32c_generic - queue_depth=77 foo=\"a b\"\n";

static void test_parse(void)
{
	struct rf_plan p = { 0 };
	char err[128] = "";
	int r = rf_plan_parse(&p, good, strlen(good), err, sizeof(err));

	TAP_CHECK(r == 0, "a well-formed plan parses (%s)", err);
	TAP_CHECK(p.n == 4, "four modules");
	TAP_STREQ(p.kver, "6.1.0-9-amd64", "kver");
	TAP_STREQ(p.mods[1].path, "kernel/drivers/virtio/virtio.ko.zst", "path kept");
	TAP_CHECK(p.mods[2].path == NULL, "'-' is a builtin: no path");
	TAP_CHECK(!p.mods[2].early && p.mods[3].early, "early/late");
	TAP_CHECK(p.mods[3].ndeps == 2 && p.mods[3].deps[0] == 1 && p.mods[3].deps[1] == 0,
		  "deps resolved to indices in order");
	TAP_CHECK(p.mods[3].npre == 1 && p.mods[3].pre[0] == 2 && p.mods[3].npost == 0,
		  "pre softdep resolved");
	TAP_STREQ(p.mods[3].options, "queue_depth=77 foo=\"a b\"", "options: the rest of the line");
	TAP_CHECK(p.mods[0].options == NULL, "no options: NULL");
	TAP_CHECK(rf_plan_find(&p, "virtio") == 1 && rf_plan_find(&p, "nope") == -1, "find");
	rf_plan_free(&p);
}

static void test_roundtrip(void)
{
	struct rf_plan p = { 0 }, q = { 0 };
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;

	rf_plan_parse(&p, good, strlen(good), NULL, 0);
	TAP_CHECK(rf_plan_format(&p, &text, &len) == 0, "format");
	TAP_CHECK(text && strlen(text) == len, "length without the NUL");
	TAP_CHECK(text && strstr(text, "mod crc32c_generic - late - - -\n") != NULL,
		  "a builtin is written with '-'");
	TAP_CHECK(text && rf_plan_parse(&q, text, len, NULL, 0) == 0, "the output parses");
	TAP_CHECK(rf_plan_format(&q, &text2, &len2) == 0 && len == len2 &&
			  memcmp(text, text2, len) == 0,
		  "format(parse(format(p))) == format(p)");
	free(text);
	free(text2);
	rf_plan_free(&p);
	rf_plan_free(&q);
}

static void expect_bad(const char *text, const char *want, const char *what)
{
	struct rf_plan p = { 0 };
	char err[160] = "";
	int r = rf_plan_parse(&p, text, strlen(text), err, sizeof(err));

	TAP_CHECK(r == -EINVAL && strstr(err, want) != NULL, "%s: refused (%s)", what, err);
	TAP_CHECK(p.n == 0 && p.mods == NULL && p.kver == NULL, "%s: nothing left allocated", what);
}

static void test_errors(void)
{
	expect_bad("", "empty plan", "empty");
	expect_bad("hello\n", "line 1: not a ramforge load plan", "not a plan");
	expect_bad("ramforge-plan 2\nkver k\n", "plan version 2", "newer version");
	expect_bad("ramforge-plan 1\nmod a a.ko early - - -\n", "names no kver", "no kver");
	expect_bad("ramforge-plan 1\nkver k\nmod a a.ko early b - -\n",
		   "line 3: a names b, which is not in the plan", "unknown dependency");
	expect_bad("ramforge-plan 1\nkver k\nmod a a.ko early - - -\nmod a a.ko early - - -\n",
		   "line 4: module a appears twice", "duplicate");
	expect_bad("ramforge-plan 1\nkver k\nmod a a.ko soon - - -\n", "not early or late",
		   "bad WHEN");
	expect_bad("ramforge-plan 1\nkver k\nmod a a.ko early -\n", "line 3: mod needs",
		   "too few fields");
	expect_bad("ramforge-plan 1\nkver k\nfrob x\n", "unknown record 'frob'", "unknown record");
}

static void test_format_refuses(void)
{
	struct rf_plan_mod m = { .name = (char *)"a b", .path = (char *)"a.ko" };
	struct rf_plan p = { .kver = (char *)"k", .mods = &m, .n = 1 };
	char *text = NULL;
	size_t len;

	TAP_CHECK(rf_plan_format(&p, &text, &len) == -EINVAL, "a name with a space is refused");
	m.name = (char *)"a";
	m.options = (char *)"x=1\nmod evil";
	TAP_CHECK(rf_plan_format(&p, &text, &len) == -EINVAL, "options with a newline are refused");
	m.options = NULL;
	TAP_CHECK(rf_plan_format(&p, &text, &len) == 0, "then it formats");
	TAP_STREQ(text, "ramforge-plan 1\nkver k\nmod a a.ko late - - -\n", "exact text");
	free(text);
}

/* A plan the size of Debian's full module tree: 4023 modules, each depending on the (up to) 30
 * before it, the first one's pre softdep on the last one. Every name must resolve to its index. */
enum { BIG_N = 4023, BIG_DEPS = 30 };

static char *big_plan(size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	fprintf(f, "ramforge-plan 1\nkver k\n");
	for (int i = 0; i < BIG_N; i++) {
		fprintf(f, "mod m%d kernel/m%d.ko late ", i, i);
		for (int j = 1; j <= BIG_DEPS && i - j >= 0; j++)
			fprintf(f, "%sm%d", j > 1 ? "," : "", i - j);
		fprintf(f, "%s %s -\n", i ? "" : "-", i ? "-" : "m4022");
	}
	return fclose(f) == 0 ? text : NULL;
}

static bool big_deps_ok(const struct rf_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct rf_plan_mod *m = &p->mods[i];
		size_t want = i < BIG_DEPS ? i : BIG_DEPS;
		char name[32];

		snprintf(name, sizeof(name), "m%zu", i);
		if (strcmp(m->name, name) != 0 || m->ndeps != want || rf_plan_find(p, name) != (long)i)
			return false;
		for (size_t j = 0; j < m->ndeps; j++)
			if (m->deps[j] != i - 1 - j)
				return false;
	}
	return true;
}

static void test_large(void)
{
	struct rf_plan p = { 0 };
	char err[128] = "";
	size_t len = 0;
	char *text = big_plan(&len);
	int r = text ? rf_plan_parse(&p, text, len, err, sizeof(err)) : -ENOMEM;

	TAP_CHECK(r == 0 && p.n == BIG_N, "%d modules x %d deps parse (%s)", BIG_N, BIG_DEPS, err);
	TAP_CHECK(r == 0 && big_deps_ok(&p), "every dependency resolves to its module's index");
	TAP_CHECK(r == 0 && p.mods[0].npre == 1 && p.mods[0].pre[0] == BIG_N - 1,
		  "a softdep on the last module resolves");
	TAP_CHECK(rf_plan_find(&p, "m4023") == -1 && rf_plan_find(&p, "m") == -1,
		  "names not in the plan are not found");
	rf_plan_free(&p);
	free(text);
}

int main(void)
{
	test_parse();
	test_roundtrip();
	test_errors();
	test_format_refuses();
	test_large();
	return tap_done();
}
