#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge ls` on hostile input: 1200 mutated images (tests/fixtures/fuzz-images:
# bit flips, truncation, garbage, 4 GiB sizes in headers, "../" and absolute names) and a
# decompression bomb. Each run must end with 0 or 1 (an error in one line), never a signal or
# a sanitizer abort, never a hang, and nothing may be written to disk.

load helpers

# The C unit test (tests/unit/test_inspect.c) runs 4400 more cases in-process, where they are cheap.
COUNT=1200

# newc_header NAME SIZE: one cpio newc header and its name, padded to 4 bytes.
newc_header() {
	local name=$1 size=$2 len pad
	len=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 $((0100644)) 0 0 1 0 "$size" 0 0 0 0 "$len" 0
	printf '%s\0' "$name"
	pad=$(((4 - (110 + len) % 4) % 4))
	head -c "$pad" /dev/zero
}

setup_file() {
	local t=$BATS_FILE_TMPDIR r=$BATS_FILE_TMPDIR/root
	mkdir -p "$r/lib/modules/6.1.0-1/kernel/fs" "$r/etc" "$t/base" "$t/early/kernel/x86"
	head -c 20000 /dev/urandom > "$r/lib/modules/6.1.0-1/kernel/fs/a.ko"
	printf 'hello\n' > "$r/init"
	echo 'options a x=1' > "$r/etc/a.conf"
	ln -s init "$r/linuxrc"
	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$t/base/none.img"
	zstd -q < "$t/base/none.img" > "$t/base/zstd.img"
	gzip < "$t/base/none.img" > "$t/base/gzip.img"
	xz --check=crc32 < "$t/base/none.img" > "$t/base/xz.img"
	lz4 -q -l < "$t/base/none.img" > "$t/base/lz4.img"
	head -c 100 /dev/urandom > "$t/early/kernel/x86/ucode.bin"
	(cd "$t/early" && find . | cpio -o -H newc --quiet) > "$t/base/dracut.img"
	truncate -s %512 "$t/base/dracut.img"
	cat "$t/base/zstd.img" >> "$t/base/dracut.img"
	"$RF_TOP/tests/fixtures/fuzz-images" "$t/base" "$t/cases" "$COUNT" 3
}

setup() {
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set"
	T=$BATS_FILE_TMPDIR
	WORK=$BATS_TEST_TMPDIR/cwd
	mkdir -p "$WORK/tmp"
}

# Nothing was written where ls ran (its cwd and TMPDIR stay empty).
nothing_written() {
	[[ -z $(find "$WORK" -mindepth 1 ! -path "$WORK/tmp") ]] || fail "files written:" "$(find "$WORK")"
}

@test "ls survives $COUNT mutated images: exit 0 or 1, one error line, no hang" {
	[[ $(find "$T/cases" -name '*.img' | wc -l) -eq $COUNT ]]
	# One checker per CPU; each prints a line for any image that broke the rules.
	find "$T/cases" -name '*.img' -print0 | (cd "$WORK" && TMPDIR=$WORK/tmp xargs -0 -n 100 \
		-P "$(nproc)" bash -c '
		for f; do
			rc=0
			timeout 10 "$0" ls "$f" > /dev/null 2> "$f.err" || rc=$?
			if ((rc == 1)); then
				[[ $(wc -l < "$f.err") -eq 1 ]] && grep -q "^ramforge: error: " "$f.err" ||
					echo "BAD-MESSAGE $f: $(head -c 300 "$f.err")"
			elif ((rc != 0)); then
				echo "EXIT-$rc $f: $(head -c 2000 "$f.err")"
			fi
			rm -f "$f.err"
		done' "$RAMFORGE") > "$BATS_TEST_TMPDIR/report"
	[[ ! -s $BATS_TEST_TMPDIR/report ]] || fail "$(head -20 "$BATS_TEST_TMPDIR/report")"
	nothing_written
	[[ -z $(find "$WORK/tmp" -mindepth 1) ]] || fail "TMPDIR was written to"
}

@test "ls refuses a zstd bomb (8 GiB of zeros in 300 KiB) quickly and in bounded memory" {
	local b=$BATS_TEST_TMPDIR/bomb.img
	# A valid header for a file of almost 1 GiB, then 8 GiB of zeros: 128 zstd frames of 64 MiB.
	{ newc_header bomb $((0x3FFFFFF0)); head -c 64M /dev/zero; } | zstd -q -1 > "$b"
	head -c 64M /dev/zero | zstd -q -1 > "$BATS_TEST_TMPDIR/z"
	for _ in $(seq 127); do cat "$BATS_TEST_TMPDIR/z"; done >> "$b"
	[[ $(stat -c %s "$b") -lt 1000000 ]]
	cd "$WORK"
	status=0
	TMPDIR=$WORK/tmp timeout 20 /usr/bin/time -f '%M' -o "$BATS_TEST_TMPDIR/rss" \
		"$RAMFORGE" ls "$b" > /dev/null 2> "$BATS_TEST_TMPDIR/err" || status=$?
	((status == 1)) || fail "exit $status" "$(cat "$BATS_TEST_TMPDIR/err")"
	grep -q "^ramforge: error: .*bomb" "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	# Max RSS in KiB: far below what was compressed (ASan builds included).
	rss=$(tail -1 "$BATS_TEST_TMPDIR/rss")
	((rss < 300000)) || fail "max RSS $rss KiB"
	nothing_written
}

@test "ls refuses 4 GiB sizes and ../ names in headers with a clear error" {
	local d=$BATS_TEST_TMPDIR
	{ newc_header init $((0xFFFFFFFF)); } > "$d/huge.img"
	rf ls "$d/huge.img"
	expect_error "huge\.img: an entry of absurd size"
	{ newc_header ../../etc/shadow 4; printf 'root'; newc_header TRAILER!!! 0; } | zstd -q > "$d/dotdot.img"
	rf ls "$d/dotdot.img"
	((status == 1)) || fail "exit $status"
	has_line "$err" '^ramforge: error: .*dotdot\.img: a name with a ".." component'
	lacks_line "$out" 'etc/shadow'
}
