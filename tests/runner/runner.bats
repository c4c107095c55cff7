#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# tests/run itself: a test program that crashes, dies by a signal, or prints fewer results than
# its plan, and a bats file that fails outside any test or whose bats dies, must each count as a
# failure in `N passed, M failed` and make the run exit non-zero; skips are counted and named.

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# unit NAME BODY: a fake unit test program (a shell script) in the file's unit directory.
unit() {
	printf '#!/bin/sh\n%s\n' "$2" > "$BATS_FILE_TMPDIR/all/unit/$1"
	chmod +x "$BATS_FILE_TMPDIR/all/unit/$1"
}

setup_file() {
	local d=$BATS_FILE_TMPDIR/all
	mkdir -p "$d/unit" "$d/bats"
	# Two results of a plan of three, then a heap overflow that ASan reports (exit status 1).
	cat > "$d/overflow.c" <<-'EOF'
		#include <stdio.h>
		#include <stdlib.h>
		int main(int argc, char **argv)
		{
			char *p = malloc(4);
			printf("1..3\nok 1 - one\nok 2 - two\n");
			fflush(stdout);
			p[argc + 4] = 'x';
			printf("ok 3 - %s\n", p);
			return 0;
		}
	EOF
	cc -fsanitize=address -g -o "$d/unit/test_overflow" "$d/overflow.c"
	unit test_abort 'printf "1..3\nok 1 - one\nok 2 - two\n"; kill -ABRT $$'
	unit test_short 'printf "ok 1 - one\nok 2 - two\n1..3\n"'
	unit test_noplan 'printf "ok 1 - one\n"'
	unit test_exit 'printf "ok 1 - one\n1..1\n"; exit 3'
	unit test_own 'printf "ok 1 - one\nnot ok 2 - two\n1..2\n"; exit 1'
	unit test_good 'printf "ok 1 - one\nok 2 - two # SKIP no frobnicator here\n1..2\n"'
	printf 'setup_file() { false; }\n@test "a" { true; }\n@test "b" { true; }\n' \
		> "$d/bats/setup_file.bats"
	printf '@test "a" {\n\tif true; then\n}\n' > "$d/bats/syntax.bats"
	# bats itself dies in the second test: every printed result is `ok`, the exit status is not 0.
	printf '@test "a" { true; }\n@test "b" { kill -KILL $PPID; }\n@test "c" { true; }\n' \
		> "$d/bats/killed.bats"
	printf '@test "a" { true; }\n@test "b" { skip "no widget"; }\n' > "$d/bats/good.bats"
}

# run_runner VAR=VALUE...: tests/run with these variables, in a build directory of its own.
# The bats it starts must not inherit the state of the bats running this file (its variables,
# its libexec directory first in PATH).
run_runner() {
	cd "$RF_TOP" || return 1
	run env -i PATH="${PATH#"$BATS_LIBEXEC:"}" BUILD="$BATS_TEST_TMPDIR/build" RF_FIXTURES=0 \
		"$@" sh tests/run
	last=${lines[${#lines[@]} - 1]}
}

# runner SUITE NAME...: tests/run on a directory holding only the named programs or bats files,
# and the good one.
runner() {
	local suite=$1 d=$BATS_TEST_TMPDIR/in n
	shift
	mkdir -p "$d"
	for n in "$@"; do
		cp "$BATS_FILE_TMPDIR/all/$suite/$n" "$d/"
	done
	if [[ $suite == unit ]]; then
		cp "$BATS_FILE_TMPDIR/all/unit/test_good" "$d/"
		run_runner TESTS=unit RF_UNIT_DIR="$d"
	else
		cp "$BATS_FILE_TMPDIR/all/bats/good.bats" "$d/"
		run_runner TESTS=cli RF_CLI_DIR="$d"
	fi
}

# expect PASSED FAILED LINE...: the summary, a non-zero exit, and each LINE in the output.
expect() {
	local want="$1 passed, $2 failed, 1 skipped" l
	shift 2
	[[ $last == "$want" ]] || fail "last line: '$last', want '$want'" "$output"
	((status != 0)) || fail "exit status 0 for a failed run" "$output"
	for l in "$@"; do
		grep -qxF -- "$l" <<< "$output" || fail "no line '$l' in:" "$output"
	done
}

@test "runner: a program that ASan stops after two of three results is a failure" {
	runner unit test_overflow
	expect 3 1 "not ok - unit/test_overflow: exit status 1 with no failing test, plan 1..3, 2 results (stderr: $BATS_TEST_TMPDIR/build/test-log/unit/test_overflow.err)"
	grep -q '^#   SUMMARY: AddressSanitizer: heap-buffer-overflow' <<< "$output" ||
		fail "the sanitizer's summary is not shown:" "$output"
}

@test "runner: a program killed by a signal is a failure" {
	runner unit test_abort
	[[ $output == *"not ok - unit/test_abort: killed by signal ABRT, plan 1..3, 2 results "* ]] ||
		fail "$output"
	expect 3 1
}

@test "runner: a plan with fewer results, or no plan, is a failure" {
	runner unit test_short test_noplan
	[[ $output == *"not ok - unit/test_short: plan 1..3, 2 results "* ]] || fail "$output"
	[[ $output == *"not ok - unit/test_noplan: no TAP plan (1..N) "* ]] || fail "$output"
	expect 4 2
}

@test "runner: a non-zero exit without a failing test is a failure; a failing test counts once" {
	runner unit test_exit test_own
	[[ $output == *"not ok - unit/test_exit: exit status 3 with no failing test "* ]] || fail "$output"
	grep -q '^not ok - unit/test_own' <<< "$output" && fail "a reported failure counted twice:" "$output"
	expect 3 2 "not ok 2 - two"
}

@test "runner: a bats file whose setup_file fails is a failure" {
	runner bats setup_file.bats
	[[ $output == *"not ok - cli/setup_file.bats: plan 1..2, 1 results"* ]] ||
		fail "$output"
	expect 1 2 "not ok 1 setup_file failed"
}

@test "runner: a bats file with a syntax error is a failure" {
	runner bats syntax.bats
	expect 1 1 "not ok 1 setup_file failed"
}

@test "runner: bats dying with only ok lines printed is a failure" {
	runner bats killed.bats
	[[ $output == *"not ok - cli/killed.bats: exit status 1 with no failing test, plan 1..3, 2 results "* ]] ||
		fail "$output"
	expect 3 1
}

@test "runner: a clean run exits 0; skips are counted and named above the summary" {
	runner unit
	((status == 0)) || fail "exit $status:" "$output"
	[[ $last == "1 passed, 0 failed, 1 skipped" ]] || fail "$output"
	[[ ${lines[${#lines[@]} - 2]} == "skipped: unit/test_good: ok 2 - two # SKIP no frobnicator here" ]] ||
		fail "$output"
	runner bats
	((status == 0)) || fail "exit $status:" "$output"
	[[ $last == "1 passed, 0 failed, 1 skipped" ]] || fail "$output"
	grep -qx 'skipped: cli/good.bats: ok 2 b # skip no widget' <<< "$output" || fail "$output"
}

@test "runner: without skips the last line is exactly 'N passed, M failed'" {
	mkdir -p "$BATS_TEST_TMPDIR/one"
	printf '#!/bin/sh\nprintf "ok 1 - one\\n1..1\\n"\n' > "$BATS_TEST_TMPDIR/one/test_one"
	chmod +x "$BATS_TEST_TMPDIR/one/test_one"
	run_runner TESTS=unit RF_UNIT_DIR="$BATS_TEST_TMPDIR/one"
	((status == 0)) || fail "exit $status:" "$output"
	[[ $last == "1 passed, 0 failed" ]] || fail "$output"
}

@test "runner: a suite with nothing to run is a failure" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run_runner TESTS=unit RF_UNIT_DIR="$BATS_TEST_TMPDIR/empty"
	((status != 0)) || fail "exit status 0 for a suite that ran nothing:" "$output"
	grep -qxF "not ok - unit: nothing to run in $BATS_TEST_TMPDIR/empty" <<< "$output" || fail "$output"
	[[ $last == "0 passed, 1 failed" ]] || fail "$output"
}
