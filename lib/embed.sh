#!/bin/sh
# SPDX-License-Identifier: MIT
# Turn stdin into a C string constant named $1, so shipped text files are compiled in.
name="$1"
printf '/* generated from a shipped text file; do not edit */\n'
printf 'const char %s[] =\n' "$name"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/'
printf ';\n'
