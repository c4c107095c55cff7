#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge ls`: images made by the real tools (find | cpio -o -H newc, then zstd, gzip, xz,
# lz4 -l, lz4 frame, none; dracut's early cpio + compressed main layout) are listed like
# lsinitrd, with the compression found by magic; --modules; errors in one line.

load helpers

KV=6.1.0-99-test

setup_file() {
	local t=$BATS_FILE_TMPDIR r
	r=$t/root
	mkdir -p "$r/lib/modules/$KV/kernel/fs/ext4" "$r/lib/modules/$KV/kernel/drivers/block" \
		"$r/etc/modprobe.d" "$r/sysroot"
	printf '#!/bin/sh\necho hi\n' > "$r/init"
	chmod 0755 "$r/init"
	head -c 70000 /dev/urandom > "$r/lib/modules/$KV/kernel/fs/ext4/ext4.ko"
	head -c 3000 /dev/urandom | xz > "$r/lib/modules/$KV/kernel/drivers/block/virtio-blk.ko.xz"
	echo 'blacklist floppy' > "$r/etc/modprobe.d/deny.conf"
	ln -s usr/bin "$r/bin"
	chmod 0700 "$r/sysroot"
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$t/plain.cpio"
	cp "$t/plain.cpio" "$t/none.img"
	zstd -q -19 < "$t/plain.cpio" > "$t/zstd.img"
	gzip -9 < "$t/plain.cpio" > "$t/gzip.img"
	xz --check=crc32 < "$t/plain.cpio" > "$t/xz.img"
	lz4 -q -l < "$t/plain.cpio" > "$t/lz4.img"
	lz4 -q < "$t/plain.cpio" > "$t/lz4frame.img"
	# dracut: early cpio (microcode) padded to 512 bytes, then the compressed main cpio.
	mkdir -p "$t/early/kernel/x86/microcode"
	head -c 1000 /dev/urandom > "$t/early/kernel/x86/microcode/GenuineIntel.bin"
	(cd "$t/early" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$t/dracut.img"
	truncate -s %512 "$t/dracut.img"
	cat "$t/zstd.img" >> "$t/dracut.img"
}

setup() {
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set"
	T=$BATS_FILE_TMPDIR
}

# The paths cpio itself lists for the plain archive.
cpio_paths() {
	cpio -it --quiet < "$T/plain.cpio"
}

# The paths of `ramforge ls` output (after the first line; without " -> target").
ls_paths() {
	printf '%s\n' "$out" | tail -n +2 | awk '{ print $8 }'
}

@test "ls lists every entry of a zstd, gzip, xz, lz4 (legacy) and uncompressed image" {
	for c in zstd gzip xz lz4 none; do
		rf ls "$T/$c.img"
		[[ $status -eq 0 ]] || fail "$c: exit $status: $err"
		want=$c
		[[ $c == lz4 ]] && want='lz4 \(legacy\)'
		has_line "$(printf '%s\n' "$out" | head -1)" "^Image: .*/$c\.img: [0-9]+ bytes, $want at 0$"
		[[ $(ls_paths) == "$(cpio_paths)" ]] || fail "$c: paths differ from cpio -it:" "$out"
	done
}

@test "ls shows mode, owner, size, time and symlink targets like lsinitrd" {
	rf ls "$T/zstd.img"
	size=$(stat -c %s "$BATS_FILE_TMPDIR/root/lib/modules/$KV/kernel/fs/ext4/ext4.ko")
	has_line "$out" "^-rwxr-xr-x +1 +[a-z0-9]+ +[a-z0-9]+ +[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} init$"
	has_line "$out" "^-rw-r--r-- +1 .* $size [-0-9]+ [0-9:]+ lib/modules/$KV/kernel/fs/ext4/ext4\.ko$"
	has_line "$out" "^drwx------ .* sysroot$"
	has_line "$out" "^lrwxrwxrwx .* bin -> usr/bin$"
	# Times as cpio shows them, in UTC.
	when=$(TZ=UTC date -d "@$(stat -c %Y "$BATS_FILE_TMPDIR/root/init")" '+%Y-%m-%d %H:%M')
	has_line "$out" " $when init$"
}

@test "ls on lz4's frame format lists it and says the kernel cannot unpack it" {
	rf ls "$T/lz4frame.img"
	[[ $status -eq 0 ]] || fail "exit $status: $err"
	has_line "$out" "^Image: .*: [0-9]+ bytes, lz4 \(frame format\) at 0 \(the kernel cannot unpack this\)$"
	[[ $(ls_paths) == "$(cpio_paths)" ]] || fail "paths differ" "$out"
}

@test "ls on dracut's layout shows the early cpio and the compressed main part" {
	rf ls "$T/dracut.img"
	[[ $status -eq 0 ]] || fail "exit $status: $err"
	off=$(stat -c %s "$T/dracut.img")
	off=$((off - $(stat -c %s "$T/zstd.img")))
	has_line "$(printf '%s\n' "$out" | head -1)" "^Image: .*: [0-9]+ bytes, early cpio \(none\) at 0 \+ zstd at $off$"
	has_line "$out" " kernel/x86/microcode/GenuineIntel\.bin$"
	has_line "$out" " lib/modules/$KV/kernel/fs/ext4/ext4\.ko$"
	# Entry lines (not the "segment N of 2" headers): every entry of both parts.
	[[ $(printf '%s\n' "$out" | grep -vc '^segment ') -eq $((1 + 4 + $(cpio_paths | wc -l))) ]] ||
		fail "expected every entry of both parts" "$out"
}

@test "ls --modules prints KVER NAME PATH for each module, names kmod-normalised" {
	for img in zstd.img dracut.img; do
		rf ls --modules "$T/$img"
		[[ $status -eq 0 ]] || fail "exit $status: $err"
		exp="$KV virtio_blk lib/modules/$KV/kernel/drivers/block/virtio-blk.ko.xz
$KV ext4 lib/modules/$KV/kernel/fs/ext4/ext4.ko"
		[[ $(printf '%s\n' "$out" | sort) == "$(printf '%s\n' "$exp" | sort)" ]] ||
			fail "$img: got:" "$out"
	done
}

@test "ls --help documents the output format" {
	rf ls --help
	[[ $status -eq 0 ]]
	has_line "$out" "^Usage: ramforge ls"
	has_line "$out" "MODE NLINK OWNER GROUP SIZE"
	has_line "$out" "KVER NAME PATH"
}

@test "ls errors: missing, a directory, garbage, truncated, no argument" {
	rf ls "$T/nonexistent.img"
	expect_error "nonexistent\.img: No such file or directory"
	[[ $status -eq 1 ]]
	rf ls "$T"
	expect_error "not a regular file"
	head -c 4096 /dev/urandom | sed 's/^/X/' > "$T/garbage.img"
	rf ls "$T/garbage.img"
	expect_error "garbage\.img: not an initramfs image"
	head -c 300 "$T/none.img" > "$T/trunc.img"
	rf ls "$T/trunc.img"
	expect_error "trunc\.img: truncated"
	rf ls
	((status == 2)) || fail "usage error: exit $status"
	has_line "$err" "^ramforge: error: "
}

@test "ls on a truncated compressed image fails after listing what it could read" {
	head -c $(($(stat -c %s "$T/gzip.img") / 2)) "$T/gzip.img" > "$T/half.gz.img"
	rf ls "$T/half.gz.img"
	((status == 1)) || fail "exit $status" "$err"
	[[ $err == "ramforge: error: $T/half.gz.img: "* ]] || fail "$err"
	[[ $(printf '%s\n' "$err" | wc -l) -eq 1 ]] || fail "$err"
}

@test "ls lists an image written by ramforge build" {
	[[ -n ${RF_FAKE_ROOT:-} ]] || skip "RF_FAKE_ROOT not set (run through make check)"
	fake_sysroot
	local init=${RAMFORGE_INIT:-}
	if [[ ! -x $init ]]; then # the listing is under test here, not the init
		init=$BATS_TEST_TMPDIR/init
		printf '#!/bin/sh\n' > "$init"
		chmod +x "$init"
	fi
	rf build --sysroot "$S" --kver "$K" --no-modules-load --init "$init" -a chain_a "$BATS_TEST_TMPDIR/rf.img"
	((status == 0)) || fail "ramforge build failed: $err"
	rf ls "$BATS_TEST_TMPDIR/rf.img"
	((status == 0)) || fail "$err"
	# the modules one by one in the uncompressed segment, the rest in the zstd archive after it
	has_line "$(printf '%s\n' "$out" | head -1)" "early cpio \(none\) at 0 \+ zstd at [0-9]+$"
	has_line "$out" "^-rw-r--r-- .* lib/modules/$K/kernel/drivers/fake/chain_a\.ko\.zst$"
	has_line "$out" " init$"
	has_line "$out" "^crw------- .* 5, 1 [-0-9]+ [0-9:]+ dev/console$"
	rf ls --modules "$BATS_TEST_TMPDIR/rf.img"
	has_line "$out" "^$K chain_a lib/modules/$K/"
}
