#!/bin/sh
# SPDX-License-Identifier: MIT
# Compile the bundles in: modules.d/NN-NAME/bundle.conf files (the arguments, in order) become
# the table rf_shipped_bundles of bundle.c.
printf '/* generated from modules.d/ */\n#include <stddef.h>\n'
printf 'struct rf_shipped_bundle {\n\tconst char *dir, *text;\n};\n'
printf 'const struct rf_shipped_bundle rf_shipped_bundles[] = {\n'
for f in "$@"; do
	dir=$(basename "$(dirname "$f")")
	printf '\t{ "%s",\n' "$dir"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t  "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
printf '\t{ NULL, NULL },\n};\n'
