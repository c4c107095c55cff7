// SPDX-License-Identifier: MIT
/* The declarative dracut.conf syntax, line by line, never evaluated; see confsyntax.h. */
#include "confsyntax.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The message for a '$' or '`' at p: say what the shell would have done with it. */
static const char *eval_why(const char *p)
{
	if (*p == '`')
		return "command substitution `...` is not supported: nothing in ramforge's configuration is evaluated";
	if (p[1] == '(')
		return "command substitution $(...) is not supported: nothing in ramforge's configuration is evaluated";
	if (p[1] == '{')
		return "variable expansion ${...} is not supported: nothing in ramforge's configuration is evaluated";
	if (isalpha((unsigned char)p[1]) || p[1] == '_')
		return "variables ($NAME) are not supported: nothing in ramforge's configuration is evaluated";
	return "'$' is not allowed: nothing in ramforge's configuration is evaluated";
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
static int parse_quoted(const char **pp, const char *next_line, struct rf_conf_assign *a, const char *where,
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
static int parse_word(const char **pp, struct rf_conf_assign *a, const char *where, int line, struct rf_err *err)
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
static int parse_line(char *s, const char *next_line, struct rf_conf_assign *a, const char *where, int line,
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

bool rf_conf_key_is(const struct rf_conf_assign *a, const char *key)
{
	return strlen(key) == a->keylen && strncmp(a->key, key, a->keylen) == 0;
}

const char *rf_conf_next_word(const char **p, size_t *len)
{
	const char *w = *p;

	while (isspace((unsigned char)*w))
		w++;
	*len = 0;
	while (w[*len] && !isspace((unsigned char)w[*len]))
		(*len)++;
	*p = w + *len;
	return *len ? w : NULL;
}

int rf_conf_syntax_parse(const char *text, const char *where, rf_conf_apply_fn fn, void *data,
			 struct rf_err *err)
{
	const char *p = text;
	int line = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *s = strndup(p, len);
		struct rf_conf_assign a;
		int r;

		line++;
		if (!s)
			return rf_fail(err, -ENOMEM, "out of memory");
		r = parse_line(s, nl ? nl + 1 : NULL, &a, where, line, err);
		if (r == 0 && a.value)
			r = fn(data, &a, where, line, err);
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
