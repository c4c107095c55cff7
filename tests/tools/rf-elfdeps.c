// SPDX-License-Identifier: MIT
/*
 * Test tool: the ELF dependency closure (lib/elfdeps.h) from the shell.
 *   rf-elfdeps [--sysroot DIR] [--no-dlopen] [--soname NAME]... FILE...
 *     every file and symlink to copy for FILEs and NAMEs, one a line: "PATH" or "PATH -> TARGET";
 *     an error ends it: "rf-elfdeps: error: MESSAGE", exit status 1.
 *   rf-elfdeps [--sysroot DIR] [--no-dlopen] --each FILE...
 *     each FILE on its own, its lines prefixed by "FILE<TAB>"; an error is "FILE<TAB>error:
 *     MESSAGE" and the next FILE follows (one resolver for all: what it read stays cached).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "elfdeps.h"

static void print(struct rf_elfdeps *d, const char *prefix)
{
	size_t n;
	const struct rf_elfdeps_entry *e = rf_elfdeps_entries(d, &n);

	for (size_t i = 0; i < n; i++) {
		if (e[i].kind == RF_ELFDEPS_SYMLINK)
			printf("%s%s%s -> %s\n", prefix ? prefix : "", prefix ? "\t" : "", e[i].path, e[i].target);
		else
			printf("%s%s%s\n", prefix ? prefix : "", prefix ? "\t" : "", e[i].path);
	}
}

static int each(struct rf_elfdeps *d, char **files, int n)
{
	for (int i = 0; i < n; i++) {
		struct rf_err err = { "" };

		rf_elfdeps_clear(d);
		if (rf_elfdeps_add(d, files[i], &err) < 0)
			printf("%s\terror: %s\n", files[i], err.msg);
		else
			print(d, files[i]);
	}
	return 0;
}

static int all(struct rf_elfdeps *d, char **files, int n, char **sonames, int nsonames)
{
	struct rf_err err = { "" };

	for (int i = 0; i < n; i++)
		if (rf_elfdeps_add(d, files[i], &err) < 0)
			goto fail;
	for (int i = 0; i < nsonames; i++)
		if (rf_elfdeps_add_soname(d, sonames[i], &err) < 0)
			goto fail;
	print(d, NULL);
	return 0;
fail:
	fprintf(stderr, "rf-elfdeps: error: %s\n", err.msg);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysroot", required_argument, NULL, 'r' }, { "no-dlopen", no_argument, NULL, 'n' },
		{ "soname", required_argument, NULL, 's' },  { "each", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sysroot = "/";
	char **sonames = calloc((size_t)argc, sizeof(*sonames));
	int nsonames = 0, c, status;
	unsigned flags = 0;
	bool per_file = false;
	struct rf_elfdeps *d;
	struct rf_err err = { "" };

	while (sonames && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			sysroot = optarg;
		else if (c == 'n')
			flags |= RF_ELFDEPS_NO_DLOPEN;
		else if (c == 's')
			sonames[nsonames++] = optarg;
		else if (c == 'e')
			per_file = true;
		else
			return 2;
	}
	if (!sonames || (optind == argc && !nsonames) || (per_file && nsonames)) {
		fprintf(stderr, "usage: rf-elfdeps [--sysroot DIR] [--no-dlopen] [--soname NAME]... "
				"[--each] FILE...\n");
		return 2;
	}
	if (rf_elfdeps_new(&d, sysroot, flags, &err) < 0) {
		fprintf(stderr, "rf-elfdeps: error: %s\n", err.msg);
		return 1;
	}
	status = per_file ? each(d, argv + optind, argc - optind)
			  : all(d, argv + optind, argc - optind, sonames, nsonames);
	rf_elfdeps_free(d);
	free(sonames);
	return status;
}
