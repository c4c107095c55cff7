// SPDX-License-Identifier: MIT
/* Where the sysroot's modprobe.d rules are written; see modprobe_conf.h. */
#include "modprobe_conf.h"
#include "modname.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

/* kmod's default search path, highest precedence first, and the names kmod reads there. */
static const char *const modprobe_dirs[] = RF_MODPROBE_DIRS;
static const char *const conf_suffixes[] = { ".conf", ".alias", NULL };

static int add_rule(struct rf_modprobe_conf *c, enum rf_rule_kind kind, const char *pattern,
		    const char *command, const char *where)
{
	struct rf_modprobe_rule *rule;
	char norm[256];

	if (rf_grow(&c->rules, &c->cap, c->nrules, sizeof(*c->rules), 16) < 0)
		return -ENOMEM;
	snprintf(norm, sizeof(norm), "%s", pattern);
	(void)rf_kmod_normalize(norm, norm);
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

/* Every logical line of one file's text (a trailing '\\' joins the next line), as kmod
 * splits them; `where` names the first physical line of each. */
static int scan_text(struct rf_modprobe_conf *c, const char *text, size_t size, const char *display)
{
	const char *end = text + size, *nl;
	char *logical = NULL, where[4200];
	size_t llen = 0;
	int lineno = 0, first = 0, r = 0;

	for (const char *p = text; r >= 0 && p < end; p = nl ? nl + 1 : end) {
		size_t len;
		bool cont;
		char *grown;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = strnlen(p, (size_t)((nl ? nl : end) - p)); /* a NUL ends the line's text */
		cont = len > 0 && p[len - 1] == '\\';
		if (!logical)
			first = lineno + 1;
		lineno++;
		grown = realloc(logical, llen + len + 2);
		if (!grown) {
			r = -ENOMEM;
			break;
		}
		logical = grown;
		memcpy(logical + llen, p, len - cont);
		llen += len - cont;
		logical[llen] = '\0';
		if (cont && nl)
			continue;
		snprintf(where, sizeof(where), "%s:%d", display, first);
		r = scan_line(c, logical, where);
		rf_freep(&logical);
		llen = 0;
	}
	free(logical);
	return r;
}

/* Read one listed file (resolved inside the sysroot) and keep its bytes. */
static int read_file(struct rf_modprobe_conf *c, const char *sysroot, const char *rel,
		     struct rf_err *err)
{
	struct rf_modprobe_file *f;
	int r;

	if (rf_grow(&c->files, &c->filecap, c->nfiles, sizeof(*c->files), 8) < 0)
		return rf_fail(err, -ENOMEM, "out of memory");
	f = &c->files[c->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(rel);
	if (!f->path)
		return rf_fail(err, -ENOMEM, "out of memory");
	r = rf_input_read(sysroot, rel, rel, RF_INPUT_CONF_MAX, 0, &f->text, &f->len, err);
	if (r < 0) {
		free(f->path);
		return r;
	}
	c->nfiles++;
	r = scan_text(c, f->text, f->len, rel);
	return r == -ENOMEM ? rf_fail(err, r, "out of memory") : r;
}

int rf_modprobe_conf_load(struct rf_modprobe_conf *c, const char *sysroot, struct rf_err *err)
{
	struct rf_input_list list = { 0 };
	int r = rf_input_list_conf(sysroot, modprobe_dirs, conf_suffixes, &list, err);

	for (size_t i = 0; r >= 0 && i < list.n; i++)
		if (!list.v[i].masked)
			r = read_file(c, sysroot, list.v[i].path, err);
	rf_input_list_free(&list);
	return r;
}

/* Remove the private copy: its files, the modprobe.d directories and their parents, itself. */
static void remove_copy(const struct rf_modprobe_conf *c, const char *dir, int dfd)
{
	char sub[64], *slash;

	for (size_t i = 0; i < c->nfiles; i++)
		unlinkat(dfd, c->files[i].path, 0);
	for (size_t i = 0; modprobe_dirs[i]; i++) {
		snprintf(sub, sizeof(sub), "%s", modprobe_dirs[i]);
		do {
			unlinkat(dfd, sub, AT_REMOVEDIR); /* fails harmlessly when absent or in use */
			slash = strrchr(sub, '/');
			if (slash)
				*slash = '\0';
		} while (slash);
	}
	close(dfd);
	rmdir(dir);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* DIR/REL with REL's parent directories made (REL is "etc/modprobe.d/NAME": no "..", no link). */
static int put_file(int dfd, const char *rel, const char *text, size_t len)
{
	char sub[PATH_MAX];
	int fd, r;

	snprintf(sub, sizeof(sub), "%s", rel);
	for (char *p = strchr(sub, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(dfd, sub, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, len);
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	return r;
}

/* A private directory (mkdtemp: mode 0700) with each effective file at its own relative path
 * (so libkmod's messages name it), hidden names already left out; its fd in *dfd. */
static int make_copy(const struct rf_modprobe_conf *c, char **dir, int *dfd, struct rf_err *err)
{
	const char *tmp = getenv("TMPDIR");
	int r = 0;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	*dir = rf_strdupf("%s/ramforge-modprobe.XXXXXX", tmp);
	if (!*dir)
		return rf_fail(err, -ENOMEM, "out of memory");
	if (!mkdtemp(*dir)) {
		r = -errno;
		rf_freep(dir);
		return rf_fail(err, r, "cannot make a private directory in %s for libkmod: %s", tmp, strerror(-r));
	}
	*dfd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		r = -errno;
	for (size_t i = 0; r >= 0 && i < c->nfiles; i++)
		r = put_file(*dfd, c->files[i].path, c->files[i].text, c->files[i].len);
	if (r >= 0)
		return 0;
	rf_fail(err, r, "cannot copy the modprobe.d files into %s for libkmod: %s", *dir, strerror(-r));
	if (*dfd >= 0)
		remove_copy(c, *dir, *dfd);
	else
		rmdir(*dir);
	rf_freep(dir);
	return r;
}

/* The copy's modprobe.d directories, in kmod's order, NULL-terminated (paths[] has room for
 * all of them). No name is in two of them, so kmod's merge by name gives c's order. */
static int copy_dirs(const char *dir, const char **paths, char **owned)
{
	size_t n = 0;

	for (size_t i = 0; modprobe_dirs[i]; i++) {
		owned[i] = rf_strdupf("%s/%s", dir, modprobe_dirs[i]);
		if (!owned[i])
			return -ENOMEM;
		paths[n++] = owned[i];
	}
	paths[n] = NULL;
	return 0;
}

int rf_modprobe_conf_kmod_new(const struct rf_modprobe_conf *c, const char *kmoddir,
			      struct kmod_ctx **ctx, struct rf_err *err)
{
	enum { N = sizeof(modprobe_dirs) / sizeof(modprobe_dirs[0]) };
	const char *paths[N] = { NULL };
	char *dir = NULL, *owned[N] = { NULL };
	int dfd = -1, r = c->nfiles ? make_copy(c, &dir, &dfd, err) : 0;

	if (r >= 0 && dir && copy_dirs(dir, paths, owned) < 0)
		r = rf_fail(err, -ENOMEM, "out of memory");
	/* kmod_new parses the configuration at once: the copy can go right after. A missing
	 * directory among paths is skipped by kmod. */
	if (r >= 0)
		*ctx = kmod_new(kmoddir, paths);
	if (dir)
		remove_copy(c, dir, dfd);
	for (size_t i = 0; i < N; i++)
		free(owned[i]);
	free(dir);
	if (r < 0)
		return r;
	return *ctx ? 0 : rf_fail(err, -ENOMEM, "cannot open the module tree %s with libkmod", kmoddir);
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
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].text);
	}
	free(c->files);
	for (size_t i = 0; i < c->nrules; i++) {
		free(c->rules[i].pattern);
		free(c->rules[i].command);
		free(c->rules[i].where);
	}
	free(c->rules);
	rf_strv_clear(&c->warnings);
	memset(c, 0, sizeof(*c));
}
