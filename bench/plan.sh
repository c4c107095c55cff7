#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark: the init's plan parser (common/plan.c) on a generated plan of 4023 modules with
# 30 dependencies each, today's parser against the one of BASE (a git revision), in the same run.
# Usage: bench/plan.sh [BASE]   (default BASE: HEAD; needs hyperfine)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-HEAD}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Module i depends on the 30 before it (fewer for the first ones): valid load order, 120k names.
awk 'BEGIN {
	print "ramforge-plan 1"; print "kver 6.1.0-bench"
	for (i = 0; i < 4023; i++) {
		deps = ""
		for (j = 1; j <= 30 && i - j >= 0; j++)
			deps = deps (j > 1 ? "," : "") sprintf("mod_%04d", i - j)
		printf "mod mod_%04d kernel/mod_%04d.ko late %s - -\n", i, i, deps == "" ? "-" : deps
	}
}' > "$tmp/plan"

cat > "$tmp/main.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "plan.h"
int main(int argc, char **argv)
{
	static char text[64 << 20];
	struct rf_plan p = { 0 };
	char err[256] = "";
	FILE *f = fopen(argv[argc - 1], "r");
	size_t len = f ? fread(text, 1, sizeof(text), f) : 0;
	int r = rf_plan_parse(&p, text, len, err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "plan: %s\n", err);
		return 1;
	}
	rf_plan_free(&p);
	return 0;
}
EOF
mkdir -p "$tmp/base"
git -C "$top" show "$base:common/plan.c" > "$tmp/base/plan.c"
git -C "$top" show "$base:common/plan.h" > "$tmp/base/plan.h"
cc -O2 -std=gnu11 -I"$tmp/base" -o "$tmp/parse-base" "$tmp/main.c" "$tmp/base/plan.c"
cc -O2 -std=gnu11 -I"$top/common" -o "$tmp/parse-now" "$tmp/main.c" "$top/common/plan.c"
echo "plan: $(grep -c '^mod ' "$tmp/plan") modules, $(wc -c < "$tmp/plan") bytes"
hyperfine -N --warmup 1 --runs 5 \
	-n "plan.c at $base" "$tmp/parse-base $tmp/plan" \
	-n "plan.c now" "$tmp/parse-now $tmp/plan"
