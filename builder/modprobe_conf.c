// SPDX-License-Identifier: MIT
/* Where the sysroot's modprobe.d rules are written; see modprobe_conf.h. */
#include "modprobe_conf.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* kmod's default search path, highest precedence first. */
static const char *const modprobe_dirs[] = {
	"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d",
	"usr/lib/modprobe.d", "lib/modprobe.d",
};
#define NDIRS (sizeof(modprobe_dirs) / sizeof(modprobe_dirs[0]))

static bool is_conf_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

static int cmp_base(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '/') + 1;
	const char *y = strrchr(*(char *const *)b, '/') + 1;

	return strcmp(x, y);
}

static bool base_listed(const struct rf_strv *names, const char *base)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(strrchr(names->v[i], '/') + 1, base) == 0)
			return true;
	return false;
}

/* Collect the *.conf names of one directory that no earlier directory already has. */
static int list_dir(struct rf_modprobe_conf *c, const char *rel, struct rf_err *err)
{
	struct dirent *de;
	DIR *d = opendir(rel);
	int r = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0
		       : rf_fail(err, -errno, "cannot read %s: %s", rel, strerror(errno));
	while ((de = readdir(d)) && r >= 0) {
		if (!is_conf_name(de->d_name) || base_listed(&c->files, de->d_name))
			continue;
		r = rf_strv_push_owned(&c->files, rf_path_join(rel, de->d_name));
	}
	closedir(d);
	return r;
}

static int add_rule(struct rf_modprobe_conf *c, enum rf_rule_kind kind, const char *pattern,
		    const char *command, const char *where)
{
	struct rf_modprobe_rule *rule;
	char norm[256];

	if (rf_grow(&c->rules, &c->cap, c->nrules, sizeof(*c->rules), 16) < 0)
		return -ENOMEM;
	snprintf(norm, sizeof(norm), "%s", pattern);
	rf_modname_normalize(norm, norm);
	rule = &c->rules[c->nrules];
	rule->kind = kind;
	rule->pattern = strdup(norm);
	rule->command = command ? strdup(command) : NULL;
	rule->where = strdup(where);
	if (!rule->pattern || !rule->where || (command && !rule->command))
		return -ENOMEM;
	c->nrules++;
	return 0;
}

/* Once per file: a DOS line ending. modprobe keeps the CR as part of the last word, so its
 * `blacklist NAME\r` matches no module; ramforge reads the line as the admin meant it. */
static int warn_cr(struct rf_modprobe_conf *c, const char *where)
{
	size_t flen = strrchr(where, ':') - where;
	const char *last = c->warnings.n ? c->warnings.v[c->warnings.n - 1] : "";

	if (strncmp(last, where, flen) == 0 && last[flen] == ':')
		return 0;
	return rf_strv_pushf(&c->warnings, "%s: DOS line ending (CR LF): modprobe misreads such lines "
			     "(it ignores a `blacklist` there); ramforge strips the CR", where);
}

/* One logical line (continuations already joined): keep blacklist and install rules. */
static int scan_line(struct rf_modprobe_conf *c, char *line, const char *where)
{
	char *save, *cmd = strtok_r(line, " \t\r", &save), *name, *rest;

	if (!cmd || cmd[0] == '#')
		return 0;
	if (strchr(save, '\r') && warn_cr(c, where) < 0)
		return -ENOMEM;
	name = strtok_r(NULL, " \t\r", &save);
	if (!name)
		return 0;
	if (strcmp(cmd, "blacklist") == 0)
		return add_rule(c, RF_RULE_BLACKLIST, name, NULL, where);
	if (strcmp(cmd, "install") != 0 && strcmp(cmd, "options") != 0)
		return 0;
	rest = save + strspn(save, " \t");
	for (size_t n = strlen(rest); n > 0 && strchr(" \t\r\n", rest[n - 1]); n--)
		rest[n - 1] = '\0';
	return add_rule(c, strcmp(cmd, "install") == 0 ? RF_RULE_INSTALL : RF_RULE_OPTIONS, name,
			rest, where);
}

static int scan_file(struct rf_modprobe_conf *c, const char *path, const char *display,
		     struct rf_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL, *logical = NULL;
	size_t cap = 0, llen = 0;
	int lineno = 0, first = 0, r = 0;

	if (!f)
		return rf_fail(err, -errno, "cannot read %s: %s", path, strerror(errno));
	while (r >= 0 && getline(&buf, &cap, f) >= 0) {
		size_t len = strcspn(buf, "\n");
		bool cont = len > 0 && buf[len - 1] == '\\';
		char *grown;

		lineno++;
		if (!logical)
			first = lineno;
		grown = realloc(logical, llen + len + 2);
		if (!grown) {
			r = -ENOMEM;
			break;
		}
		logical = grown;
		memcpy(logical + llen, buf, len - cont);
		llen += len - cont;
		logical[llen] = '\0';
		if (cont)
			continue;
		char where[4200];
		snprintf(where, sizeof(where), "%s:%d", display, first);
		r = scan_line(c, logical, where);
		rf_freep(&logical);
		llen = 0;
	}
	free(buf);
	free(logical);
	fclose(f);
	return r;
}

int rf_modprobe_conf_load(struct rf_modprobe_conf *c, const char *sysroot, struct rf_err *err)
{
	int r = 0;

	for (size_t i = 0; i < NDIRS; i++) {
		c->dirs[i] = rf_path_join(sysroot, modprobe_dirs[i]);
		if (!c->dirs[i])
			return -ENOMEM;
	}
	for (size_t i = 0; i < NDIRS && r >= 0; i++)
		r = list_dir(c, c->dirs[i], err);
	if (r < 0)
		return r;
	if (c->files.n)
		qsort(c->files.v, c->files.n, sizeof(char *), cmp_base);
	size_t skip = strlen(sysroot);
	while (skip > 0 && sysroot[skip - 1] == '/')
		skip--;
	for (size_t i = 0; i < c->files.n && r >= 0; i++) {
		const char *rel = c->files.v[i] + skip + (c->files.v[i][skip] == '/');

		r = rf_strv_push(&c->names, rel);
		if (r >= 0)
			r = scan_file(c, c->files.v[i], rel, err);
	}
	return r;
}

const struct rf_modprobe_rule *rf_modprobe_find_blacklist(const struct rf_modprobe_conf *c,
							  const char *name)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].kind == RF_RULE_BLACKLIST && strcmp(c->rules[i].pattern, name) == 0)
			return &c->rules[i];
	return NULL;
}

const struct rf_modprobe_rule *rf_modprobe_find_install(const struct rf_modprobe_conf *c,
							const char *name, const char *cmd)
{
	for (size_t i = 0; i < c->nrules; i++) {
		const struct rf_modprobe_rule *rule = &c->rules[i];

		if (rule->kind != RF_RULE_INSTALL || fnmatch(rule->pattern, name, 0) != 0)
			continue;
		if (!cmd || strcmp(rule->command, cmd) == 0)
			return rule;
	}
	return NULL;
}

char *rf_modprobe_options(const struct rf_modprobe_conf *c, const char *name)
{
	char *joined = NULL;

	for (size_t i = 0; i < c->nrules; i++) {
		const struct rf_modprobe_rule *rule = &c->rules[i];
		char *next;

		if (rule->kind != RF_RULE_OPTIONS || strcmp(rule->pattern, name) != 0 || !*rule->command)
			continue;
		next = joined ? rf_strdupf("%s %s", joined, rule->command) : strdup(rule->command);
		free(joined);
		joined = next;
		if (!joined)
			return NULL;
	}
	return joined;
}

void rf_modprobe_conf_free(struct rf_modprobe_conf *c)
{
	for (size_t i = 0; i < NDIRS; i++)
		free(c->dirs[i]);
	for (size_t i = 0; i < c->nrules; i++) {
		free(c->rules[i].pattern);
		free(c->rules[i].command);
		free(c->rules[i].where);
	}
	free(c->rules);
	rf_strv_clear(&c->files);
	rf_strv_clear(&c->names);
	rf_strv_clear(&c->warnings);
	memset(c, 0, sizeof(*c));
}
