// SPDX-License-Identifier: MIT
/* A root's /etc/ld.so.conf, read as ldconfig reads it; see ldconf.h. */
#include "ldconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

#define MAX_INCLUDE_DEPTH 16

struct ldconf {
	struct rf_rootpath *rp;
	const char *root;
	struct rf_strv *dirs;
};

static int conf_file(struct ldconf *c, const char *path, int depth, struct rf_err *err);

static int conf_include(struct ldconf *c, const char *from, const char *pattern, int depth,
			struct rf_err *err)
{
	struct rf_strv files = { 0 };
	char *full;
	int r;

	if (depth >= MAX_INCLUDE_DEPTH)
		return rf_fail(err, -ELOOP, "%s: includes nested more than %d deep", from, MAX_INCLUDE_DEPTH);
	full = pattern[0] == '/' ? strdup(pattern)
				 : rf_strdupf("%.*s/%s", (int)(strrchr(from, '/') - from), from, pattern);
	r = full ? rf_rootpath_glob(c->rp, full, &files) : -ENOMEM;
	for (size_t i = 0; r == 0 && i < files.n; i++)
		r = conf_file(c, files.v[i], depth + 1, err);
	if (r == -ENOMEM)
		rf_fail(err, r, "%s: out of memory", from);
	rf_strv_clear(&files);
	free(full);
	return r;
}

/* One line of an ld.so.conf file, its comment cut off and trimmed. */
static int conf_line(struct ldconf *c, const char *path, char *line, int depth, struct rf_err *err)
{
	size_t n = strlen(line);
	char *word;

	if (strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
		int r = 0;

		line += 7;
		while (r == 0 && (word = strsep(&line, " \t")))
			if (*word)
				r = conf_include(c, path, word, depth, err);
		return r;
	}
	if (strncmp(line, "hwcap", 5) == 0 && (line[5] == ' ' || line[5] == '\t'))
		return 0;
	if ((word = strchr(line, '='))) /* ldconfig's "DIR=TYPE" */
		*word = '\0', n = strlen(line);
	while (n > 1 && line[n - 1] == '/')
		line[--n] = '\0';
	if (!n || rf_strv_contains(c->dirs, line))
		return 0;
	return line[0] == '/' ? rf_strv_push(c->dirs, line) : rf_strv_pushf(c->dirs, "/%s", line);
}

static int conf_file(struct ldconf *c, const char *path, int depth, struct rf_err *err)
{
	char *text = NULL, *rest, *line;
	int r = rf_input_read(c->root, path, path, RF_INPUT_CONF_MAX, RF_INPUT_OPTIONAL, &text, NULL, err);

	if (r == -ENOENT || r == -EISDIR)
		return 0;
	for (rest = text; r >= 0 && (line = strsep(&rest, "\n"));) {
		char *end = line + strcspn(line, "#");

		while (end > line && strchr(" \t\r", end[-1]))
			end--;
		*end = '\0';
		line += strspn(line, " \t");
		r = conf_line(c, path, line, depth, err);
	}
	free(text);
	if (r == -ENOMEM)
		return rf_fail(err, r, "%s: out of memory", path);
	return r < 0 ? r : 0;
}

int rf_ldconf_read(struct rf_rootpath *rp, const char *root, struct rf_strv *dirs, struct rf_err *err)
{
	struct ldconf c = { rp, root, dirs };

	return conf_file(&c, "/etc/ld.so.conf", 0, err);
}
