#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Exit status as the man page's EXIT STATUS says: 2 for every usage error (unknown option or
# command, missing or invalid option value, wrong number of arguments), 1 for other errors,
# including a failed write of the output.

load helpers

setup() {
	fake_sysroot
}

@test "usage errors exit 2 with one error line" {
	local img=$BATS_TEST_TMPDIR/x.img
	for args in "build --compress bogus $img" "build --compress= $img" "build -k '' $img" \
		"deps -k ''" "deps --kver ../x chain_a" "deps --bogus" "build --bogus" "deps -k" \
		"deps --sysroot ''" "build --init '' $img" "build $img $img.2" "ls" "ls --modules" \
		"nosuchcommand" "ls a b" "build --lock-timeout abc $img" "build --lock-timeout -1 $img"; do
		eval "rf $args"
		((status == 2)) || fail "ramforge $args: exit $status, not 2: $err"
		[[ $(printf '%s\n' "$err" | wc -l) -eq 1 && $err == "ramforge: error: "* ]] ||
			fail "ramforge $args: stderr: $err"
	done
	[[ ! -e $img ]]
}

@test "errors that are not usage errors exit 1" {
	rf_deps no_such_module
	((status == 1)) || fail "exit $status"
	rfconf 'compress="bogus"'
	rf build --sysroot "$S" --kver "$K" --drivers chain_a "$BATS_TEST_TMPDIR/x.img"
	((status == 1)) || fail "a bad compress= in ramforge.conf: exit $status"
}

@test "a failed write to stdout is an error: deps, ls, --help, --version" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	local e=$BATS_TEST_TMPDIR/stderr rc img=$BATS_TEST_TMPDIR/x.img
	rf build --sysroot "$S" --kver "$K" --drivers chain_a "$img"
	((status == 0)) || fail "$err"
	for args in "deps --sysroot $S --kver $K chain_a" "deps --sysroot $S --kver $K --explain chain_a" \
		"ls $img" "ls --modules $img" "deps --help" "--version"; do
		rc=0
		# shellcheck disable=SC2086 # a list of words
		"$RAMFORGE" $args > /dev/full 2> "$e" || rc=$?
		((rc == 1)) || fail "ramforge $args > /dev/full: exit $rc" "$(cat "$e")"
		[[ $(cat "$e") == "ramforge: error: writing to stdout: No space left on device" ]] ||
			fail "ramforge $args > /dev/full:" "$(cat "$e")"
	done
}
