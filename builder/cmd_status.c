// SPDX-License-Identifier: MIT
/* `ramforge status`: is an image still what a build would make now? See status_check.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "log.h"
#include "opts.h"
#include "status_check.h"

static const char help_head[] =
	"Usage: ramforge status [SELECTION] [build options] [IMAGE]\n"
	"\n"
	"Compare the input record of IMAGE (etc/ramforge/inputs, written by every build) with\n"
	"what `ramforge build` with the same options would read now, without building: every\n"
	"recorded file by content (a new mtime alone changes nothing), the configuration\n"
	"directories' listings, the module tree (modules.dep.bin), ramforge's version, the\n"
	"kernel and the options. Prints `up to date`, or one line per difference:\n"
	"  changed: PATH / added: PATH / removed: PATH / module tree changed /\n"
	"  ramforge upgraded A -> B / kernel changed: A -> B / options changed: NAME: A -> B\n"
	"IMAGE defaults to the default image of KVER, as `build` writes it; with IMAGE and no -k\n"
	"the kernel is the one the image was built for.\n"
	"Exit status: 0 up to date, 1 stale, 2 unknown (no record: another generator's image or\n"
	"an older ramforge's) or an error.\n"
	"\n";

static int report(const char *image, int r, const struct rf_strv *diffs, const struct rf_err *err)
{
	if (r == -ENODATA) {
		printf("unknown: %s\n", err->msg);
		return 2;
	}
	if (r < 0) {
		rf_error("%s", err->msg);
		return 2;
	}
	if (r == RF_STATUS_UP_TO_DATE)
		printf("up to date\n");
	for (size_t i = 0; i < diffs->n; i++)
		printf("%s\n", diffs->v[i]);
	rf_info("%s: %s", image, r == RF_STATUS_UP_TO_DATE ? "up to date" : "stale");
	return r == RF_STATUS_UP_TO_DATE ? 0 : 1;
}

int rf_cmd_status(int argc, char **argv)
{
	struct rf_opts o = { 0 };
	struct rf_err err = { "" };
	struct rf_strv diffs = { 0 };
	char *image = NULL;
	int r = rf_opts_parse(&o, argc, argv, RF_OPT_SELECTION | RF_OPT_BUILD, &err), status;

	if (r >= 0 && o.help) {
		fputs(help_head, stdout);
		fputs(rf_selection_help, stdout);
		rf_opts_free(&o);
		return 0;
	}
	rf_opts_apply_verbosity(&o);
	if (r >= 0)
		r = rf_status_image(&o, &image, &err);
	if (r >= 0)
		r = rf_status_check(&o, image, &diffs, &err);
	status = report(image, r, &diffs, &err);
	free(image);
	rf_strv_clear(&diffs);
	rf_opts_free(&o);
	return status;
}
