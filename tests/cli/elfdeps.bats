#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The ELF dependency resolver (lib/elfdeps.c, through the test tool tests/tools/rf-elfdeps)
# against ldd, the oracle: for every ELF program of the host's /usr/bin and /usr/sbin, with the
# host's / as the sysroot, the libraries it finds are the ones ldd lists (compared by real
# path; linux-vdso is left out, a static program needs none), and a library ldd does not find
# is an error naming it.

load helpers

# Both views are computed once for the file (ldd takes seconds: it runs a loader per program).
setup_file() {
	TOOL=$(dirname "$RAMFORGE")/tools/rf-elfdeps
	[[ -x $TOOL ]] || fail "$TOOL is not built (make check builds it)"
	command -v ldd > /dev/null || return 0
	D=$BATS_FILE_TMPDIR
	list_programs
	make_programs >> "$D/progs"
	run_ldd
	parse_ldd
	local start=$(date +%s%N)
	run_tool
	echo "$((($(date +%s%N) - start) / 1000000))" > "$D/ms"
}

setup() {
	command -v ldd > /dev/null || skip "no ldd here"
	# ld.so loads these into every program (ldd lists them); an image works without them.
	[[ ! -s /etc/ld.so.preload ]] || skip "this host has an /etc/ld.so.preload"
	D=$BATS_FILE_TMPDIR
}

# The lines of $D/NAME for programs ldd found every library of.
complete_only() {
	grep -vFf <(cut -f1 "$D/missing" | sort -u | sed 's/$/\t/') "$D/$1" || true
}

# The ELF files of /usr/bin and /usr/sbin, by real path, once each: $D/progs.
list_programs() {
	local f magic
	realpath -e /usr/bin/* /usr/sbin/* 2> /dev/null | sort -u |
		while IFS= read -r f; do
			[[ -f $f ]] || continue
			IFS= read -r -n4 magic < "$f" 2> /dev/null || true
			if [[ $magic == $'\x7fELF' ]]; then printf '%s\n' "$f"; fi
		done > "$D/progs"
	[[ -s $D/progs ]]
}

# A few more, built here, where the search rules differ (the host's loader runs them in ldd):
# RPATH serves the needs of dependencies, RUNPATH does not; a missing library.
make_programs() {
	local x=$D/x
	mkdir -p "$x/lib" "$x/lib2" "$x/stub"
	cc_lib() { echo "int $1;" | gcc -shared -fPIC -Wl,--no-as-needed -Wl,-soname,"$1.so.1" -o "$2/$1.so.1" -x c - -x none "${@:3}"; }
	cc_prog() { echo 'int main(void) { return 0; }' | gcc -Wl,--no-as-needed -o "$x/$1" -x c - -x none "${@:2}"; }
	cc_lib librfb "$x/lib"
	cc_lib librfa "$x/lib" "$x/lib/librfb.so.1"
	cc_prog rpath -Wl,--disable-new-dtags '-Wl,-rpath,$ORIGIN/lib' "$x/lib/librfa.so.1"
	cc_lib librfd "$x/lib2"
	cc_lib librfc "$x/lib2" "$x/lib2/librfd.so.1"
	cc_prog runpath -Wl,--enable-new-dtags '-Wl,-rpath,$ORIGIN/lib2' "$x/lib2/librfc.so.1"
	cc_lib librfmissing "$x/stub"
	cc_prog missing "$x/stub/librfmissing.so.1"
	rm "$x/stub/librfmissing.so.1"
	printf '%s\n' "$x/rpath" "$x/runpath" "$x/missing"
}

# ldd on each program (a few at a time): "== PROGRAM" then ldd's output, in $D/ldd.
run_ldd() {
	local jobs=$(($(nproc) * 2)) c
	split -n "l/$jobs" "$D/progs" "$D/chunk."
	for c in "$D"/chunk.*; do
		while IFS= read -r f; do
			printf '== %s\n' "$f"
			env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd "$f" 2>&1 || true # static programs: status 1
		done < "$c" > "$c.out" &
	done
	wait
	cat "$D"/chunk.*.out > "$D/ldd"
}

# ldd's view: "PROGRAM<TAB>REALPATH" lines in $D/want, "PROGRAM<TAB>SONAME" for each library
# it did not find in $D/missing, the static programs in $D/static.
parse_ldd() {
	awk -v dir="$D" '
		/^== / { prog = substr($0, 4); next }
		/statically linked|not a dynamic executable/ { print prog > (dir "/static"); next }
		/=> not found/ { print prog "\t" $1 > (dir "/missing"); next }
		/=> \// { sub(/.*=> /, ""); sub(/ \(0x[0-9a-f]*\)$/, ""); print prog "\t" $0; next }
		$1 ~ /^\// { print prog "\t" $1 }
	' "$D/ldd" > "$D/raw"
	touch "$D/static" "$D/missing"
	cut -f2 "$D/raw" | sort -u > "$D/paths"
	xargs -d '\n' realpath -e -- < "$D/paths" | paste "$D/paths" - > "$D/real"
	awk -F'\t' 'NR == FNR { real[$1] = $2; next } { print $1 "\t" real[$2] }' "$D/real" "$D/raw" |
		sort -u > "$D/want"
}

# The resolver's view: the regular files it lists for each program, less the program itself
# and the loader's cache, in $D/got; its errors in $D/errors.
run_tool() {
	xargs -d '\n' "$TOOL" --no-dlopen --each < "$D/progs" > "$D/tool"
	awk -F'\t' -v dir="$D" '
		$2 ~ /^error: / { print $1 "\t" substr($2, 8) > (dir "/errors"); next }
		$2 !~ / -> / && $2 != $1 && $2 != "/etc/ld.so.cache" { print $1 "\t" $2 }
	' "$D/tool" | sort -u > "$D/got"
	touch "$D/errors"
}

@test "every ELF program of /usr/bin and /usr/sbin: the libraries ldd finds, by real path" {
	echo "# $(wc -l < "$D/progs") programs ($(sort -u "$D/static" | wc -l) static," \
		"$(cut -f1 "$D/missing" | sort -u | wc -l) with libraries ldd does not find):" \
		"$(wc -l < "$D/want") libraries by ldd; the resolver took $(cat "$D/ms") ms" >&3
	complete_only errors > "$D/errors.ok"
	[[ ! -s $D/errors.ok ]] || fail "errors where ldd finds everything:" "$(head -n 20 "$D/errors.ok")"
	diff -u <(complete_only want) <(complete_only got) > "$D/diff" ||
		fail "ldd (-) and the resolver (+) disagree:" "$(head -n 40 "$D/diff")"
}

@test "the programs built here: RPATH serves dependencies, RUNPATH does not, as ldd says" {
	grep -qxF "$D/x/rpath"$'\t'"$D/x/lib/librfb.so.1" "$D/want"
	grep -qxF "$D/x/rpath"$'\t'"$D/x/lib/librfb.so.1" "$D/got"
	grep -qxF "$D/x/runpath"$'\t'librfd.so.1 "$D/missing"
	grep -qxF "$D/x/runpath"$'\t'"$D/x/runpath: librfd.so.1 (needed by $D/x/lib2/librfc.so.1): not found" "$D/errors"
	grep -qxF "$D/x/missing"$'\t'"$D/x/missing: librfmissing.so.1: not found" "$D/errors"
}

@test "a library ldd does not find is an error naming it" {
	[[ -s $D/missing ]]
	awk -F'\t' '
		NR == FNR { miss[$1] = miss[$1] " " $2 " "; next }
		{ err[$1] = $2 }
		END {
			for (p in miss) {
				m = err[p]
				name = substr(m, length(p) + 3)
				sub(/( \(|: ).*/, "", name)
				if (m == "" || index(m, p ": ") != 1 || m !~ /: not found$/ || !index(miss[p], " " name " "))
					print p ": \"" m "\", ldd misses" miss[p]
			}
		}' "$D/missing" "$D/errors" > "$D/bad"
	[[ ! -s $D/bad ]] || fail "$(cat "$D/bad")"
}

@test "a static program is only itself" {
	[[ -s $D/static ]] || skip "no static program here"
	while IFS= read -r prog; do
		[[ $(grep -cF "$prog"$'\t' "$D/tool") == 1 ]] || fail "$prog: $(grep -F "$prog"$'\t' "$D/tool")"
	done < <(sort -u "$D/static")
}
