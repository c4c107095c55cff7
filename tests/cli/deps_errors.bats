#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge deps` on bad input: one clear line on stderr starting "ramforge: error:", a
# non-zero exit and nothing on stdout. And a softdep loop: it ends, is reported, and the
# output is still usable.

load helpers

setup() {
	fake_sysroot
}

@test "a module directory that does not exist" {
	rf_deps --kmoddir "$BATS_TEST_TMPDIR/no-such-dir" chain_a
	expect_error 'no-such-dir'
}

@test "a KVER that does not exist under the sysroot" {
	rf deps --sysroot "$S" --kver 9.9.9-none chain_a
	expect_error '9\.9\.9-none'
}

@test "a tree without modules.dep(.bin) says to run depmod -b" {
	t=$S/lib/modules/6.6.6-noindex
	mkdir -p "$t/kernel"
	cp -r "$S/lib/modules/$K/kernel/drivers" "$t/kernel/"
	cp "$S/lib/modules/$K/modules.order" "$t/"
	rf deps --sysroot "$S" --kver 6.6.6-noindex chain_a
	expect_error 'depmod -b'
}

@test "a module tree given as a file, not a directory" {
	rf_deps --kmoddir "$S/lib/modules/$K/modules.dep" chain_a
	expect_error 'modules\.dep'
}

@test "ramforge.conf errors name the file and line" {
	bad=('bogus_key="x"' 'add_drivers="chain_a' "add_drivers=\"\$(echo chain_a)\""
		'add_drivers=`echo chain_a`' 'chain_a' 'add_drivers="${X}"' "omit_drivers='dia_top")
	for line in "${bad[@]}"; do
		rfconf "# a comment" "" "$line" 'add_drivers+=" dia_top "'
		rf_deps chain_a
		expect_error 'etc/ramforge\.conf:3' || fail "for the line: $line"
	done
}

@test "a conf.d file's error names that file and line" {
	rfconf 'add_drivers="chain_a"'
	mkdir -p "$S/etc/ramforge.conf.d"
	printf 'omit_drivers="dia_top"\n' > "$S/etc/ramforge.conf.d/10-good.conf"
	printf '# ok\nforce_drivers+=" x" y\n' > "$S/etc/ramforge.conf.d/20-bad.conf"
	rf_deps chain_a
	expect_error 'etc/ramforge\.conf\.d/20-bad\.conf:2'
}

@test "an unreadable ramforge.conf (a directory) is an error naming it" {
	mkdir -p "$S/etc/ramforge.conf"
	rf_deps chain_a
	expect_error 'etc/ramforge\.conf'
}

@test "an unknown module is an error naming it" {
	rf_deps chain_a no_such_module
	expect_error 'no_such_module'
	rf_deps -a "chain_a fs-nosuchfs"
	expect_error 'fs-nosuchfs'
	rfconf 'add_drivers="chain_a still-missing"'
	rf_deps
	expect_error 'still-missing'
}

@test "a name with '/' or other path characters is refused, naming it" {
	for n in ../chain_a kernel/drivers/fake/chain_a.ko /etc/passwd 'chain\a' .. . \
		"chain a" $'chain_a\tx' $'chain_a\nx' ""; do
		rf_deps "$n"
		expect_error "$(re_escape "${n%%[[:space:]]*}")" || fail "for the name: '$n'"
	done
}

@test "a path character in -a is refused too" {
	rf_deps -a "chain_a ../../etc/x"
	expect_error '\.\./\.\./etc/x'
}

@test "a softdep pre loop ends, is reported as a warning, and each module is listed once" {
	exp=$(oracle loop_a)
	rf_deps loop_a
	[[ $status -eq 0 ]] || fail "exit $status" "$err"
	[[ $(printf '%s\n' "$out" | sort) == $(printf '%s\n' "$exp" | sort) ]] ||
		fail "expected (any order):" "$exp" "got:" "$out"
	has_line "$err" '^ramforge: warning: .*loop.*loop_[ab]'
}

@test "a softdep loop through modprobe.d ends too" {
	modconf loop.conf "softdep chain_a pre: dia_top" "softdep dia_top pre: chain-a"
	exp=$(oracle chain_a)
	rf_deps chain_a
	[[ $status -eq 0 ]] || fail "exit $status" "$err"
	[[ $(printf '%s\n' "$out" | sort) == $(printf '%s\n' "$exp" | sort) ]] ||
		fail "expected (any order):" "$exp" "got:" "$out"
	has_line "$err" 'loop'
}

# A name of N bytes: "long" and then x's.
long_name() {
	printf 'long%*s' "$(($1 - 4))" '' | tr ' ' x
}

@test "an error about a very long name still names where it came from (file:line)" {
	n=$(long_name 3000)
	rfconf '# first' "add_drivers=\"$n\""
	rf_deps chain_a
	expect_error "'long(x){60}\.\.\.'.*etc/ramforge\.conf:2" || fail "message: ${err:0:300}"
	[[ ${#err} -lt 400 ]] || fail "the name is quoted whole (${#err} bytes)"
	rfconf "add_drivers=\"chain/$n\""
	rf_deps chain_a
	expect_error "invalid module name 'chain/long(x){54}\.\.\.'.*etc/ramforge\.conf:1"
	rm "$S/etc/ramforge.conf"
	rf_deps "$(long_name 600)"
	expect_error "\.\.\.' \(requested\)"
	rf_deps -a "$(long_name 1500)"
	expect_error "\.\.\.' \(requested\)"
}

@test "a very long name in modules-load.d: the error names its file:line" {
	loadconf long.conf chain_a "$(long_name 2000)"
	rf_deps
	expect_error "'long(x){60}\.\.\.'.*etc/modules-load\.d/long\.conf:2"
}
