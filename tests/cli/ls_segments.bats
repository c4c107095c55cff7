#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge ls` on images of several segments, as the kernel unpacks them (init/initramfs.c):
# uncompressed newc archives at 4-byte aligned offsets, zero padding, and compressed streams
# one after another, each decompressed and followed by whatever comes after it. The images
# are concatenations of real segments made here (cpio -H newc, gzip, zstd, xz, lz4 -l).
# Every segment is listed, under a header line of its own; bytes the kernel would reject are
# an error.

load helpers

# tree DIR FILE...: a directory with the given files (each holding its own name).
tree() {
	local d=$BATS_FILE_TMPDIR/$1 f
	shift
	for f in "$@"; do
		mkdir -p "$d/$(dirname "$f")"
		printf '%s\n' "$f" > "$d/$f"
	done
}

# newc DIR: DIR's entries as a cpio newc archive on stdout.
newc() {
	(cd "$BATS_FILE_TMPDIR/$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet)
}

setup_file() {
	local t=$BATS_FILE_TMPDIR
	tree early kernel/x86/microcode/GenuineIntel.bin
	tree a a-one a-two
	tree b lib/modules/6.1.0-1/kernel/fs/b.ko b-etc/conf
	tree c c-file
	newc early > "$t/early.cpio"
	newc a > "$t/a.cpio"
	newc b > "$t/b.cpio"
	newc c > "$t/c.cpio"
	gzip -n < "$t/a.cpio" > "$t/a.gz"
	zstd -q < "$t/b.cpio" > "$t/b.zst"
	xz --check=crc32 < "$t/c.cpio" > "$t/c.xz"
	lz4 -q -l < "$t/a.cpio" > "$t/a.lz4"
}

setup() {
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set"
	T=$BATS_FILE_TMPDIR
	I=$BATS_TEST_TMPDIR/test.img
}

size() {
	stat -c %s "$1"
}

# The listing's paths (entry lines only: no "Image:" or "segment" lines).
paths() {
	printf '%s\n' "$out" | grep -vE '^(Image:|segment) ' | awk '{ print $8 }'
}

# The entry lines between the header of segment $1 and the next header.
segment_paths() {
	printf '%s\n' "$out" | awk -v n="$1" '
		/^segment / { cur = $2; next }
		/^Image: / { next }
		cur == n { print $8 }'
}

@test "a gzip segment followed by a zstd one: both are listed, each under its header" {
	cat "$T/a.gz" "$T/b.zst" > "$I"
	rf ls "$I"
	((status == 0)) || fail "exit $status: $err"
	has_line "$out" "^Image: .*: $(size "$I") bytes, gzip at 0 \+ zstd at $(size "$T/a.gz")$"
	has_line "$out" "^segment 1 of 2: gzip at 0, $(size "$T/a.gz") bytes \($(size "$T/a.cpio") unpacked\), 1 archive, 2 entries$"
	has_line "$out" "^segment 2 of 2: zstd at $(size "$T/a.gz"), $(size "$T/b.zst") bytes \($(size "$T/b.cpio") unpacked\), 1 archive, [0-9]+ entries$"
	[[ $(segment_paths 1) == "$(cpio -it --quiet < "$T/a.cpio")" ]] || fail "segment 1:" "$out"
	[[ $(segment_paths 2) == "$(cpio -it --quiet < "$T/b.cpio")" ]] || fail "segment 2:" "$out"
}

@test "dracut's layout: early microcode cpio, zero padding, then the compressed main archive" {
	{ cat "$T/early.cpio"; } > "$I"
	truncate -s %512 "$I"
	off=$(size "$I")
	cat "$T/c.xz" >> "$I"
	rf ls "$I"
	((status == 0)) || fail "exit $status: $err"
	has_line "$(printf '%s\n' "$out" | head -1)" "^Image: .*: [0-9]+ bytes, early cpio \(none\) at 0 \+ xz at $off$"
	# cpio pads its output to 512 bytes: the archive itself ends at its TRAILER!!! entry.
	has_line "$out" "^segment 1 of 2: none at 0, [0-9]+ bytes, 1 archive, 4 entries$"
	[[ $(segment_paths 1) == "$(cpio -it --quiet < "$T/early.cpio")" ]] || fail "$out"
	[[ $(segment_paths 2) == "c-file" ]] || fail "$out"
	rf ls --modules "$I"
	[[ -z $out ]] || fail "no modules expected: $out"
}

@test "four segments: cpio, zstd, gzip with zero padding between, xz: every entry in order" {
	{
		cat "$T/early.cpio"
		cat "$T/b.zst"
		head -c 7 /dev/zero
		cat "$T/a.gz"
		head -c 1000 /dev/zero
		cat "$T/c.xz"
		head -c 4 /dev/zero
	} > "$I"
	rf ls "$I"
	((status == 0)) || fail "exit $status: $err"
	o1=$(size "$T/early.cpio")
	o2=$((o1 + $(size "$T/b.zst") + 7))
	o3=$((o2 + $(size "$T/a.gz") + 1000))
	has_line "$out" "^Image: .*, early cpio \(none\) at 0 \+ zstd at $o1 \+ gzip at $o2 \+ xz at $o3$"
	for i in 1 2 3 4; do has_line "$out" "^segment $i of 4: "; done
	want=$(for f in early b a c; do cpio -it --quiet < "$T/$f.cpio"; done)
	[[ $(paths) == "$want" ]] || fail "expected every entry of the four in order:" "$out"
	rf ls --modules "$I"
	[[ $out == "6.1.0-1 b lib/modules/6.1.0-1/kernel/fs/b.ko" ]] || fail "--modules: $out"
}

@test "a compressed stream holding two cpio archives is one segment of 2 archives" {
	cat "$T/early.cpio" > "$I"
	{ cat "$T/a.cpio"; head -c 512 /dev/zero; cat "$T/c.cpio"; } | zstd -q >> "$I"
	rf ls "$I"
	((status == 0)) || fail "exit $status: $err"
	has_line "$out" "^segment 2 of 2: zstd at $(size "$T/early.cpio"), [0-9]+ bytes \([0-9]+ unpacked\), 2 archives, 3 entries$"
	[[ $(segment_paths 2) == "$(cpio -it --quiet < "$T/a.cpio"; cpio -it --quiet < "$T/c.cpio")" ]] || fail "$out"
}

@test "gzip members and zstd frames back to back are segments of their own, as for the kernel" {
	cat "$T/a.gz" "$T/a.gz" > "$I"
	rf ls "$I"
	((status == 0)) || fail "exit $status: $err"
	has_line "$out" "^Image: .*, gzip at 0 \+ gzip at $(size "$T/a.gz")$"
	[[ $(paths | wc -l) -eq $((2 * $(cpio -it --quiet < "$T/a.cpio" | wc -l))) ]] || fail "$out"
	cat "$T/b.zst" "$T/b.zst" > "$I"
	rf ls "$I"
	((status == 0)) || fail "exit $status: $err"
	has_line "$out" "^segment 2 of 2: zstd at $(size "$T/b.zst"), "
}

@test "lz4's legacy format ends at zero padding, and what follows is a segment too" {
	{ cat "$T/a.lz4"; head -c 8 /dev/zero; cat "$T/b.zst"; } > "$I"
	rf ls "$I"
	((status == 0)) || fail "exit $status: $err"
	has_line "$out" "^Image: .*, lz4 \(legacy\) at 0 \+ zstd at $(($(size "$T/a.lz4") + 8))$"
	[[ $(segment_paths 2) == "$(cpio -it --quiet < "$T/b.cpio")" ]] || fail "$out"
}

@test "garbage after a compressed stream is an error naming its offset, as the kernel stops there" {
	{ cat "$T/a.gz"; printf 'GARBAGE!'; } > "$I"
	rf ls "$I"
	expect_error "test\.img: .*offset $(size "$T/a.gz").*invalid magic"
	((status == 1)) || fail "exit $status"
	{ cat "$T/early.cpio" "$T/b.zst"; head -c 100 /dev/zero; printf '\x7fELF'; } > "$I"
	rf ls "$I"
	expect_error "offset $(($(size "$T/early.cpio") + $(size "$T/b.zst") + 100))"
}

@test "junk inside a compressed stream after its archive is an error (the kernel's 'junk within compressed archive')" {
	{ cat "$T/a.cpio"; printf 'junk'; } | gzip -n > "$I"
	rf ls "$I"
	expect_error "test\.img: junk within compressed archive at offset [0-9]+ of the decompressed gzip stream at 0"
	{ cat "$T/a.cpio"; printf '\0\0'; cat "$T/c.cpio"; } | zstd -q > "$I"
	rf ls "$I"
	expect_error "broken padding"
}

@test "segments at offsets the kernel rejects: misaligned after a cpio, cpio misaligned after a stream" {
	{ cat "$T/early.cpio"; head -c 2 /dev/zero; cat "$T/a.gz"; } > "$I"
	rf ls "$I"
	expect_error "offset $(($(size "$T/early.cpio") + 2)).*broken padding"
	{ cat "$T/a.gz"; } > "$I"
	pad=$(((4 - $(size "$I") % 4) % 4 + 1))
	head -c "$pad" /dev/zero >> "$I"
	off=$(size "$I")
	cat "$T/c.cpio" >> "$I"
	rf ls "$I"
	expect_error "a cpio archive that is not 4-byte aligned at offset $off of the image"
}

@test "a truncated or corrupt later segment is an error, not a silent end" {
	{ cat "$T/early.cpio" "$T/a.gz"; head -c 20 "$T/b.zst"; } > "$I"
	rf ls "$I"
	expect_error "test\.img: .*zstd"
	((status == 1)) || fail "exit $status"
	{ cat "$T/a.gz"; head -c $(($(size "$T/c.xz") - 8)) "$T/c.xz"; } > "$I"
	rf ls "$I"
	expect_error "test\.img: .*xz"
	# A stream that ends inside an entry: the kernel's "junk at the end of compressed archive".
	head -c 200 "$T/b.cpio" | zstd -q > "$I"
	cat "$T/a.gz" >> "$I"
	rf ls "$I"
	expect_error "test\.img: truncated"
}

@test "more segments than ls reads (64) is an error" {
	for _ in $(seq 70); do cat "$T/a.gz"; done > "$I"
	rf ls "$I"
	expect_error "test\.img: more than 64 segments"
}
