// SPDX-License-Identifier: MIT
/*
 * modules-load.d reader with systemd-modules-load's rules (see modules_load.h): the directories
 * are merged by file name (rf_input_list_conf), an earlier directory hides (or, with a
 * /dev/null symlink, masks) a later one, and the survivors are read in file-name order.
 */
#include "modules_load.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

/* In systemd's order of precedence, relative to the sysroot. */
static const char *const dirs[] = {
	"etc/modules-load.d", "run/modules-load.d", "usr/local/lib/modules-load.d",
	"usr/lib/modules-load.d", "lib/modules-load.d", NULL,
};

/* Strip white space at both ends, in place. */
static char *strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* One line of REL (already cut from the text). */
static int read_line(char *line, const char *rel, int lineno, struct rf_requests *reqs, struct rf_err *err)
{
	char *s = strip(line), *origin;
	int r;

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (!rf_modname_valid(s))
		return rf_fail(err, -EINVAL, "%s:%d: \"%s\" is not a module name (one name a line)", rel, lineno, s);
	origin = rf_strdupf("%s:%d", rel, lineno);
	r = origin ? rf_requests_add(reqs, s, origin, true) : -ENOMEM;
	free(origin);
	return r < 0 ? rf_fail(err, r, "out of memory") : 0;
}

static int read_one(const char *sysroot, const char *rel, struct rf_requests *reqs, struct rf_err *err)
{
	char *text = NULL, *p, *nl;
	int line = 0, r;

	r = rf_input_read(sysroot, rel, rel, RF_INPUT_CONF_MAX, 0, &text, NULL, err);
	for (p = text; r >= 0 && p && *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		r = read_line(p, rel, ++line, reqs, err);
	}
	free(text);
	return r;
}

int rf_modules_load_read(const char *sysroot, struct rf_requests *reqs, struct rf_err *err)
{
	static const char *const suffix[] = { ".conf", NULL };
	struct rf_input_list files = { 0 };
	int r = rf_input_list_conf(sysroot, dirs, suffix, &files, err);

	for (size_t i = 0; r >= 0 && i < files.n; i++)
		if (!files.v[i].masked)
			r = read_one(sysroot, files.v[i].path, reqs, err);
	rf_input_list_free(&files);
	return r;
}
