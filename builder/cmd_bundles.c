// SPDX-License-Identifier: MIT
/* `ramforge bundles`: which bundles an image would hold, and why. */
#include <errno.h>
#include <stdio.h>

#include "cmds.h"
#include "log.h"
#include "opts.h"
#include "select.h"

static const char help_head[] =
	"Usage: ramforge bundles [SELECTION]\n"
	"\n"
	"List the bundles (modules.d/: what roots on LUKS, LVM or md RAID need) one a line:\n"
	"  NAME in WHY        the image would hold it (named, or the generic or hostonly choice)\n"
	"  NAME out WHY       it would not (not chosen, omitted, or a tool SYSROOT lacks)\n"
	"followed, with -v, by the bundle's description, drivers, binaries and steps.\n"
	"\n";

static const char help_tail[] =
	"  -v, --verbose             each bundle's contents too\n"
	"  -h, --help                this text\n"
	"\n"
	"Exit status: 0 on success; 1 on an error (unknown bundle, a named bundle whose tool is\n"
	"missing, bad configuration); 2 on a usage error.\n";

static void print_list(const char *what, const struct rf_conf_list *l)
{
	if (!l->n)
		return;
	printf("  %s:", what);
	for (size_t i = 0; i < l->n; i++)
		printf(" %s", l->v[i].word);
	putchar('\n');
}

static void print_bundle(const struct rf_bundle *b, bool verbose)
{
	const char *why = b->why ? b->why : b->unusable ? b->unusable : "not chosen";

	printf("%s %s %s\n", b->name, b->chosen ? "in" : "out", why);
	if (!verbose)
		return;
	printf("  %s (%s)\n", b->description ? b->description : "", b->manifest);
	print_list("tools", &b->tools);
	print_list("binaries", &b->binaries);
	print_list("files", &b->files);
	print_list("drivers", &b->drivers);
	print_list("optional drivers", &b->optional_drivers);
	print_list("off", &b->off);
	for (size_t i = 0; i < b->nsteps; i++) {
		printf("  step: %s", b->steps[i].trigger);
		for (size_t j = 0; j < b->steps[i].conds.n; j++)
			printf(" %s", b->steps[i].conds.v[j]);
		for (size_t j = 0; j < b->steps[i].argv.n; j++)
			printf(" %s", b->steps[i].argv.v[j]);
		putchar('\n');
	}
}

int rf_cmd_bundles(int argc, char **argv)
{
	struct rf_opts o = { 0 };
	struct rf_select s = { 0 };
	struct rf_select_opts so;
	struct rf_err err = { "" };
	int r = rf_opts_parse(&o, argc, argv, RF_OPT_SELECTION, &err);
	bool usage = r < 0;

	if (r >= 0 && o.help) {
		fputs(help_head, stdout);
		fputs(rf_selection_help, stdout);
		fputs(help_tail, stdout);
		goto out;
	}
	if (r >= 0 && o.args.n) {
		r = rf_fail(&err, -EINVAL, "bundles takes no arguments (see `ramforge bundles --help`)");
		usage = true;
	}
	rf_opts_apply_verbosity(&o);
	so = rf_opts_selection(&o, NULL);
	if (r >= 0)
		r = rf_select_init(&s, &so, &err);
	for (size_t i = 0; r >= 0 && i < s.bundles.n; i++)
		print_bundle(&s.bundles.v[i], o.verbose > 0);
	if (r < 0)
		rf_error("%s", err.msg);
out:
	rf_select_free(&s);
	rf_opts_free(&o);
	return r < 0 ? (usage ? 2 : 1) : 0;
}
