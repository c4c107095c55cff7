// SPDX-License-Identifier: MIT
/*
 * Kernel command line parsing, with the kernel's own quoting rule (a double quote protects
 * spaces; `k="a b"` has the value `a b`). Parsing stops at `--`, as the kernel's does.
 */
#include "cmdline.h"
#include "modname.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Cut the next word off *s (quotes kept); NULL at the end. */
static char *next_word(char **s)
{
	char *p = *s, *start;
	bool quoted = false;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p)
		return NULL;
	start = p;
	for (; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
			break;
	}
	if (*p)
		*p++ = '\0';
	*s = p;
	return start;
}

/* A copy of v without its double quotes. */
static char *unquote(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *v; v++)
		if (*v != '"')
			*o++ = *v;
	*o = '\0';
	return out;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = unquote(v);
	return *dst ? 0 : -ENOMEM;
}

static int add_blacklist(struct rf_cmdline *c, const char *list)
{
	char *copy = unquote(list), *save = NULL;
	int r = copy ? 0 : -ENOMEM;

	for (char *n = copy ? strtok_r(copy, ",", &save) : NULL; n && r >= 0;
	     n = strtok_r(NULL, ",", &save)) {
		char **v = realloc(c->blacklist, (c->nblacklist + 1) * sizeof(*v));

		if (!v || !(v[c->nblacklist] = strdup(n))) {
			if (v)
				c->blacklist = v;
			r = -ENOMEM;
			break;
		}
		(void)rf_kmod_normalize(v[c->nblacklist], v[c->nblacklist]);
		c->blacklist = v;
		c->nblacklist++;
	}
	free(copy);
	return r;
}

static int add_modparam(struct rf_cmdline *c, const char *word, const char *dot)
{
	struct rf_modparam *v = realloc(c->params, (c->nparams + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	c->params = v;
	v[c->nparams].mod = strndup(word, (size_t)(dot - word));
	v[c->nparams].param = strdup(dot + 1);
	if (!v[c->nparams].mod || !v[c->nparams].param) {
		free(v[c->nparams].mod);
		free(v[c->nparams].param);
		return -ENOMEM;
	}
	(void)rf_kmod_normalize(v[c->nparams].mod, v[c->nparams].mod);
	c->nparams++;
	return 0;
}

static enum rf_break parse_break(const char *v)
{
	if (!v || !*v || strcmp(v, "pre-switch-root") == 0 || strcmp(v, "pre-pivot") == 0)
		return RF_BREAK_PRE_SWITCH_ROOT;
	if (strcmp(v, "pre-mount") == 0)
		return RF_BREAK_PRE_MOUNT;
	return RF_BREAK_NONE;
}

static int add_arg(struct rf_cmdline *c, const char *key, size_t klen, const char *value,
		   size_t vlen)
{
	struct rf_cmdarg *v = realloc(c->args, (c->nargs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	c->args = v;
	v[c->nargs].key = strndup(key, klen);
	v[c->nargs].value = strndup(value, vlen);
	if (!v[c->nargs].key || !v[c->nargs].value) {
		free(v[c->nargs].key);
		free(v[c->nargs].value);
		return -ENOMEM;
	}
	c->nargs++;
	return 0;
}

/* The word as written, unquoted, and each of its values. */
static int keep_word(struct rf_cmdline *c, const char *word)
{
	char **v = realloc(c->words, (c->nwords + 1) * sizeof(*v)), *w, *eq;
	const char *p;
	size_t n;
	int r = 0;

	if (!v)
		return -ENOMEM;
	c->words = v;
	w = v[c->nwords] = unquote(word);
	if (!w)
		return -ENOMEM;
	c->nwords++;
	eq = strchr(w, '=');
	for (p = eq ? eq + 1 : NULL; p && r >= 0; p = p[n] ? p + n + 1 : NULL) {
		n = strcspn(p, ",");
		if (n)
			r = add_arg(c, w, (size_t)(eq - w), p, n);
	}
	return r;
}

/* One word: "key" or "key=value". */
static int parse_word(struct rf_cmdline *c, char *word)
{
	char *eq = strchr(word, '='), *v = eq ? eq + 1 : NULL, *dot;
	size_t klen = eq ? (size_t)(eq - word) : strlen(word);

#define KEY(k) (klen == sizeof(k) - 1 && strncmp(word, k, klen) == 0)
	if (KEY("root") && v)
		return set_str(&c->root, v);
	if (KEY("rootfstype") && v)
		return set_str(&c->rootfstype, v);
	if (KEY("rootflags") && v)
		return set_str(&c->rootflags, v);
	if (KEY("init") && v)
		return set_str(&c->init, v);
	if (KEY("ro") && !v)
		c->rw = false;
	else if (KEY("rw") && !v)
		c->rw = true;
	else if (KEY("rootwait"))
		c->rootwait = true;
	else if (KEY("rootdelay") && v)
		c->rootdelay = atoi(v);
	else if (KEY("rd.timeout") && v)
		c->timeout = atoi(v);
	else if (KEY("ramforge.threads") && v)
		c->threads = atoi(v);
	else if (KEY("ramforge.load_timeout") && v)
		c->load_timeout = atoi(v) < 0 ? 0 : atoi(v);
	else if (KEY("rd.debug"))
		c->debug = !v || strcmp(v, "0") != 0;
	else if (KEY("quiet"))
		c->quiet = true;
	else if (KEY("rd.break"))
		c->brk = parse_break(v);
	else if ((KEY("modprobe.blacklist") || KEY("rd.driver.blacklist")) && v)
		return add_blacklist(c, v);
	else if ((dot = memchr(word, '.', klen)) && dot != word && strncmp(word, "rd.", 3) != 0 &&
		 strncmp(word, "ramforge.", 9) != 0 && strncmp(word, "modprobe.", 9) != 0)
		return add_modparam(c, word, dot);
#undef KEY
	return 0;
}

int rf_cmdline_parse(struct rf_cmdline *c, const char *text)
{
	char *copy = strdup(text), *s = copy, *w;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	c->timeout = -1;
	c->load_timeout = -1;
	while (r >= 0 && (w = next_word(&s)) && strcmp(w, "--") != 0) {
		r = keep_word(c, w);
		if (r >= 0)
			r = parse_word(c, w);
	}
	free(copy);
	return r;
}

bool rf_cmdline_blacklisted(const struct rf_cmdline *c, const char *mod)
{
	for (size_t i = 0; i < c->nblacklist; i++)
		if (strcmp(c->blacklist[i], mod) == 0)
			return true;
	return false;
}

char *rf_cmdline_modparams(const struct rf_cmdline *c, const char *mod)
{
	size_t len = 0;
	char *out;

	for (size_t i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].mod, mod) == 0)
			len += strlen(c->params[i].param) + 1;
	if (!len)
		return NULL;
	out = calloc(1, len);
	if (!out)
		return NULL;
	for (size_t i = 0; i < c->nparams; i++) {
		if (strcmp(c->params[i].mod, mod) != 0)
			continue;
		if (*out)
			strcat(out, " ");
		strcat(out, c->params[i].param);
	}
	return out;
}

bool rf_cmdline_has_word(const struct rf_cmdline *c, const char *word)
{
	for (size_t i = 0; i < c->nwords; i++)
		if (strcmp(c->words[i], word) == 0)
			return true;
	return false;
}

size_t rf_cmdline_count(const struct rf_cmdline *c, const char *key)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nargs; i++)
		n += strcmp(c->args[i].key, key) == 0;
	return n;
}

void rf_cmdline_free(struct rf_cmdline *c)
{
	free(c->root);
	free(c->rootfstype);
	free(c->rootflags);
	free(c->init);
	for (size_t i = 0; i < c->nblacklist; i++)
		free(c->blacklist[i]);
	free(c->blacklist);
	for (size_t i = 0; i < c->nparams; i++) {
		free(c->params[i].mod);
		free(c->params[i].param);
	}
	free(c->params);
	for (size_t i = 0; i < c->nwords; i++)
		free(c->words[i]);
	free(c->words);
	for (size_t i = 0; i < c->nargs; i++) {
		free(c->args[i].key);
		free(c->args[i].value);
	}
	free(c->args);
	memset(c, 0, sizeof(*c));
}
