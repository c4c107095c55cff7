#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark: the init's coldplug lookup (init/aliasindex.c) against the linear scan it replaced
# (a literal-prefix strncmp, then fnmatch, over every alias), on the full kernel's
# modules.alias: N modaliases made from its own patterns, median of 5 runs of each, built as the
# init is (musl-gcc -Os when there is one). Both must find the same aliases.
# Usage: bench/coldplug.sh [MODULES.ALIAS [N]]
#   (default: the Debian full kernel's in $RF_CACHE, N=2000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
full=linux-image-6.1.0-57-amd64_6.1.192-3/lib/modules/6.1.0-57-amd64
alias=${1:-${RF_CACHE:-$top/.cache}/kernels/$full/modules.alias}
n=${2:-2000}
[[ -r $alias ]] || { echo "coldplug benchmark: not run (no $alias)"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/main.c" <<'EOF'
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aliasindex.h"
#include "modname.h"

static size_t count;
static void hit(void *ctx, const struct rf_alias *a) { (void)ctx; (void)a; count++; }

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* the init's match() before the index */
static size_t linear(const struct rf_aliasindex *x, const char *key)
{
	size_t found = 0, lit;
	for (size_t i = 0; i < x->n; i++) {
		lit = strcspn(x->v[i].pattern, "*?[");
		found += strncmp(x->v[i].pattern, key, lit) == 0 && fnmatch(x->v[i].pattern, key, 0) == 0;
	}
	return found;
}

int main(int argc, char **argv)
{
	static char text[64 << 20], keys[100000][256];
	struct rf_aliasindex x = { 0 };
	FILE *f = fopen(argv[1], "r");
	size_t len = f ? fread(text, 1, sizeof(text) - 1, f) : 0, n = 0, want = atoi(argv[2]);
	size_t found[2] = { 0 }, every;
	double t[2][5];
	char *line, *next, *save;

	text[len] = '\0';
	for (line = text; line; line = next) {
		char *kw, *pat, *mod;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		kw = strtok_r(line, " \t", &save);
		pat = kw ? strtok_r(NULL, " \t", &save) : NULL;
		mod = pat ? strtok_r(NULL, " \t", &save) : NULL;
		if (mod && strcmp(kw, "alias") == 0 && rf_kmod_normalize(pat, pat) == 0)
			rf_aliasindex_add(&x, pat, 0);
	}
	if (want > 100000)
		want = 100000;
	every = x.n / want ? x.n / want : 1;
	/* a modalias from every so many patterns: wildcards filled with device-like text */
	for (size_t i = 0; i < x.n && n < want; i += every, n++) {
		static const char *const stars[] = { "", "00001AF4", "01", "0000" };
		size_t o = 0;
		for (const char *p = x.v[i].pattern; *p && o < 200; p++) {
			if (*p == '*')
				o += snprintf(keys[n] + o, 256 - o, "%s", stars[(i + o) % 4]);
			else if (*p == '?')
				keys[n][o++] = '0';
			else if (*p == '[' && strchr(p, ']'))
				keys[n][o++] = p[1], p = strchr(p, ']');
			else
				keys[n][o++] = *p;
		}
		keys[n][o] = '\0';
	}
	t[1][0] = now();
	rf_aliasindex_build(&x);
	printf("%zu aliases, %zu modaliases; index built in %.1f ms\n", x.n, n,
	       (now() - t[1][0]) * 1000);
	for (int r = 0; r < 5; r++) {
		double t0 = now();
		found[0] = 0;
		for (size_t i = 0; i < n; i++)
			found[0] += linear(&x, keys[i]);
		t[0][r] = now() - t0;
		t0 = now();
		count = 0;
		for (size_t i = 0; i < n; i++)
			rf_aliasindex_match(&x, keys[i], hit, NULL);
		found[1] = count;
		t[1][r] = now() - t0;
	}
	qsort(t[0], 5, sizeof(double), cmp);
	qsort(t[1], 5, sizeof(double), cmp);
	printf("linear scan: %.1f ms (%.1f us a modalias)\n", t[0][2] * 1000, t[0][2] * 1e6 / n);
	printf("index:       %.1f ms (%.1f us a modalias)\n", t[1][2] * 1000, t[1][2] * 1e6 / n);
	printf("ratio: %.1fx; matches %zu and %zu%s\n", t[0][2] / t[1][2], found[0], found[1],
	       found[0] == found[1] ? "" : " DIFFER");
	return found[0] != found[1];
}
EOF
cc=${CC_BENCH:-cc}
[[ -n ${CC_BENCH:-} ]] || ! command -v musl-gcc > /dev/null || cc=musl-gcc
$cc -std=gnu11 -Os -I"$top/init" -I"$top/common" -o "$tmp/coldplug" "$tmp/main.c" \
	"$top/init/aliasindex.c" "$top/common/modname.c"
echo "coldplug lookup ($cc -Os), $alias:"
"$tmp/coldplug" "$alias" "$n"
