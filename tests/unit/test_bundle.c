// SPDX-License-Identifier: MIT
/* Bundle manifests (lib/bundle.c): the shipped ones parse; every bad line is an error naming
 * FILE:LINE; choosing by mode, names and omissions; crypttab parsing (lib/crypttab.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "crypttab.h"
#include "tap.h"

static void bad(const char *text, const char *want, const char *what)
{
	struct rf_bundles b = { 0 };
	struct rf_err err = { "" };
	int r = rf_bundles_parse(&b, "50-test", text, "modules.d/50-test/bundle.conf", &err);

	TAP_CHECK(r < 0 && b.n == 0, "%s: rejected", what);
	TAP_STREQ(err.msg, want, "%s: message", what);
	rf_bundles_free(&b);
}

static void test_shipped(void)
{
	struct rf_bundles b = { 0 };
	struct rf_err err = { "" };
	const struct rf_bundle *lvm;

	TAP_CHECK(rf_bundles_load(&b, &err) == 0, "the shipped bundles parse: %s", err.msg);
	TAP_CHECK(b.n == 3, "three shipped bundles (%zu)", b.n);
	TAP_STREQ(b.n ? b.v[0].name : NULL, "crypt", "in NN order: crypt first");
	lvm = rf_bundles_find(&b, "lvm");
	TAP_CHECK(lvm && lvm->nsteps == 2 && lvm->steps[1].argv.n >= 2, "lvm has its two steps");
	TAP_STREQ(lvm ? lvm->dir : NULL, "90-lvm", "lvm's directory");
	TAP_STREQ(lvm && lvm->nsteps ? lvm->steps[0].conds.v[0] : NULL, "if=rd.lvm.lv", "a condition");
	TAP_CHECK(rf_bundles_find(&b, "nope") == NULL, "an unknown name is not found");
	rf_bundles_free(&b);
}

static void test_errors(void)
{
	const char *f = "modules.d/50-test/bundle.conf";
	char want[256];

	snprintf(want, sizeof(want), "%s:2: unknown key \"tool\" (known: description, tools, binaries, files, "
		 "drivers, optional_drivers, off, hostonly, step)", f);
	bad("tools=\"/x\"\ntool=\"/y\"\n", want, "unknown key");
	snprintf(want, sizeof(want), "%s:1: \"sbin/lvm\" is not an absolute path", f);
	bad("binaries=\"sbin/lvm\"\n", want, "a relative path");
	snprintf(want, sizeof(want), "%s:1: \"/a/../etc/shadow\" is not an absolute path", f);
	bad("files=\"/a/../etc/shadow\"\n", want, "a path with ..");
	snprintf(want, sizeof(want), "%s:3: each step is its own step+=\"...\" line", f);
	bad("tools=/x\nbinaries=/x\nstep=\"device=X /x\"\n", want, "step= instead of step+=");
	snprintf(want, sizeof(want), "%s:3: a step starts with device=TYPE or root-missing=SECONDS, not \"when=X\"", f);
	bad("tools=/x\nbinaries=/x\nstep+=\"when=X /x\"\n", want, "a bad trigger");
	snprintf(want, sizeof(want), "%s:3: a step starts with device=TYPE or root-missing=SECONDS, not \"root-missing=soon\"", f);
	bad("tools=/x\nbinaries=/x\nstep+=\"root-missing=soon /x\"\n", want, "a bad delay");
	snprintf(want, sizeof(want), "%s:3: unknown step condition \"when=rd.x\" (known: if=KEY, unless=KEY, filter=KEY, "
		 "uuid=UUID, off=WORD; the program is an absolute path)", f);
	bad("tools=/x\nbinaries=/x\nstep+=\"device=X when=rd.x /x\"\n", want, "an unknown condition");
	snprintf(want, sizeof(want), "%s:3: the step runs no program (an absolute path)", f);
	bad("tools=/x\nbinaries=/x\nstep+=\"device=X if=rd.x\"\n", want, "no program");
	snprintf(want, sizeof(want), "%s:3: the step runs /bin/sh, which is not in the bundle's binaries (set binaries= before the steps)", f);
	bad("tools=/x\nbinaries=/x\nstep+=\"device=X /bin/sh -c reboot\"\n", want, "a program the bundle does not ship");
	snprintf(want, sizeof(want), "%s:1: variables ($NAME) are not supported: nothing in ramforge's configuration is evaluated", f);
	bad("binaries=\"$PATH\"\n", want, "no evaluation");
	snprintf(want, sizeof(want), "%s: no tools= (the files whose presence makes the bundle usable)", f);
	bad("binaries=/x\n", want, "binaries without tools");
}

static void test_choose(void)
{
	struct rf_bundles b = { 0 };
	struct rf_err err = { "" };
	struct rf_conf_list add = { 0 }, omit = { 0 };
	struct rf_strv stack = { 0 };
	struct rf_bundle_choice c = { .mode = RF_BUNDLES_HOSTONLY, .sysroot = "/nonexistent-root",
				      .add = &add, .omit = &omit, .stack = &stack };

	rf_bundles_load(&b, &err);
	rf_strv_push(&stack, "dm-uuid:LVM-abcdef");
	TAP_CHECK(rf_bundles_choose(&b, &c, &err) == 0, "hostonly without tools: %s", err.msg);
	TAP_CHECK(!rf_bundles_find(&b, "lvm")->chosen, "a bundle whose tool is missing is not chosen by the stack");
	rf_conf_list_push(&add, "mdraid", 6, "--add-bundles");
	TAP_CHECK(rf_bundles_choose(&b, &c, &err) == -ENOENT, "a named bundle whose tool is missing: an error");
	TAP_STREQ(err.msg, "bundle mdraid (--add-bundles) cannot be used: /sbin/mdadm is not installed in /nonexistent-root",
		  "its message");
	rf_conf_list_clear(&add);
	rf_conf_list_push(&omit, "lvm2", 4, "omit_bundles etc/ramforge.conf:2");
	TAP_CHECK(rf_bundles_choose(&b, &c, &err) == -ENOENT, "an unknown omitted name: an error");
	TAP_STREQ(err.msg, "unknown bundle 'lvm2' (omit_bundles etc/ramforge.conf:2); known: crypt, lvm, mdraid", "its message");
	rf_conf_list_clear(&omit);
	rf_strv_clear(&stack);
	rf_bundles_free(&b);
}

static void test_crypttab(void)
{
	struct rf_crypttab t = { 0 };
	struct rf_err err = { "" };
	struct rf_strv stack = { 0 };
	int r = rf_crypttab_parse(&t, "# c\n\nroot UUID=0b4f-9c1e /k/root.key luks,initramfs\n"
				  "swap /dev/disk/by-uuid/AA-BB none luks,discard\nhome /dev/sdb1\n", "etc/crypttab", &err);

	TAP_CHECK(r == 0 && t.n == 3, "three entries: %s", err.msg);
	TAP_CHECK(t.n == 3 && t.v[0].initramfs && !t.v[0].discard && strcmp(t.v[0].keyfile, "/k/root.key") == 0,
		  "the first: initramfs, key file");
	TAP_CHECK(t.n == 3 && !t.v[1].keyfile && t.v[1].discard && strcmp(t.v[1].uuid, "AA-BB") == 0,
		  "by-uuid source, none = ask, discard");
	TAP_CHECK(t.n == 3 && !t.v[2].uuid && strcmp(t.v[2].origin, "etc/crypttab:5") == 0, "not by UUID; its line");
	rf_strv_push(&stack, "dm-uuid:CRYPT-LUKS2-aabb-swap");
	TAP_CHECK(t.n == 3 && rf_crypttab_in_stack(&t.v[1], &stack), "the stack has the swap volume");
	TAP_CHECK(t.n == 3 && !rf_crypttab_in_stack(&t.v[0], &stack), "not the root volume");
	rf_strv_clear(&stack);
	rf_crypttab_free(&t);
	TAP_CHECK(rf_crypttab_parse(&t, "root\n", "etc/crypttab", &err) == -EINVAL, "a line without source");
	TAP_STREQ(err.msg, "etc/crypttab:1: expected NAME SOURCE [KEYFILE [OPTIONS]]", "its message");
	rf_crypttab_free(&t);
	TAP_CHECK(rf_crypttab_parse(&t, "root UUID=x key\n", "etc/crypttab", &err) == -EINVAL, "a relative key file");
	rf_crypttab_free(&t);
}

int main(void)
{
	test_shipped();
	test_errors();
	test_choose();
	test_crypttab();
	return tap_done();
}
