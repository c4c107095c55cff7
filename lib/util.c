// SPDX-License-Identifier: MIT
/* Small shared helpers; see util.h. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rf_fail(struct rf_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code < 0 ? code : -EINVAL;
}

const char *rf_quote_prefix(struct rf_quoted *q, const char *name)
{
	size_t n = strnlen(name, RF_QUOTE_MAX + 1);

	if (n <= RF_QUOTE_MAX) {
		memcpy(q->s, name, n + 1);
		return q->s;
	}
	n = RF_QUOTE_MAX;
	while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	snprintf(q->s, sizeof(q->s), "%.*s...", (int)n, name);
	return q->s;
}

int rf_stdout_close(struct rf_err *err)
{
	int e = 0;

	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		e = errno ? errno : EIO;
	errno = 0;
	if (fclose(stdout) != 0 && !e)
		e = errno ? errno : EIO;
	return e ? rf_fail(err, -e, "writing to stdout: %s", strerror(e)) : 0;
}

int rf_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
	void **arr = v;
	size_t want;
	void *grown;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : first;
	grown = realloc(*arr, want * elem);
	if (!grown)
		return -ENOMEM;
	*arr = grown;
	*cap = want;
	return 0;
}

int rf_strv_push_owned(struct rf_strv *s, char *str)
{
	if (!str)
		return -ENOMEM;
	if (s->n + 1 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			free(str);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

int rf_strv_push(struct rf_strv *s, const char *str)
{
	return rf_strv_push_owned(s, strdup(str));
}

int rf_strv_pushf(struct rf_strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str;

	va_start(ap, fmt);
	if (vasprintf(&str, fmt, ap) < 0)
		str = NULL;
	va_end(ap);
	return rf_strv_push_owned(s, str);
}

bool rf_strv_contains(const struct rf_strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

void rf_strv_clear(struct rf_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

int rf_strv_split_words(struct rf_strv *s, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t len;
		int r;

		while (*p && isspace((unsigned char)*p))
			p++;
		len = 0;
		while (p[len] && !isspace((unsigned char)p[len]))
			len++;
		if (len == 0)
			break;
		r = rf_strv_push_owned(s, strndup(p, len));
		if (r < 0)
			return r;
		p += len;
	}
	return 0;
}

char *rf_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la > 0 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	return rf_strdupf("%.*s/%s", (int)la, a, b);
}

char *rf_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

bool rf_modname_valid(const char *name)
{
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p == '\\' || !isgraph(*p))
			return false;
	return true;
}

char *rf_path_next(char **rest)
{
	char *p = *rest + strspn(*rest, "/"), *end;

	if (!*p)
		return NULL;
	end = p + strcspn(p, "/");
	*rest = *end ? end + 1 : end;
	*end = '\0';
	return p;
}
