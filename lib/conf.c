// SPDX-License-Identifier: MIT
/*
 * ramforge.conf reader: the declarative subset of dracut.conf, parsed line by line and never
 * evaluated. See conf.h for the precedence rules and the syntax.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

extern const char rf_default_conf[];

#define KNOWN_KEYS                                                                                \
	"add_drivers, force_drivers, omit_drivers, add_bundles, omit_bundles, install_items, "     \
	"compress, compress_level, backups, hostonly, image"

/* One parsed `key=value` line. */
struct assign {
	const char *key;
	size_t keylen;
	bool append;
	char *value; /* owned */
};

static void list_clear(struct rf_conf_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].word);
		free(l->v[i].origin);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int list_push(struct rf_conf_list *l, const char *word, size_t len, const char *origin)
{
	if (rf_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 8) < 0)
		return -ENOMEM;
	l->v[l->n].word = strndup(word, len);
	l->v[l->n].origin = strdup(origin);
	if (!l->v[l->n].word || !l->v[l->n].origin) {
		free(l->v[l->n].word);
		free(l->v[l->n].origin);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int list_assign(struct rf_conf_list *l, const struct assign *a, const char *origin)
{
	const char *p = a->value;

	if (!a->append)
		list_clear(l);
	while (*p) {
		size_t len = 0;
		int r;

		while (isspace((unsigned char)*p))
			p++;
		while (p[len] && !isspace((unsigned char)p[len]))
			len++;
		if (len == 0)
			break;
		r = list_push(l, p, len, origin);
		if (r < 0)
			return r;
		p += len;
	}
	return 0;
}

/* The message for a '$' or '`' at p: say what the shell would have done with it. */
static const char *eval_why(const char *p)
{
	if (*p == '`')
		return "command substitution `...` is not supported: nothing in ramforge.conf is evaluated";
	if (p[1] == '(')
		return "command substitution $(...) is not supported: nothing in ramforge.conf is evaluated";
	if (p[1] == '{')
		return "variable expansion ${...} is not supported: nothing in ramforge.conf is evaluated";
	if (isalpha((unsigned char)p[1]) || p[1] == '_')
		return "variables ($NAME) are not supported: nothing in ramforge.conf is evaluated";
	return "'$' is not allowed: nothing in ramforge.conf is evaluated";
}

/* Does the rest of the text (after this line) hold the closing quote q? */
static int closing_quote_line(const char *rest, char q, int line)
{
	for (; *rest; rest++) {
		if (*rest == '\n')
			line++;
		else if (*rest == q)
			return line;
	}
	return 0;
}

/* Parse a quoted value starting at *pp (on the quote); leave *pp after the closing quote. */
static int parse_quoted(const char **pp, const char *next_line, struct assign *a, const char *where,
			int line, struct rf_err *err)
{
	const char *p = *pp, *start = p + 1, *end;
	char q = *p;

	end = strchr(start, q);
	if (!end) {
		int cl = next_line ? closing_quote_line(next_line, q, line + 1) : 0;

		if (cl)
			return rf_fail(err, -EINVAL, "%s:%d: a value must fit on one line (its closing %c is on line %d)",
				       where, line, q, cl);
		return rf_fail(err, -EINVAL, "%s:%d: unterminated quote %c", where, line, q);
	}
	for (const char *c = start; c < end; c++) {
		if (*c == '$' || *c == '`')
			return rf_fail(err, -EINVAL, "%s:%d: %s", where, line, eval_why(c));
		if (*c == '\\' && q == '"')
			return rf_fail(err, -EINVAL, "%s:%d: backslash escapes are not supported", where, line);
	}
	a->value = strndup(start, (size_t)(end - start));
	if (!a->value)
		return -ENOMEM;
	*pp = end + 1;
	return 0;
}

/* An unquoted value: one word of plain characters (the shell would treat the rest specially). */
static int parse_word(const char **pp, struct assign *a, const char *where, int line, struct rf_err *err)
{
	const char *p = *pp;
	size_t len = 0;

	for (; p[len] && !isspace((unsigned char)p[len]); len++) {
		char c = p[len];

		if (c == '$' || c == '`')
			return rf_fail(err, -EINVAL, "%s:%d: %s", where, line, eval_why(p + len));
		if (strchr("\"'\\;&|<>()", c))
			return rf_fail(err, -EINVAL, "%s:%d: '%c' is not allowed in an unquoted value (quote the value)",
				       where, line, c);
	}
	a->value = strndup(p, len);
	if (!a->value)
		return -ENOMEM;
	*pp = p + len;
	return 0;
}

/* Parse one line (already without its newline, s..e). 0 and a->value == NULL: nothing on it. */
static int parse_line(char *s, const char *next_line, struct assign *a, const char *where, int line,
		      struct rf_err *err)
{
	const char *p = s;
	size_t klen = 0;
	int r;

	memset(a, 0, sizeof(*a));
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	while (isalnum((unsigned char)p[klen]) || p[klen] == '_')
		klen++;
	a->key = p;
	a->keylen = klen;
	p += klen;
	if (klen > 0 && p[0] == '+' && p[1] == '=') {
		a->append = true;
		p += 2;
	} else if (klen > 0 && p[0] == '=') {
		p++;
	} else {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (klen > 0 && (*q == '=' || (q[0] == '+' && q[1] == '=')))
			return rf_fail(err, -EINVAL, "%s:%d: no spaces are allowed before '='", where, line);
		return rf_fail(err, -EINVAL, "%s:%d: expected key=\"value\", got \"%.40s\"", where, line, a->key);
	}
	if (*p == '"' || *p == '\'')
		r = parse_quoted(&p, next_line, a, where, line, err);
	else
		r = parse_word(&p, a, where, line, err);
	if (r < 0)
		return r;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0' && *p != '#') {
		rf_freep(&a->value);
		return rf_fail(err, -EINVAL, "%s:%d: unexpected text after the value: \"%.40s\"", where, line, p);
	}
	return 0;
}

static bool key_is(const struct assign *a, const char *key)
{
	return strlen(key) == a->keylen && strncmp(a->key, key, a->keylen) == 0;
}

/* Strip white space around a scalar value, in place. */
static char *trim(char *v)
{
	size_t n;

	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		v[--n] = '\0';
	return v;
}

/* An integer lo..hi written in decimal; -1 if it is not one. */
static long parse_int(const char *v, long lo, long hi)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -1;
	return n;
}

static int set_string(char **dst, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static int apply_scalar(struct rf_conf *conf, const struct assign *a, const char *where, int line,
			struct rf_err *err)
{
	char *v = trim(a->value);
	long n;

	if (a->append)
		return rf_fail(err, -EINVAL, "%s:%d: %.*s takes one value: use %.*s=, not +=", where, line,
			       (int)a->keylen, a->key, (int)a->keylen, a->key);
	if (key_is(a, "compress")) {
		if (strcmp(v, "zstd") && strcmp(v, "gzip") && strcmp(v, "xz") && strcmp(v, "lz4") && strcmp(v, "none"))
			return rf_fail(err, -EINVAL, "%s:%d: compress=\"%s\": expected zstd, gzip, xz, lz4 or none",
				       where, line, v);
		return set_string(&conf->compress, v);
	}
	if (key_is(a, "image")) {
		if (*v && v[0] != '/')
			return rf_fail(err, -EINVAL, "%s:%d: image=\"%s\": expected an absolute path (%%k stands for the kernel version)",
				       where, line, v);
		if (!*v) {
			rf_freep(&conf->image);
			return 0;
		}
		return set_string(&conf->image, v);
	}
	if (key_is(a, "hostonly")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return rf_fail(err, -EINVAL, "%s:%d: hostonly=\"%s\": expected yes or no", where, line, v);
		return set_string(&conf->hostonly, v);
	}
	if (key_is(a, "compress_level")) {
		n = *v ? parse_int(v, 0, 22) : -1;
		if (*v && n < 0)
			return rf_fail(err, -EINVAL, "%s:%d: compress_level=\"%s\": expected \"\" or a number 0..22",
				       where, line, v);
		conf->compress_level = (int)n;
		return 0;
	}
	if (key_is(a, "backups")) {
		n = parse_int(v, 0, INT_MAX);
		if (n < 0)
			return rf_fail(err, -EINVAL, "%s:%d: backups=\"%s\": expected a number >= 0", where, line, v);
		conf->backups = (int)n;
		return 0;
	}
	return rf_fail(err, -EINVAL, "%s:%d: unknown key \"%.*s\" (known: " KNOWN_KEYS ")", where, line,
		       (int)a->keylen, a->key);
}

static int apply(struct rf_conf *conf, const struct assign *a, const char *where, int line, struct rf_err *err)
{
	struct rf_conf_list *l = NULL;
	char *origin;
	int r;

	if (key_is(a, "add_drivers"))
		l = &conf->add_drivers;
	else if (key_is(a, "force_drivers"))
		l = &conf->force_drivers;
	else if (key_is(a, "omit_drivers"))
		l = &conf->omit_drivers;
	else if (key_is(a, "add_bundles"))
		l = &conf->add_bundles;
	else if (key_is(a, "omit_bundles"))
		l = &conf->omit_bundles;
	else if (key_is(a, "install_items"))
		l = &conf->install_items;
	if (!l)
		return apply_scalar(conf, a, where, line, err);
	origin = rf_strdupf("%s:%d", where, line);
	if (!origin)
		return rf_fail(err, -ENOMEM, "out of memory");
	r = list_assign(l, a, origin);
	free(origin);
	return r < 0 ? rf_fail(err, r, "out of memory") : 0;
}

int rf_conf_parse(struct rf_conf *conf, const char *text, const char *display, struct rf_err *err)
{
	const char *p = text;
	int line = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *s = strndup(p, len);
		struct assign a;
		int r;

		line++;
		if (!s)
			return rf_fail(err, -ENOMEM, "out of memory");
		r = parse_line(s, nl ? nl + 1 : NULL, &a, display, line, err);
		if (r == 0 && a.value)
			r = apply(conf, &a, display, line, err);
		if (r == -ENOMEM)
			rf_fail(err, r, "out of memory");
		free(a.value);
		free(s);
		if (r < 0)
			return r;
		p = nl ? nl + 1 : p + len;
	}
	return 0;
}

int rf_conf_init(struct rf_conf *conf, struct rf_err *err)
{
	int r;

	memset(conf, 0, sizeof(*conf));
	conf->compress_level = -1;
	conf->backups = 3;
	if (set_string(&conf->compress, "zstd") < 0 || set_string(&conf->hostonly, "no") < 0) {
		rf_conf_free(conf);
		return rf_fail(err, -ENOMEM, "out of memory");
	}
	r = rf_conf_parse(conf, rf_default_conf, "(defaults)", err);
	if (r < 0)
		rf_conf_free(conf);
	return r;
}

/* Read SYSROOT/REL (resolved inside the sysroot) if it exists and apply it. */
static int load_file(struct rf_conf *conf, const char *sysroot, const char *rel, struct rf_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = rf_input_read(sysroot, rel, rel, RF_INPUT_CONF_MAX, RF_INPUT_OPTIONAL, &text, &len, err);

	if (r == -ENOENT)
		return 0;
	if (r == -EISDIR)
		return rf_fail(err, r, "cannot read %s: it is a directory", rel);
	if (r < 0)
		return r;
	if (memchr(text, '\0', len))
		r = rf_fail(err, -EINVAL, "%s: not a text file (contains a NUL byte)", rel);
	else
		r = rf_conf_parse(conf, text, rel, err);
	free(text);
	return r;
}

int rf_conf_load(struct rf_conf *conf, const char *sysroot, struct rf_err *err)
{
	static const char *const confd[] = { "etc/ramforge.conf.d", NULL };
	static const char *const suffix[] = { ".conf", NULL };
	struct rf_input_list files = { 0 };
	int r;

	r = rf_conf_init(conf, err);
	if (r < 0)
		return r;
	r = load_file(conf, sysroot, "etc/ramforge.conf", err);
	if (r >= 0)
		r = rf_input_list_conf(sysroot, confd, suffix, &files, err);
	for (size_t i = 0; r >= 0 && i < files.n; i++)
		if (!files.v[i].masked)
			r = load_file(conf, sysroot, files.v[i].path, err);
	rf_input_list_free(&files);
	if (r < 0)
		rf_conf_free(conf);
	return r;
}

void rf_conf_free(struct rf_conf *conf)
{
	if (!conf)
		return;
	list_clear(&conf->add_drivers);
	list_clear(&conf->force_drivers);
	list_clear(&conf->omit_drivers);
	list_clear(&conf->add_bundles);
	list_clear(&conf->omit_bundles);
	list_clear(&conf->install_items);
	free(conf->compress);
	free(conf->hostonly);
	free(conf->image);
	memset(conf, 0, sizeof(*conf));
	conf->compress_level = -1;
}
