// SPDX-License-Identifier: MIT
/* The input record's text format: see record.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "record.h"

static const char *const kinds[] = {
	[RF_REC_RAMFORGE] = "ramforge", [RF_REC_KERNEL] = "kernel", [RF_REC_TREE] = "tree",
	[RF_REC_OPTION] = "option",     [RF_REC_DIR] = "dir",       [RF_REC_ENTRY] = "entry",
	[RF_REC_FILE] = "file",         [RF_REC_ABSENT] = "absent",
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

const char *rf_record_kind_name(enum rf_record_kind kind)
{
	return (size_t)kind < NKINDS ? kinds[kind] : "?";
}

static bool has_value(enum rf_record_kind k)
{
	return k != RF_REC_ENTRY && k != RF_REC_ABSENT;
}

static bool has_path(enum rf_record_kind k)
{
	return k == RF_REC_DIR || k == RF_REC_ENTRY || k == RF_REC_FILE || k == RF_REC_ABSENT;
}

static bool is_digest_kind(enum rf_record_kind k)
{
	return k == RF_REC_TREE || k == RF_REC_FILE;
}

static bool digest_valid(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == RF_DIGEST_HEX && !s[n];
}

int rf_record_add(struct rf_record *r, enum rf_record_kind kind, const char *value,
		  const char *path)
{
	struct rf_record_line *l;

	if ((size_t)kind >= NKINDS || has_value(kind) != (value != NULL) ||
	    has_path(kind) != (path != NULL) || (path && !path[0]) || (value && !value[0]) ||
	    (is_digest_kind(kind) && !digest_valid(value)))
		return -EINVAL;
	if (rf_grow(&r->v, &r->cap, r->n, sizeof(*r->v), 64) < 0)
		return -ENOMEM;
	l = &r->v[r->n];
	*l = (struct rf_record_line){ .kind = kind };
	l->value = value ? strdup(value) : NULL;
	l->path = path ? strdup(path) : NULL;
	if ((value && !l->value) || (path && !l->path)) {
		free(l->value);
		free(l->path);
		return -ENOMEM;
	}
	r->n++;
	return 0;
}

/* Bytes that stand for themselves in a field. */
static bool plain(unsigned char c)
{
	return c > ' ' && c <= '~' && c != '\\';
}

static size_t escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += plain((unsigned char)*s) ? 1 : 4;
	return n;
}

static char *put_escaped(char *out, const char *s)
{
	for (; *s; s++) {
		if (plain((unsigned char)*s))
			*out++ = *s;
		else
			out += sprintf(out, "\\x%02x", (unsigned char)*s);
	}
	return out;
}

/* One line, without its newline, malloc'd. */
static char *format_line(const struct rf_record_line *l)
{
	size_t n = strlen(kinds[l->kind]) + 3;
	char *s, *p;

	n += l->value ? escaped_len(l->value) : 0;
	n += l->path ? escaped_len(l->path) : 0;
	s = malloc(n);
	if (!s)
		return NULL;
	p = stpcpy(s, kinds[l->kind]);
	if (l->value) {
		*p++ = ' ';
		p = put_escaped(p, l->value);
	}
	if (l->path) {
		*p++ = ' ';
		p = put_escaped(p, l->path);
	}
	*p = '\0';
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rf_record_format(const struct rf_record *r, char **text, size_t *len)
{
	char **lines = calloc(r->n ? r->n : 1, sizeof(*lines));
	size_t total = sizeof(RF_RECORD_MAGIC), n = 0;
	int ret = lines ? 0 : -ENOMEM;
	char *p;

	for (size_t i = 0; ret == 0 && i < r->n; i++) {
		lines[i] = format_line(&r->v[i]);
		ret = lines[i] ? 0 : -ENOMEM;
		total += lines[i] ? strlen(lines[i]) + 1 : 0;
	}
	*text = ret == 0 ? malloc(total + 1) : NULL;
	if (ret == 0 && !*text)
		ret = -ENOMEM;
	if (ret == 0) {
		qsort(lines, r->n, sizeof(*lines), cmp_str);
		p = stpcpy(*text, RF_RECORD_MAGIC "\n");
		for (size_t i = 0; i < r->n; i++) {
			if (i && strcmp(lines[i], lines[i - 1]) == 0)
				continue;
			p = stpcpy(p, lines[i]);
			*p++ = '\n';
		}
		*p = '\0';
		n = (size_t)(p - *text);
		if (len)
			*len = n;
	}
	for (size_t i = 0; lines && i < r->n; i++)
		free(lines[i]);
	free(lines);
	return ret;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo put_escaped on s[0..n) into a malloc'd string; NULL for a bad escape, a NUL or ENOMEM
 * (*oom says which). */
static char *unescape(const char *s, size_t n, bool *oom)
{
	char *out = malloc(n + 1), *p = out;

	*oom = !out;
	for (size_t i = 0; out && i < n; i++) {
		int hi, lo;

		if (plain((unsigned char)s[i])) {
			*p++ = s[i];
			continue;
		}
		if (s[i] != '\\' || n - i < 4 || s[i + 1] != 'x' || (hi = hexval(s[i + 2])) < 0 ||
		    (lo = hexval(s[i + 3])) < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		*p++ = (char)(hi << 4 | lo);
		i += 3;
	}
	if (out)
		*p = '\0';
	return out;
}

static int bad(struct rf_err *err, size_t line, const char *why)
{
	return rf_fail(err, -EBADMSG, "line %zu: %s", line, why);
}

/* One line (s[0..n), no newline) into r. */
static int parse_line(const char *s, size_t n, size_t no, struct rf_record *r, struct rf_err *err)
{
	const char *sp = memchr(s, ' ', n), *f1, *f2 = NULL, *end = s + n;
	char *value = NULL, *path = NULL;
	size_t k;
	bool oom = false;
	int ret;

	if (!sp)
		return bad(err, no, "no field after the kind");
	for (k = 0; k < NKINDS; k++)
		if ((size_t)(sp - s) == strlen(kinds[k]) && memcmp(s, kinds[k], (size_t)(sp - s)) == 0)
			break;
	if (k == NKINDS)
		return bad(err, no, "unknown kind of line");
	f1 = sp + 1;
	if (has_value(k) && has_path(k)) {
		f2 = memchr(f1, ' ', (size_t)(end - f1));
		if (!f2)
			return bad(err, no, "a field is missing");
		f2++;
	} else if (memchr(f1, ' ', (size_t)(end - f1))) {
		return bad(err, no, "a field too many");
	}
	if (f2 && memchr(f2, ' ', (size_t)(end - f2)))
		return bad(err, no, "a field too many");
	if (has_value(k))
		value = unescape(f1, (size_t)((f2 ? f2 - 1 : end) - f1), &oom);
	if (has_path(k) && !oom)
		path = unescape(f2 ? f2 : f1, (size_t)(end - (f2 ? f2 : f1)), &oom);
	if (oom)
		ret = rf_fail(err, -ENOMEM, "line %zu: %s", no, strerror(ENOMEM));
	else if ((has_value(k) && !value) || (has_path(k) && !path))
		ret = bad(err, no, "a bad escape or an empty field");
	else
		ret = rf_record_add(r, (enum rf_record_kind)k, value, path);
	if (ret == -EINVAL)
		ret = bad(err, no, "an empty field or a malformed digest");
	else if (ret == -ENOMEM && !err->msg[0])
		ret = rf_fail(err, -ENOMEM, "line %zu: %s", no, strerror(ENOMEM));
	free(value);
	free(path);
	return ret;
}

int rf_record_parse(const char *text, size_t n, struct rf_record *r, struct rf_err *err)
{
	size_t magic = strlen(RF_RECORD_MAGIC), no = 1;
	const char *p, *end = text + n;
	int ret = 0;

	if (n > RF_RECORD_MAX_BYTES)
		return rf_fail(err, -EFBIG, "larger than %zu bytes", RF_RECORD_MAX_BYTES);
	if (n < magic + 1 || memcmp(text, RF_RECORD_MAGIC "\n", magic + 1) != 0)
		return rf_fail(err, -EBADMSG, "line 1: not '%s' (another format or version)",
			       RF_RECORD_MAGIC);
	for (p = text + magic + 1; ret == 0 && p < end; no++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return bad(err, no + 1, "no newline at the end");
		if (no >= RF_RECORD_MAX_LINES)
			return bad(err, no + 1, "too many lines");
		if (memchr(p, '\0', (size_t)(nl - p)))
			return bad(err, no + 1, "a NUL byte");
		ret = parse_line(p, (size_t)(nl - p), no + 1, r, err);
		p = nl + 1;
	}
	return ret;
}

const struct rf_record_line *rf_record_find(const struct rf_record *r, enum rf_record_kind kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind == kind)
			return &r->v[i];
	return NULL;
}

void rf_record_free(struct rf_record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].value);
		free(r->v[i].path);
	}
	free(r->v);
	*r = (struct rf_record){ 0 };
}

int rf_digest_fd(int fd, char hex[RF_DIGEST_HEX + 1])
{
	unsigned char buf[1 << 16];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : -EIO;

	while (r == 0) {
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : 1;
			break;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)got) != 1)
			r = -EIO;
	}
	if (r == 1)
		r = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen * 2 == RF_DIGEST_HEX ? 0 : -EIO;
	for (unsigned int i = 0; r == 0 && i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
	return r;
}
