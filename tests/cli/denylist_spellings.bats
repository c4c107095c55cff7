#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `install NAME /bin/false` holds however the line is spelt: extra blanks, tabs, a DOS line
# ending, a trailing comment or arguments. modprobe runs each of these commands instead of
# loading the module (none loads it), so none of them may reach the image. A command that
# does something else (`/bin/false; modprobe ...`) is not a no-op and only warns.

load helpers

setup() {
	fake_sysroot
}

# spelling_denies LINE: with LINE as the only rule, deny_dep and its dependents are left out,
# and the warning names the rule's file:line.
spelling_denies() {
	printf '%s\n' "$1" > "$S/etc/modprobe.d/deny.conf"
	rf_deps deny_top chain_a
	[[ $status -eq 0 ]] || fail "deps failed for $(printf %q "$1"): $err"
	lacks_line "$out" '^deny_(dep|user|top)$' || fail "for the line $(printf %q "$1")"
	has_line "$out" '^chain_a$'
	has_line "$err" 'deny_dep left out: etc/modprobe\.d/deny\.conf:1: install deny_dep' ||
		fail "for the line $(printf %q "$1")"
}

@test "install with two blanks before /bin/false denies" {
	spelling_denies 'install deny_dep  /bin/false'
}

@test "install with a tab before /bin/false denies" {
	spelling_denies $'install deny_dep\t/bin/false'
}

@test "install with a blank and a tab before /bin/false denies" {
	spelling_denies $'install deny_dep \t/bin/false'
}

@test "install with tabs everywhere denies" {
	spelling_denies $'install\tdeny_dep\t\t/bin/true\t'
}

@test "install with a CRLF line ending denies" {
	spelling_denies $'install deny_dep /bin/false\r'
}

@test "install with a trailing blank and CR denies" {
	spelling_denies $'install deny_dep /usr/bin/false \r'
}

@test "install false with a shell comment or arguments denies" {
	spelling_denies 'install deny_dep /bin/false # no deny_dep here'
	spelling_denies 'install deny_dep true --ignored'
	spelling_denies 'install deny_dep /bin/false;'
}

@test "install continued on the next line denies" {
	spelling_denies $'install deny_dep \\\n   /bin/false'
}

@test "a blacklist line with a CRLF ending still blacklists, with a warning" {
	printf 'blacklist bl_dep\r\n' > "$S/etc/modprobe.d/crlf.conf"
	loadconf auto.conf bl_dep chain_c
	rf_deps
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	lacks_line "$out" '^bl_dep$'
	has_line "$out" '^chain_c$'
	has_line "$err" 'etc/modprobe\.d/crlf\.conf:1: .*(CR|DOS)'
}

@test "an install command that does something else is not a no-op" {
	for cmd in '/bin/false; /sbin/modprobe --ignore-install deny_dep' '/bin/true && echo x' \
		'/bin/false || modprobe deny_dep' '/bin/falsehood' 'sh -c false'; do
		printf 'install deny_dep %s\n' "$cmd" > "$S/etc/modprobe.d/deny.conf"
		rf_deps deny_top
		[[ $status -eq 0 ]] || fail "deps failed for $cmd: $err"
		has_line "$out" '^deny_dep$' || fail "for: $cmd"
		has_line "$err" 'install command is not run at boot' || fail "for: $cmd"
	done
}

@test "cloud kernel: 'install xfs  /bin/false' keeps xfs out of a built image" {
	cloud_sysroot
	for line in 'install xfs  /bin/false' $'install xfs\t/bin/false' $'install xfs /bin/false\r'; do
		printf '%s\n' "$line" > "$S/etc/modprobe.d/deny.conf"
		rm -f "$BATS_TEST_TMPDIR/x.img"
		rf build --sysroot "$S" -k "$K" --drivers "xfs nls_cp437" "$BATS_TEST_TMPDIR/x.img"
		[[ $status -eq 0 ]] || fail "build failed for $(printf %q "$line"): $err"
		rf ls --modules "$BATS_TEST_TMPDIR/x.img"
		lacks_line "$out" ' xfs ' || fail "xfs is in the image for $(printf %q "$line")"
		has_line "$out" ' nls_cp437 '
	done
}
