// SPDX-License-Identifier: MIT
/* The init's step selection and argv expansion (init/steps.c): which of the bundles' steps a
 * device calls for, under which command line, and the command each runs. Like the command line
 * parser, they belong to the static init, so the test compiles their sources directly. */
#include "../../init/cmdline.c"
#include "../../init/steps.c"

#include <stdio.h>

#include "tap.h"

/* The steps the builder writes for the shipped bundles, plus a crypttab entry's and a made-up
 * second bundle on crypto_LUKS. */
static const char plan_text[] =
	"ramforge-plan 2\n"
	"kver k\n"
	"step crypt device=crypto_LUKS off=rd.luks=0,uuid=11111111-2222-3333-4444-555555555555 "
	"/sbin/cryptsetup open --type luks --key-file /etc/k %{DEVICE} root_crypt\n"
	"step crypt device=crypto_LUKS off=rd.luks=0,filter=rd.luks.uuid,if=rd.luks.key "
	"/sbin/cryptsetup open --type luks --key-file %{rd.luks.key} %{DEVICE} luks-%{UUID}\n"
	"step crypt device=crypto_LUKS off=rd.luks=0,filter=rd.luks.uuid "
	"/sbin/cryptsetup open --type luks %{DEVICE} luks-%{UUID}\n"
	"step lvm device=LVM2_member off=rd.lvm=0,if=rd.lvm.lv "
	"/sbin/lvm lvchange --yes -ay --sysinit %{rd.lvm.lv}\n"
	"step lvm device=LVM2_member off=rd.lvm=0 /sbin/lvm vgchange -ay --sysinit %{rd.lvm.vg}\n"
	"step mdraid device=linux_raid_member off=rd.md=0,filter=rd.md.uuid "
	"/sbin/mdadm --incremental %{DEVICE}\n"
	"step mdraid root-missing=10 off=rd.md=0 /sbin/mdadm --incremental --run --scan\n"
	"step audit device=crypto_LUKS unless=rd.noaudit /bin/log 100%% %%{UUID} %{UUID}%%\n";

enum { CT_KEY, LUKS_KEY, LUKS_ASK, LVM_LV, LVM_VG, MD_ADD, MD_RUN, AUDIT };

static const char *const luks_uuid = "11111111-2222-3333-4444-555555555555";
static struct rf_plan plan;

/* The steps a device calls for, as "1,4" (indices into the plan), under command line text. */
static const char *chosen(const char *text, const char *type, const char *uuid)
{
	static char buf[64];
	struct rf_cmdline cmd = { 0 };
	size_t out[16], n, len = 0;

	rf_cmdline_parse(&cmd, text);
	n = rf_steps_for_device(&plan, &cmd, type, uuid, out);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%zu", i ? "," : "", out[i]);
	rf_cmdline_free(&cmd);
	return buf;
}

/* Step i's argv under command line text, joined by '|'; "ERR" when it cannot be made. */
static const char *argv_of(size_t i, const char *text, const char *dev, const char *uuid)
{
	static char buf[512];
	struct rf_cmdline cmd = { 0 };
	char **argv = NULL;
	size_t len = 0;

	rf_cmdline_parse(&cmd, text);
	if (rf_step_argv(&plan.steps[i], &cmd, dev, uuid, &argv) < 0)
		snprintf(buf, sizeof(buf), "ERR");
	for (size_t a = 0; argv && argv[a]; a++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", a ? "|" : "", argv[a]);
	rf_step_argv_free(argv);
	rf_cmdline_free(&cmd);
	return buf;
}

static bool holds(size_t i, const char *text, const char *uuid)
{
	struct rf_cmdline cmd = { 0 };
	bool r;

	rf_cmdline_parse(&cmd, text);
	r = rf_step_conds_hold(&plan.steps[i], &cmd, uuid);
	rf_cmdline_free(&cmd);
	return r;
}

static void test_uuid(void)
{
	TAP_CHECK(rf_step_uuid_eq("5A4C1F9E-7D2B-4C3A-9E1F-2B8D6A0C4E71",
				  "5a4c1f9e-7d2b-4c3a-9e1f-2b8d6a0c4e71"),
		  "UUIDs compare case-insensitively");
	TAP_CHECK(rf_step_uuid_eq("luks-5a4c1f9e-7d2b", "5a4c1f9e7d2b") &&
			  rf_step_uuid_eq("5a4c1f9e7d2b", "LUKS-5a4c1f9e-7d2b"),
		  "a luks- prefix (either side) and '-' do not count");
	TAP_CHECK(rf_step_uuid_eq("a1b2c3d4:e5f6a7b8:01234567:89abcdef",
				  "a1b2c3d4-e5f6-a7b8-0123-456789abcdef"),
		  "mdadm's a:b:c:d equals blkid's spelling");
	TAP_CHECK(!rf_step_uuid_eq("a1b2c3d4", "a1b2c3d5") && !rf_step_uuid_eq("a1b2", "a1b2c3"),
		  "different UUIDs, and a prefix, differ");
	TAP_CHECK(!rf_step_uuid_eq("", "") && !rf_step_uuid_eq(NULL, NULL) &&
			  !rf_step_uuid_eq("luks-", "") && !rf_step_uuid_eq("-:-", ""),
		  "an empty UUID equals nothing, not even another empty one");
}

static void test_conditions(void)
{
	TAP_CHECK(holds(LVM_VG, "root=/dev/vg/root", "x") && !holds(LVM_VG, "rd.lvm=0", "x"),
		  "off=rd.lvm=0: the word turns the step off");
	TAP_CHECK(holds(LVM_VG, "rd.lvm=1", "x") && holds(LVM_VG, "rd.lvm", "x"),
		  "off= wants the exact word");
	TAP_CHECK(!holds(LVM_LV, "", "x") && !holds(LVM_LV, "rd.lvm.lv=", "x") &&
			  holds(LVM_LV, "rd.lvm.lv=vg/root", "x"),
		  "if=KEY: KEY must have a value");
	TAP_CHECK(holds(AUDIT, "", "x") && !holds(AUDIT, "rd.noaudit=1", "x") &&
			  holds(AUDIT, "rd.noaudit", "x"),
		  "unless=KEY: KEY must have no value");
	TAP_CHECK(holds(LUKS_ASK, "", "abc") && holds(LUKS_ASK, "rd.luks.uuid=", "abc"),
		  "filter=KEY without values: any device");
	TAP_CHECK(holds(LUKS_ASK, "rd.luks.uuid=luks-ABC", "abc") &&
			  holds(LUKS_ASK, "rd.luks.uuid=x rd.luks.uuid=y,abc", "abc") &&
			  !holds(LUKS_ASK, "rd.luks.uuid=x,y", "abc"),
		  "filter=KEY with values: the device's UUID must be one (repeated keys, commas)");
	TAP_CHECK(!holds(LUKS_ASK, "rd.luks.uuid=abc", "") && !holds(LUKS_ASK, "rd.luks.uuid=abc", NULL),
		  "filter=KEY with values: a device without a UUID is none of them");
	TAP_CHECK(holds(CT_KEY, "", luks_uuid) && holds(CT_KEY, "", "LUKS-11111111222233334444555555555555") &&
			  !holds(CT_KEY, "", "11111111-2222-3333-4444-555555555556") &&
			  !holds(CT_KEY, "", NULL),
		  "uuid=: that volume only");
	TAP_CHECK(holds(MD_RUN, "", NULL) && !holds(MD_RUN, "rd.md=0", NULL),
		  "a root-missing step: only its off= words");
}

static void test_choice(void)
{
	TAP_STREQ(chosen("", "crypto_LUKS", luks_uuid), "0,7",
		  "the crypttab volume: its own step (the first of its bundle), and another "
		  "bundle's step too");
	TAP_STREQ(chosen("", "crypto_LUKS", "abcd"), "2,7",
		  "another LUKS volume: the prompt (no key= asked for)");
	TAP_STREQ(chosen("rd.luks.key=/k", "crypto_LUKS", "abcd"), "1,7", "rd.luks.key=: the key file");
	TAP_STREQ(chosen("rd.luks.uuid=ffff", "crypto_LUKS", "abcd"), "7",
		  "rd.luks.uuid= names another volume: crypt leaves this one alone");
	TAP_STREQ(chosen("rd.luks.uuid=ffff", "crypto_LUKS", luks_uuid), "0,7",
		  "rd.luks.uuid= does not stop a crypttab entry");
	TAP_STREQ(chosen("rd.luks=0 rd.noaudit=1", "crypto_LUKS", luks_uuid), "",
		  "rd.luks=0: no crypt step at all");
	TAP_STREQ(chosen("", "LVM2_member", "pv"), "4", "a PV: vgchange");
	TAP_STREQ(chosen("rd.lvm.lv=vg/root", "LVM2_member", "pv"), "3",
		  "rd.lvm.lv=: lvchange, and only it (one step per bundle per device)");
	TAP_STREQ(chosen("", "linux_raid_member", "a:b"), "5", "a RAID member: mdadm --incremental");
	TAP_STREQ(chosen("rd.md.uuid=c:d", "linux_raid_member", "a:b"), "", "rd.md.uuid= another array");
	TAP_STREQ(chosen("", "ext4", "x"), "", "a filesystem calls for nothing");
	TAP_STREQ(chosen("", "crypto", "x"), "", "TYPE is compared whole");
}

static void test_argv(void)
{
	TAP_STREQ(argv_of(LUKS_ASK, "", "/dev/vda2", "ab-cd"),
		  "/sbin/cryptsetup|open|--type|luks|/dev/vda2|luks-ab-cd",
		  "%%{DEVICE} and %%{UUID}, also inside a word");
	TAP_STREQ(argv_of(LUKS_KEY, "rd.luks.key=/a rd.luks.key=/b,/c", "/dev/vda2", "u"),
		  "/sbin/cryptsetup|open|--type|luks|--key-file|/a|/b|/c|/dev/vda2|luks-u",
		  "%%{KEY}: one word per value, in order");
	TAP_STREQ(argv_of(LVM_VG, "", "/dev/vda", "pv"), "/sbin/lvm|vgchange|-ay|--sysinit",
		  "%%{KEY} without values: no word");
	TAP_STREQ(argv_of(LVM_VG, "rd.lvm.vg=vg0", "/dev/vda", "pv"),
		  "/sbin/lvm|vgchange|-ay|--sysinit|vg0", "%%{rd.lvm.vg}");
	TAP_STREQ(argv_of(AUDIT, "", "/dev/vda2", "u1"), "/bin/log|100%|%{UUID}|u1%",
		  "%%%% is '%%', and what follows it is not a variable");
	TAP_STREQ(argv_of(MD_RUN, "", NULL, NULL), "/sbin/mdadm|--incremental|--run|--scan",
		  "a root-missing step");
	TAP_STREQ(argv_of(AUDIT, "", "/dev/vda2", "u%{DEVICE}"), "/bin/log|100%|%{UUID}|u%{DEVICE}%",
		  "a value is never expanded again");
}

static void test_argv_refuses(void)
{
	char *words[] = { (char *)"/bin/x", (char *)"%{DEVICE}", NULL };
	struct rf_plan_step s = { .argv = words, .argc = 2 };
	struct rf_cmdline cmd = { 0 };
	char **argv = NULL;

	TAP_CHECK(rf_step_argv(&s, &cmd, NULL, NULL, &argv) == -EINVAL && !argv,
		  "%%{DEVICE} without a device: -EINVAL");
	words[1] = (char *)"50%";
	TAP_CHECK(rf_step_argv(&s, &cmd, "/dev/x", "u", &argv) == -EINVAL && !argv,
		  "a lone '%%': -EINVAL");
}

int main(void)
{
	char err[128] = "";

	TAP_CHECK(rf_plan_parse(&plan, plan_text, strlen(plan_text), err, sizeof(err)) == 0 &&
			  plan.nsteps == 8,
		  "the test plan parses (%s)", err);
	if (plan.nsteps != 8)
		return tap_done();
	test_uuid();
	test_conditions();
	test_choice();
	test_argv();
	test_argv_refuses();
	rf_plan_free(&plan);
	return tap_done();
}
