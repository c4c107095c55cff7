// SPDX-License-Identifier: MIT
/* `ramforge deps`: print the module closure in load order, or explain it. */
#include <stdbool.h>
#include <stdio.h>

#include "build_sig.h"
#include "closure.h"
#include "cmds.h"
#include "firmware.h"
#include "log.h"
#include "opts.h"
#include "print_sig.h"
#include "select.h"
#include "sigcheck.h"

static const char help_head[] =
	"Usage: ramforge deps [SELECTION] [--explain] [NAME...]\n"
	"\n"
	"Print the kernel modules an image would hold, one kmod-normalised name a line, in a\n"
	"valid load order (each after its dependencies and pre-softdeps). NAMEs are module names\n"
	"or aliases requested like -a. Modules come from -a, add_drivers/force_drivers in\n"
	"ramforge.conf, modules-load.d and, without NAMEs or --drivers, the generic selection\n"
	"(or --hostonly's host probe) that `ramforge build` would use, closed over hard\n"
	"dependencies and softdeps exactly as `modprobe --show-depends` resolves them, minus\n"
	"what modprobe.d denies:\n"
	"  blacklist NAME          stops NAME when reached through an alias or modules-load.d\n"
	"  install NAME /bin/false NAME never loads: it and its hard dependents are left out\n"
	"  -o / omit_drivers       the same, asked for by you\n"
	"\n"
	;

static const char help_tail[] =
	"Output:\n"
	"      --explain             one line per module: NAME PATH WHY (PATH is '(builtin)' for\n"
	"                            built-in modules); then one line per module left out:\n"
	"                            NAME - left out: RULE (with the rule's FILE:LINE); each\n"
	"                            module's line ends in its signature, as `ls --signatures`:\n"
	"                            signer=\"CN\" sig_key=SERIAL sig_hashalgo=HASH trust=T (T is\n"
	"                            in-tree, cert:FILE, untrusted, unsigned or malformed); then\n"
	"                            one line per firmware file the image would hold:\n"
	"                            firmware FILE SIZE WHO (SIZE: bytes, link:TARGET, or\n"
	"                            missing; WHO: the module that asked for it)\n"
	"  -q, --quiet               no warnings on stderr\n"
	"  -v, --verbose             more detail on stderr (twice: libkmod's debug log)\n"
	"  -h, --help                this text\n"
	"\n"
	"Exit status: 0 on success; 1 on an error (unknown module, bad configuration, missing\n"
	"module tree, a failed write of the output), with one line on stderr saying what and\n"
	"why; 2 on a usage error (an unknown option, a missing or invalid option value).\n";

/* --explain: each module's signature, as `ls --signatures` shows it. */
static int check_signatures(const struct rf_opts *o, const struct rf_select *s,
			    const struct rf_modset *set, struct rf_sigcheck *c, struct rf_err *err)
{
	struct rf_sigpolicy_opts po = rf_sigpolicy_opts_of(o, s);
	struct rf_sigpolicy pol = { 0 };
	int r = rf_sigpolicy_resolve(&pol, &po, err);

	if (r >= 0)
		r = rf_sigcheck_run(set, &pol, NULL, c, err);
	rf_sigpolicy_free(&pol);
	return r;
}

static void print_set(const struct rf_modset *set, const struct rf_sigcheck *c, bool explain)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct rf_module *m = &set->mods[i];

		if (explain) {
			printf("%s %s %s", m->name, m->builtin ? "(builtin)" : m->path, m->why);
			if (!m->builtin)
				rf_print_signature(&m->info.sig, c->v[i].trust, c->v[i].why);
			putchar('\n');
		} else
			printf("%s\n", m->name);
	}
	for (size_t i = 0; explain && i < set->nexcl; i++)
		printf("%s - left out: %s\n", set->excl[i].name, set->excl[i].why);
}

static void print_firmware(const struct rf_firmware *fw)
{
	for (size_t i = 0; i < fw->n; i++) {
		const struct rf_fw_file *f = &fw->v[i];

		if (f->missing)
			printf("firmware %s missing %s\n", f->name, f->module);
		else if (f->target)
			printf("firmware %s link:%s %s\n", f->name, f->target, f->module);
		else
			printf("firmware %s %llu %s\n", f->name, (unsigned long long)f->size,
			       f->module);
	}
}

int rf_cmd_deps(int argc, char **argv)
{
	struct rf_opts o = { 0 };
	struct rf_select s = { 0 };
	struct rf_select_opts so;
	struct rf_modset set = { 0 };
	struct rf_sigcheck c = { 0 };
	struct rf_firmware fw = { 0 };
	struct rf_err err = { "" };
	int r = rf_opts_parse(&o, argc, argv, RF_OPT_SELECTION | RF_OPT_EXPLAIN, &err);
	bool usage = r < 0;

	if (r >= 0 && o.help) {
		fputs(help_head, stdout);
		fputs(rf_selection_help, stdout);
		fputs(help_tail, stdout);
		goto out;
	}
	rf_opts_apply_verbosity(&o);
	so = rf_opts_selection(&o, &o.args);
	if (r >= 0)
		r = rf_select_init(&s, &so, &err);
	if (r >= 0)
		r = rf_closure_resolve(&s.sel, &s.reqs, &set, &err);
	for (size_t i = 0; r >= 0 && i < s.warnings.n; i++)
		rf_warn("%s", s.warnings.v[i]);
	for (size_t i = 0; r >= 0 && i < set.warnings.n; i++)
		rf_warn("%s", set.warnings.v[i]);
	if (r >= 0 && o.explain)
		r = check_signatures(&o, &s, &set, &c, &err);
	if (r >= 0 && o.explain && s.conf.firmware && !o.no_firmware)
		r = rf_firmware_find(&fw, &set, s.sysroot, &s.conf.add_firmware, &err);
	if (r >= 0)
		print_set(&set, &c, o.explain);
	if (r >= 0)
		print_firmware(&fw);
	else
		rf_error("%s", err.msg);
out:
	rf_sigcheck_free(&c);
	rf_firmware_free(&fw);
	rf_modset_free(&set);
	rf_select_free(&s);
	rf_opts_free(&o);
	return r < 0 ? (usage ? 2 : 1) : 0;
}
