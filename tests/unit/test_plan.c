// SPDX-License-Identifier: MIT
/* The load plan (common/plan.h): what the builder writes, the init reads back exactly;
 * malformed plans, and steps the init could not run, are refused with the line that is wrong. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "tap.h"

static const char good[] = "ramforge-plan 2\n"
			   "# comment\n"
			   "kver 6.1.0-9-amd64\n"
			   "\n"
			   "mod virtio_ring kernel/drivers/virtio/virtio_ring.ko early - - -\n"
			   "mod virtio kernel/drivers/virtio/virtio.ko.zst early virtio_ring - -\n"
			   "mod crc32c_generic - late - - -\n"
			   "mod virtio_blk kernel/drivers/block/virtio_blk.ko early virtio,virtio_ring "
			   "crc32c_generic - queue_depth=77 foo=\"a b\"\n"
			   "step crypt device=crypto_LUKS off=rd.luks=0,filter=rd.luks.uuid,uuid=ab-CD "
			   "/sbin/cryptsetup open %{DEVICE} luks-%{UUID} 100%%\n"
			   "step lvm device=LVM2_member off=rd.lvm=0,off=rd.lvm=no,if=rd.lvm.lv,unless=x.y "
			   "/sbin/lvm lvchange -ay %{rd.lvm.lv} --a,b\n"
			   "step mdraid root-missing=10 - /sbin/mdadm -IRs\n";

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

static bool words_are(char *const *v, size_t n, const char *const *want)
{
	size_t i = 0;

	for (; want[i]; i++)
		if (i >= n || strcmp(v[i], want[i]) != 0)
			return false;
	return i == n;
}

static void test_parse_steps(void)
{
	static const char *const crypt_argv[] = { "/sbin/cryptsetup", "open", "%{DEVICE}",
						  "luks-%{UUID}", "100%%", NULL };
	static const char *const lvm_off[] = { "rd.lvm=0", "rd.lvm=no", NULL };
	static const char *const lvm_argv[] = { "/sbin/lvm", "lvchange", "-ay", "%{rd.lvm.lv}",
						"--a,b", NULL };
	static const char *const none[] = { NULL };
	struct rf_plan p = { 0 };
	const struct rf_plan_step *s;
	char err[128] = "";
	int r = rf_plan_parse(&p, good, strlen(good), err, sizeof(err));

	TAP_CHECK(r == 0 && p.nsteps == 3, "three steps (%s)", err);
	if (r < 0 || p.nsteps != 3)
		return;
	s = &p.steps[0];
	TAP_CHECK(strcmp(s->bundle, "crypt") == 0 && s->trigger == RF_STEP_DEVICE &&
			  strcmp(s->type, "crypto_LUKS") == 0,
		  "step 1: bundle, device= trigger and its TYPE");
	TAP_CHECK(s->noff == 1 && strcmp(s->off[0], "rd.luks=0") == 0 && s->nfilter == 1 &&
			  strcmp(s->filter_keys[0], "rd.luks.uuid") == 0 && !s->nif && !s->nunless,
		  "step 1: off=WORD keeps its '=', filter=KEY");
	TAP_STREQ(s->uuid, "ab-CD", "step 1: uuid= as written");
	TAP_CHECK(words_are(s->argv, s->argc, crypt_argv) && s->argv[s->argc] == NULL,
		  "step 1: ARGV as written (expansion is the init's), NULL-terminated");
	s = &p.steps[1];
	TAP_CHECK(words_are(s->off, s->noff, lvm_off) && s->nif == 1 &&
			  strcmp(s->if_keys[0], "rd.lvm.lv") == 0 && s->nunless == 1 &&
			  strcmp(s->unless_keys[0], "x.y") == 0 && !s->nfilter && !s->uuid,
		  "step 2: two off=, if=, unless=, no uuid");
	TAP_CHECK(words_are(s->argv, s->argc, lvm_argv), "step 2: a ',' inside an ARGV word is kept");
	s = &p.steps[2];
	TAP_CHECK(s->trigger == RF_STEP_ROOT_MISSING && s->secs == 10 && !s->type && !s->noff &&
			  words_are(s->argv, s->argc, (const char *const[]){ "/sbin/mdadm", "-IRs", NULL }),
		  "step 3: root-missing=10, CONDS '-'");
	TAP_CHECK(words_are(s->off, s->noff, none), "step 3: no conditions");
	rf_plan_free(&p);
	TAP_CHECK(p.steps == NULL && p.nsteps == 0, "rf_plan_free empties the steps");
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
	TAP_CHECK(text && strstr(text, "\nstep crypt device=crypto_LUKS off=rd.luks=0,"
				       "filter=rd.luks.uuid,uuid=ab-CD /sbin/cryptsetup open "
				       "%{DEVICE} luks-%{UUID} 100%%\n") != NULL,
		  "a step is written back as it was read");
	TAP_CHECK(text && strstr(text, "\nstep lvm device=LVM2_member off=rd.lvm=0,off=rd.lvm=no,"
				       "if=rd.lvm.lv,unless=x.y /sbin/lvm lvchange -ay "
				       "%{rd.lvm.lv} --a,b\nstep mdraid root-missing=10 - "
				       "/sbin/mdadm -IRs\n") != NULL,
		  "steps in order; no conditions is '-'");
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
	TAP_CHECK(p.n == 0 && p.mods == NULL && p.kver == NULL && p.steps == NULL && p.nsteps == 0,
		  "%s: nothing left allocated", what);
}

static void test_errors(void)
{
	expect_bad("", "empty plan", "empty");
	expect_bad("hello\n", "line 1: not a ramforge load plan", "not a plan");
	expect_bad("ramforge-plan 3\nkver k\n", "plan version 3, this init reads version 2",
		   "newer version");
	expect_bad("ramforge-plan 1\nkver k\n", "plan version 1", "older version");
	expect_bad("ramforge-plan 2\nmod a a.ko early - - -\n", "names no kver", "no kver");
	expect_bad("ramforge-plan 2\nkver k\nmod a a.ko early b - -\n",
		   "line 3: a names b, which is not in the plan", "unknown dependency");
	expect_bad("ramforge-plan 2\nkver k\nmod a a.ko early - - -\nmod a a.ko early - - -\n",
		   "line 4: module a appears twice", "duplicate");
	expect_bad("ramforge-plan 2\nkver k\nmod a a.ko soon - - -\n", "not early or late",
		   "bad WHEN");
	expect_bad("ramforge-plan 2\nkver k\nmod a a.ko early -\n", "line 3: mod needs",
		   "too few fields");
	expect_bad("ramforge-plan 2\nkver k\nfrob x\n", "unknown record 'frob'", "unknown record");
}

/* One bad `step` line, on line 3 of an otherwise good plan. */
static void bad_step(const char *step, const char *want, const char *what)
{
	char text[512], full[600];

	snprintf(text, sizeof(text), "ramforge-plan 2\nkver k\n%s\nmod a a.ko early - - -\n", step);
	snprintf(full, sizeof(full), "line 3: %s", want);
	expect_bad(text, full, what);
}

static void test_step_errors(void)
{
	bad_step("step", "step needs BUNDLE TRIGGER CONDS ARGV", "step: no fields");
	bad_step("step crypt device=crypto_LUKS -", "step needs", "step: no ARGV");
	bad_step("step crypt device=crypto_LUKS - ", "an empty word at the end",
		 "step: a space, no ARGV");
	bad_step("step  device=x - /bin/a", "step needs", "step: empty BUNDLE");
	bad_step("step a,b device=x - /bin/a", "BUNDLE is empty or holds", "step: ',' in BUNDLE");
	bad_step("step a when=x - /bin/a", "TRIGGER is 'when=x', not device=TYPE or root-missing=SECS",
		 "step: unknown trigger");
	bad_step("step a device - /bin/a", "TRIGGER is 'device'", "step: device without '='");
	bad_step("step a device= - /bin/a", "device=TYPE: TYPE is empty", "step: empty TYPE");
	bad_step("step a root-missing= - /bin/a", "root-missing=: SECS is not a number",
		 "step: empty SECS");
	bad_step("step a root-missing=-1 - /bin/a", "root-missing=-1: SECS is not a number",
		 "step: negative SECS");
	bad_step("step a root-missing=5s - /bin/a", "root-missing=5s: SECS is not",
		 "step: SECS with a unit");
	bad_step("step a root-missing=9999999999 - /bin/a", "root-missing=9999999999: SECS",
		 "step: SECS too large");
	bad_step("step a device=x if - /bin/a", "condition 'if' is not KIND=VALUE",
		 "step: condition without '='");
	bad_step("step a device=x if= /bin/a", "condition 'if=' is not KIND=VALUE",
		 "step: condition without a value");
	bad_step("step a device=x off=a,,if=b /bin/a", "condition '' is not KIND=VALUE",
		 "step: empty condition between commas");
	bad_step("step a device=x off=a, /bin/a", "condition '' is not KIND=VALUE",
		 "step: a comma at the end of CONDS");
	bad_step("step a device=x maybe=b /bin/a", "unknown condition 'maybe='",
		 "step: unknown condition");
	bad_step("step a device=x uuid=1,uuid=2 /bin/a", "uuid= given twice", "step: two uuid=");
	bad_step("step a device=x if=k=v /bin/a", "a condition's value", "step: '=' in a KEY");
	bad_step("step a root-missing=3 filter=rd.md.uuid /bin/a",
		 "filter= and uuid= need a device= trigger", "step: filter= without a device");
	bad_step("step a root-missing=3 uuid=1 /bin/a", "filter= and uuid= need a device= trigger",
		 "step: uuid= without a device");
	bad_step("step a device=x - sbin/a", "'sbin/a': ARGV[0] must be an absolute path",
		 "step: relative ARGV[0]");
	bad_step("step a device=x - %{DEVICE}", "'%{DEVICE}': ARGV[0] must be an absolute",
		 "step: ARGV[0] from a variable");
	bad_step("step a root-missing=3 - /bin/a %{DEVICE}",
		 "'%{DEVICE}': %{DEVICE} and %{UUID} need a device= trigger",
		 "step: %{DEVICE} without a device");
	bad_step("step a root-missing=3 - /bin/a x%{UUID}", "'x%{UUID}': %{DEVICE} and %{UUID} need",
		 "step: %{UUID} without a device");
	bad_step("step a device=x - /bin/a 5%", "'5%': '%' must start", "step: a lone '%'");
	bad_step("step a device=x - /bin/a %d", "'%d': '%' must start", "step: '%d'");
	bad_step("step a device=x - /bin/a %{DEV}", "'%{DEV}': '%' must start",
		 "step: an unknown %{NAME}");
	bad_step("step a device=x - /bin/a %{rdlvm}", "'%{rdlvm}': '%' must start",
		 "step: a KEY without '.'");
	bad_step("step a device=x - /bin/a -x=%{rd.lvm.vg}", "'-x=%{rd.lvm.vg}': '%' must",
		 "step: a %{KEY} inside a word");
	bad_step("step a device=x - /bin/a %{rd.lvm.vg", "'%{rd.lvm.vg': '%' must start",
		 "step: %{ not closed");
	bad_step("step a device=x - /bin/a  b", "an empty word", "step: two spaces in ARGV");
	bad_step("step a device=x - /bin/a b ", "an empty word", "step: a space at the end");
	bad_step("step a device=x - /bin/a\tb", "'/bin/a\tb': white space in a word",
		 "step: a tab in ARGV");
	bad_step("step a device=x - /bin/a\r", "'/bin/a\r': white space in a word",
		 "step: a DOS line end");
}

static void test_step_key(void)
{
	const char *key = NULL;

	TAP_CHECK(rf_plan_step_key("%{rd.lvm.vg}", &key) == 9 && strncmp(key, "rd.lvm.vg", 9) == 0,
		  "%%{rd.lvm.vg} names the key rd.lvm.vg");
	TAP_CHECK(rf_plan_step_key("%{DEVICE}", NULL) == 0 && rf_plan_step_key("%{UUID}", NULL) == 0,
		  "%%{DEVICE} and %%{UUID} are not command-line keys");
	TAP_CHECK(rf_plan_step_key("x%{a.b}", NULL) == 0 && rf_plan_step_key("%{a.b}x", NULL) == 0 &&
			  rf_plan_step_key("%{a.b%}", NULL) == 0 && rf_plan_step_key("%{}", NULL) == 0 &&
			  rf_plan_step_key("%{a=.b}", NULL) == 0,
		  "only a whole word %%{KEY} is one");
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
	TAP_STREQ(text, "ramforge-plan 2\nkver k\nmod a a.ko late - - -\n", "exact text");
	free(text);
}

static void test_format_refuses_steps(void)
{
	char *argv[] = { (char *)"bin/x", (char *)"%{DEVICE}", NULL };
	char *keys[] = { (char *)"rd.md.uuid", NULL };
	struct rf_plan_step st = { .bundle = (char *)"md", .trigger = RF_STEP_ROOT_MISSING,
				   .secs = 7, .argv = argv, .argc = 2 };
	struct rf_plan p = { .kver = (char *)"k", .steps = &st, .nsteps = 1 };
	char *text = NULL;
	size_t len;

	TAP_CHECK(rf_plan_format(&p, &text, &len) == -EINVAL, "a relative ARGV[0] is refused");
	argv[0] = (char *)"/bin/x";
	TAP_CHECK(rf_plan_format(&p, &text, &len) == -EINVAL,
		  "%%{DEVICE} in a root-missing step is refused");
	argv[1] = (char *)"a b";
	TAP_CHECK(rf_plan_format(&p, &text, &len) == -EINVAL, "an ARGV word with a space is refused");
	argv[1] = (char *)"--run";
	st.filter_keys = keys;
	st.nfilter = 1;
	TAP_CHECK(rf_plan_format(&p, &text, &len) == -EINVAL,
		  "filter= in a root-missing step is refused");
	st.nfilter = 0;
	st.trigger = 0;
	TAP_CHECK(rf_plan_format(&p, &text, &len) == -EINVAL, "an unknown trigger is refused");
	st.trigger = RF_STEP_ROOT_MISSING;
	TAP_CHECK(rf_plan_format(&p, &text, &len) == 0, "then it formats");
	TAP_STREQ(text, "ramforge-plan 2\nkver k\nstep md root-missing=7 - /bin/x --run\n",
		  "exact text");
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
	fprintf(f, "ramforge-plan 2\nkver k\n");
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
	test_parse_steps();
	test_roundtrip();
	test_errors();
	test_step_errors();
	test_step_key();
	test_format_refuses();
	test_format_refuses_steps();
	test_large();
	return tap_done();
}
