// SPDX-License-Identifier: MIT
/* Reading one value of a kernel config file. See kconfig.h. */
#include "kconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rf_kconfig_get(const char *file, const char *key, char **value, struct rf_err *err)
{
	FILE *f = fopen(file, "re");
	size_t klen = strlen(key), cap = 0;
	char *line = NULL;
	ssize_t n;
	int r = 0;

	*value = NULL;
	if (!f)
		return rf_fail(err, -errno, "%s: %s", file, strerror(errno));
	while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
		char *v = line + klen + 1;

		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		v[strcspn(v, "\n")] = '\0';
		if (v[0] == '"' && strlen(v) >= 2 && v[strlen(v) - 1] == '"') {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		*value = strdup(v);
		r = *value ? 1 : rf_fail(err, -ENOMEM, "%s: %s", file, strerror(ENOMEM));
	}
	if (r == 0 && ferror(f))
		r = rf_fail(err, -EIO, "%s: %s", file, strerror(errno ? errno : EIO));
	free(line);
	fclose(f);
	return r;
}

bool rf_kconfig_has(const char *config, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = config; p && (p = strstr(p, line)); p += n)
		if ((p == config || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}
