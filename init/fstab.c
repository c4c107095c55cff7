// SPDX-License-Identifier: MIT
/* Parsing the root's fstab for the entries the initramfs mounts; see fstab.h. */
#include "fstab.h"

#include <stdio.h>
#include <string.h>

/* The next blank-separated field of *p, unescaped (\NNN octal) into dst: its length, or -1
 * when none is left or it does not fit. */
static int field(const char **p, char *dst, size_t size)
{
	const char *s = *p + strspn(*p, " \t");
	size_t n = 0;

	if (!*s || *s == '\n')
		return -1;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
		char c = *s++;

		if (c == '\\' && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' &&
		    s[2] >= '0' && s[2] <= '7') {
			c = (char)((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
			s += 3;
		}
		if (n + 1 >= size)
			return -2;
		dst[n++] = c;
	}
	dst[n] = '\0';
	*p = s;
	return (int)n;
}

static bool dropped(const char *o)
{
	static const char *const words[] = { "defaults", "auto", "noauto", "nofail", "user",
					     "users", "nouser", "owner", "group", "_netdev",
					     "exec", "suid", "dev", "async", "ro", "rw" };

	if (strncmp(o, "x-", 2) == 0 || strncmp(o, "comment=", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(o, words[i]) == 0)
			return true;
	return false;
}

/* The options into e (rw, nofail, the kept ones); *initrd for x-initrd.mount, *noauto. */
static bool options(struct rf_fstab_entry *e, const char *opts, bool *initrd, bool *noauto)
{
	char copy[sizeof(e->opts)], *save = NULL;
	size_t len = 0;

	snprintf(copy, sizeof(copy), "%s", opts);
	e->rw = true;
	e->opts[0] = '\0';
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
			e->rw = o[1] == 'w';
		*initrd |= strcmp(o, "x-initrd.mount") == 0;
		*noauto |= strcmp(o, "noauto") == 0;
		e->nofail |= strcmp(o, "nofail") == 0;
		if (dropped(o))
			continue;
		if (len + strlen(o) + 2 > sizeof(e->opts))
			return false;
		len += (size_t)snprintf(e->opts + len, sizeof(e->opts) - len, "%s%s", len ? "," : "", o);
	}
	return true;
}

/* An absolute mount point without "." or ".." components; trailing slashes removed. */
static bool clean_mountpoint(char *file)
{
	size_t n = strlen(file);

	if (file[0] != '/')
		return false;
	while (n > 1 && file[n - 1] == '/')
		file[--n] = '\0';
	for (const char *c = file; *c; c++) {
		size_t k;

		if (*c != '/')
			continue;
		k = strcspn(c + 1, "/");
		if ((k == 1 && c[1] == '.') || (k == 2 && c[1] == '.' && c[2] == '.'))
			return false;
	}
	return true;
}

/* One line: 1 an entry for the initramfs (in e), 0 another, -1 one meant for it but unusable. */
static int parse_line(const char *line, unsigned no, struct rf_fstab_entry *e)
{
	char opts[sizeof(e->opts)] = "defaults", type[sizeof(e->type)] = "auto";
	const char *p = line;
	bool initrd = false, noauto = false, usr;
	int n;

	memset(e, 0, sizeof(*e));
	e->line = no;
	p += strspn(p, " \t");
	if (!*p || *p == '#' || *p == '\n')
		return 0;
	if (field(&p, e->spec, sizeof(e->spec)) < 0)
		return 0;
	if ((n = field(&p, e->file, sizeof(e->file))) < 0)
		return n == -2 ? -1 : 0;
	if ((n = field(&p, type, sizeof(type))) == -2 || (n >= 0 && field(&p, opts, sizeof(opts)) == -2))
		return -1;
	if (!options(e, opts, &initrd, &noauto))
		return -1;
	usr = strcmp(e->file, "/usr") == 0 || strcmp(e->file, "/usr/") == 0;
	if ((!usr && !initrd) || noauto || strcmp(type, "swap") == 0)
		return 0;
	if (!clean_mountpoint(e->file))
		return -1;
	if (strcmp(e->file, "/") == 0)
		return 0;
	snprintf(e->type, sizeof(e->type), "%s", strcmp(type, "auto") == 0 ? "" : type);
	return 1;
}

size_t rf_fstab_parse(const char *text, struct rf_fstab_entry *out, size_t max, size_t *bad)
{
	struct rf_fstab_entry e;
	char line[2048];
	size_t count = 0;
	unsigned no = 0;

	if (bad)
		*bad = 0;
	for (const char *p = text; p && *p;) {
		size_t len = strcspn(p, "\n");
		int r;

		no++;
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
		r = len < sizeof(line) ? parse_line(line, no, &e) : -1;
		if (r < 0 && bad)
			(*bad)++;
		if (r > 0 && count < max)
			out[count] = e;
		count += r > 0;
		p += len;
		p += *p == '\n';
	}
	return count;
}

bool rf_fstab_is_block(const char *spec)
{
	static const char *const tags[] = { "UUID=", "LABEL=", "PARTUUID=", "PARTLABEL=" };

	if (strncmp(spec, "/dev/", 5) == 0)
		return true;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strncmp(spec, tags[i], strlen(tags[i])) == 0)
			return true;
	return false;
}
