// SPDX-License-Identifier: MIT
/* /etc/crypttab, for the crypt bundle; see crypttab.h. */
#include "crypttab.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input.h"

static void entry_free(struct rf_crypttab_entry *e)
{
	free(e->name);
	free(e->uuid);
	free(e->keyfile);
	free(e->origin);
}

/* UUID=U or /dev/disk/by-uuid/U: U, else NULL. */
static const char *source_uuid(const char *src)
{
	if (strncmp(src, "UUID=", 5) == 0)
		return src + 5;
	if (strncmp(src, "/dev/disk/by-uuid/", 18) == 0)
		return src + 18;
	return NULL;
}

static bool has_option(const char *opts, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, want, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static bool safe_word(const char *w)
{
	for (; *w; w++)
		if (!isgraph((unsigned char)*w) || *w == ',' || *w == '%')
			return false;
	return true;
}

static int parse_line(struct rf_crypttab *t, char *line, const char *display, int lineno,
		      struct rf_err *err)
{
	char *f[4] = { 0 }, *save = NULL;
	struct rf_crypttab_entry e = { 0 };
	const char *uuid;
	size_t n = 0;

	for (char *w = strtok_r(line, " \t", &save); w && n < 4; w = strtok_r(NULL, " \t", &save))
		f[n++] = w;
	if (n == 0 || f[0][0] == '#')
		return 0;
	if (n < 2)
		return rf_fail(err, -EINVAL, "%s:%d: expected NAME SOURCE [KEYFILE [OPTIONS]]", display, lineno);
	if (!safe_word(f[0]) || strchr(f[0], '/'))
		return rf_fail(err, -EINVAL, "%s:%d: invalid volume name \"%.40s\"", display, lineno, f[0]);
	uuid = source_uuid(f[1]);
	if (uuid && !safe_word(uuid))
		return rf_fail(err, -EINVAL, "%s:%d: invalid UUID \"%.40s\"", display, lineno, uuid);
	if (f[2] && strcmp(f[2], "none") != 0 && strcmp(f[2], "-") != 0 &&
	    (f[2][0] != '/' || !safe_word(f[2]) || strstr(f[2], "/../")))
		return rf_fail(err, -EINVAL, "%s:%d: the key file must be an absolute path, \"none\" or \"-\", not \"%.40s\"",
			       display, lineno, f[2]);
	e.name = strdup(f[0]);
	e.uuid = uuid ? strdup(uuid) : NULL;
	e.keyfile = f[2] && f[2][0] == '/' ? strdup(f[2]) : NULL;
	e.initramfs = has_option(f[3], "initramfs");
	e.discard = has_option(f[3], "discard");
	e.origin = rf_strdupf("%s:%d", display, lineno);
	if (!e.name || (uuid && !e.uuid) || (f[2] && f[2][0] == '/' && !e.keyfile) || !e.origin ||
	    rf_grow(&t->v, &t->cap, t->n, sizeof(*t->v), 4) < 0) {
		entry_free(&e);
		return rf_fail(err, -ENOMEM, "out of memory");
	}
	t->v[t->n++] = e;
	return 0;
}

int rf_crypttab_parse(struct rf_crypttab *t, const char *text, const char *display,
		      struct rf_err *err)
{
	char *copy = strdup(text);
	int lineno = 0, r = copy ? 0 : rf_fail(err, -ENOMEM, "out of memory");
	char *p = copy;

	while (r >= 0 && p && *p) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		lineno++;
		r = parse_line(t, p, display, lineno, err);
		p = nl ? nl + 1 : NULL;
	}
	free(copy);
	return r;
}

int rf_crypttab_read(struct rf_crypttab *t, const char *sysroot, struct rf_err *err)
{
	char *text = NULL;
	int r = rf_input_read(sysroot, "etc/crypttab", "etc/crypttab", RF_INPUT_CONF_MAX,
			      RF_INPUT_OPTIONAL, &text, NULL, err);

	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = rf_crypttab_parse(t, text, "etc/crypttab", err);
	free(text);
	return r;
}

/* cryptsetup names a LUKS mapping's dm uuid CRYPT-LUKS<V>-<uuid, no dashes>-<name>. */
bool rf_crypttab_in_stack(const struct rf_crypttab_entry *e, const struct rf_strv *stack)
{
	char hex[80];
	size_t n = 0;

	if (!e->uuid || !stack)
		return false;
	for (const char *u = e->uuid; *u && n < sizeof(hex) - 1; u++)
		if (*u != '-')
			hex[n++] = *u;
	hex[n] = '\0';
	for (size_t i = 0; i < stack->n; i++) {
		const char *s = stack->v[i];

		if (strncmp(s, "dm-uuid:CRYPT-LUKS", 18) != 0 || !(s = strchr(s + 18, '-')))
			continue;
		if (strncasecmp(s + 1, hex, n) == 0 && s[1 + n] == '-')
			return true;
	}
	return false;
}

void rf_crypttab_free(struct rf_crypttab *t)
{
	for (size_t i = 0; i < t->n; i++)
		entry_free(&t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
