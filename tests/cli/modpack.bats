#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Modules compressed one by one (--module-compress, module_compress=) on Debian's full kernel:
# where they go (the uncompressed first segment), what they hold (the tree's bytes), the names
# the indexes and the plan give them (modprobe -d works in the unpacked image), the formats,
# when auto chooses the layout, and the compression cache: cold, warm and no cache give the same
# bytes; a corrupt entry is replaced; a read-only or full cache directory, one writable by
# others, and two builds at once into one cache still build.

load helpers

setup() {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	make_sysroot "$RF_FULL_ROOT" "$RF_FULL_KVER"
	T=$RF_FULL_ROOT/lib/modules/$K
	IMG=$BATS_TEST_TMPDIR/img
	export RAMFORGE_CACHE_DIR # the runner's shared cache, unless a test names its own
	RF_TIMEOUT=300 # a cold build compresses 430 modules at zstd -19 or xz -9e
}

teardown() {
	umount_tmpfs
}

build() { rf build -q -f --no-backup --no-firmware --sysroot "$S" -k "$K" "$@"; }
loud() { rf build -f --no-backup --no-firmware --sysroot "$S" -k "$K" "$@"; } # warnings shown
built() {
	build "$@"
	[[ $status -eq 0 ]] || fail "build failed ($status): $err"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The cache tests' images: some twenty modules (each cold build compresses them all again).
SMALL=(--module-compress zstd --drivers "virtio_blk nvme ahci ext4")

@test "generic image: every module compressed on its own in the uncompressed first segment, the tree's bytes" {
	built "$IMG"
	rf ls "$IMG"
	[[ $(head -n1 <<< "$out") == "Image: $IMG: "*" bytes, early cpio (none) at 0 + zstd at "* ]] ||
		fail "not an uncompressed segment and a zstd one:" "$(head -n3 <<< "$out")"
	local seg2 n
	seg2=$(sed -n '/^segment 2 of 2/,$p' <<< "$out")
	lacks_line "$seg2" '\.ko'
	has_line "$seg2" ' init$'
	rf ls --modules "$IMG"
	n=$(wc -l <<< "$out")
	((n > 400)) || fail "only $n modules:" "$out"
	lacks_line "$out" '\.ko$'
	"$RAMFORGE" ls --unpack "$BATS_TEST_TMPDIR/u" "$IMG"
	local f rel bad=0
	while read -r f; do
		rel=${f#"$BATS_TEST_TMPDIR/u/lib/modules/$K/"}
		zstd -q -t "$f" || { bad=1; echo "not zstd: $rel"; }
		zstd -q -dc "$f" | cmp -s - "$T/${rel%.zst}" || { bad=1; echo "not the tree's bytes: $rel"; }
	done < <(find "$BATS_TEST_TMPDIR/u/lib/modules/$K" -name '*.ko.zst')
	((bad == 0)) || fail "modules differ from the tree"
	[[ $(cat "$BATS_TEST_TMPDIR/u/early_cpio") == 1 ]] || fail "no early_cpio marker"
}

@test "the indexes and the plan name the stored files: modprobe -d in the unpacked image loads .ko.zst" {
	built "$IMG"
	"$RAMFORGE" ls --unpack "$BATS_TEST_TMPDIR/u" "$IMG"
	local d=$BATS_TEST_TMPDIR/u/lib/modules/$K
	lacks_line "$(cat "$d/modules.dep")" '\.ko[: ]|\.ko$'
	has_line "$(cat "$d/modules.dep")" '^kernel/fs/ext4/ext4\.ko\.zst: .*kernel/fs/jbd2/jbd2\.ko\.zst'
	has_line "$(cat "$d/modules.order")" '^kernel/fs/ext4/ext4\.ko\.zst$'
	run modprobe -d "$BATS_TEST_TMPDIR/u" -S "$K" --show-depends ext4
	[[ $status -eq 0 ]] || fail "modprobe failed:" "$output"
	has_line "$output" "^insmod $d/kernel/fs/ext4/ext4\.ko\.zst"
	has_line "$output" "^insmod $d/kernel/fs/jbd2/jbd2\.ko\.zst"
	has_line "$(cat "$BATS_TEST_TMPDIR/u/etc/ramforge/plan")" '^mod ext4 kernel/fs/ext4/ext4\.ko\.zst '
}

@test "--module-compress xz: kbuild's xz (CRC32, 1 MiB dictionary); no: the modules inside the zstd archive" {
	built --module-compress xz --drivers "virtio_blk ext4" "$IMG"
	"$RAMFORGE" ls -f "lib/modules/$K/kernel/fs/ext4/ext4.ko.xz" "$IMG" > "$BATS_TEST_TMPDIR/ext4.ko.xz"
	run xz -lvv "$BATS_TEST_TMPDIR/ext4.ko.xz"
	has_line "$output" 'Check: +CRC32'
	has_line "$output" 'dict=1MiB'
	xz -dc "$BATS_TEST_TMPDIR/ext4.ko.xz" | cmp - "$T/kernel/fs/ext4/ext4.ko"
	built --module-compress no "$IMG"
	rf ls "$IMG"
	[[ $(head -n1 <<< "$out") == *"zstd at 0" ]] || fail "not one zstd segment:" "$(head -n1 <<< "$out")"
	has_line "$out" "kernel/fs/ext4/ext4\.ko$"
}

@test "auto: a --drivers list and --compress none keep the modules inside; xz when the kernel decompresses xz" {
	built --drivers "virtio_blk ext4" "$IMG"
	rf ls "$IMG"
	has_line "$out" "kernel/fs/ext4/ext4\.ko$"
	built --compress none "$IMG"
	rf ls "$IMG"
	has_line "$out" "kernel/fs/ext4/ext4\.ko$"
	mkdir -p "$S/boot"
	printf 'CONFIG_MODULE_DECOMPRESS=y\nCONFIG_MODULE_COMPRESS_XZ=y\n' > "$S/boot/config-$K"
	built "$IMG"
	rf ls "$IMG"
	has_line "$out" "kernel/fs/ext4/ext4\.ko\.xz$"
	rfconf 'module_compress="zstd"'
	built "$IMG"
	rf ls "$IMG"
	has_line "$out" "kernel/fs/ext4/ext4\.ko\.zst$"
	rfconf 'module_compress="gz"'
	build "$IMG"
	expect_error 'etc/ramforge.conf:1: module_compress="gz": expected auto, zstd, xz or no'
	build --module-compress lzma "$IMG"
	[[ $status -eq 2 && $err == *"--module-compress='lzma': expected auto, zstd, xz or no"* ]] || fail "$status: $err"
}

@test "dracut's lsinitrd lists the modules' segment and the main archive" {
	local lsinitrd base listing
	read -r lsinitrd base < <("$RF_TOP/tests/fixtures/fetch-lsinitrd") || fail "cannot fetch dracut's lsinitrd"
	built "$IMG"
	listing=$(dracutbasedir=$base bash "$lsinitrd" "$IMG" 2>&1)
	has_line "$listing" '^Early CPIO image$'
	has_line "$listing" " lib/modules/$K/kernel/fs/ext4/ext4\.ko\.zst$"
	has_line "$listing" ' init$'
	has_line "$listing" " lib/modules/$K/modules\.dep$"
}

@test "cache: cold, warm and no cache give the same bytes; -v counts the hits" {
	local c=$BATS_TEST_TMPDIR/cache a b
	rf build -v -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG.cold"
	[[ $status -eq 0 ]] || fail "$err"
	has_line "$err" "cache $(re_escape "$c"): 0 hits, [0-9]+ misses"
	rf build -v -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG.warm"
	has_line "$err" "cache $(re_escape "$c"): [0-9]+ hits, 0 misses"
	built "${SMALL[@]}" --no-cache "$IMG.none"
	a=$(sha "$IMG.cold")
	[[ $(sha "$IMG.warm") == "$a" && $(sha "$IMG.none") == "$a" ]] || fail "cold, warm and no-cache images differ"
	[[ $(stat -c %a "$c") == 700 ]] || fail "the cache directory is mode $(stat -c %a "$c")"
	# a denylist change compresses nothing again
	modconf deny.conf "install xfs /bin/false"
	rf build -v -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG.deny"
	has_line "$err" "cache $(re_escape "$c"): [0-9]+ hits, 0 misses"
	b=$(sha "$IMG.deny")
	[[ $b != "$a" ]] || fail "the denylist changed nothing"
}

@test "cache: a corrupt or truncated entry is detected, ignored and replaced" {
	local c=$BATS_TEST_TMPDIR/cache a e
	built "${SMALL[@]}" --cache "$c" "$IMG"
	a=$(sha "$IMG")
	e=($(find "$c" -type f | sort | head -n 2))
	((${#e[@]} == 2)) || fail "no cache entries in $c"
	printf '\xff' | dd of="${e[0]}" bs=1 seek=100 conv=notrunc status=none
	truncate -s 10 "${e[1]}"
	rf build -v -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG"
	[[ $status -eq 0 ]] || fail "$err"
	has_line "$err" "cache $(re_escape "$c"): [0-9]+ hits, 2 misses, corrupt entries replaced"
	[[ $(sha "$IMG") == "$a" ]] || fail "the image changed"
	rf build -v -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG"
	has_line "$err" "cache $(re_escape "$c"): [0-9]+ hits, 0 misses$"
}

@test "cache: a read-only or full cache directory, or one writable by others, still builds the same image" {
	local a c=$BATS_TEST_TMPDIR/ro
	built "${SMALL[@]}" --no-cache "$IMG.ref"
	a=$(sha "$IMG.ref")
	mount_tmpfs "$c" 4m
	mount -o remount,ro "$c" || skip "cannot remount read-only here"
	loud "${SMALL[@]}" --cache "$c/sub" "$IMG"
	[[ $status -eq 0 && $(sha "$IMG") == "$a" ]] || fail "read-only cache: $status $err"
	has_line "$err" "module cache $(re_escape "$c/sub")"
	mount_tmpfs "$BATS_TEST_TMPDIR/full" 256k
	loud "${SMALL[@]}" --cache "$BATS_TEST_TMPDIR/full" "$IMG"
	[[ $status -eq 0 && $(sha "$IMG") == "$a" ]] || fail "full cache disk: $status $err"
	has_line "$err" "module cache .*No space left on device"
	mkdir -m 0777 "$BATS_TEST_TMPDIR/open"
	loud "${SMALL[@]}" --cache "$BATS_TEST_TMPDIR/open" "$IMG"
	[[ $status -eq 0 && $(sha "$IMG") == "$a" ]] || fail "world-writable cache: $status $err"
	has_line "$err" "module cache $(re_escape "$BATS_TEST_TMPDIR/open"): .*writable by others"
	[[ -z $(find "$BATS_TEST_TMPDIR/open" -type f) ]] || fail "entries stored in a world-writable directory"
}

@test "cache: two builds at once into one fresh cache: both succeed, same bytes, every entry good" {
	local c=$BATS_TEST_TMPDIR/cache p1 p2 s1=0 s2=0
	"$RAMFORGE" build -q -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG.1" 2> "$BATS_TEST_TMPDIR/e1" &
	p1=$!
	"$RAMFORGE" build -q -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG.2" 2> "$BATS_TEST_TMPDIR/e2" &
	p2=$!
	wait "$p1" || s1=$?
	wait "$p2" || s2=$?
	((s1 == 0 && s2 == 0)) || fail "exits $s1 $s2:" "$(cat "$BATS_TEST_TMPDIR/e1" "$BATS_TEST_TMPDIR/e2")"
	[[ $(sha "$IMG.1") == "$(sha "$IMG.2")" ]] || fail "the two images differ"
	rf build -v -f --no-backup --no-firmware --sysroot "$S" -k "$K" "${SMALL[@]}" --cache "$c" "$IMG.3"
	has_line "$err" "cache $(re_escape "$c"): [0-9]+ hits, 0 misses$"
	[[ $(sha "$IMG.3") == "$(sha "$IMG.1")" ]] || fail "the warm image differs"
	[[ -z $(find "$c" -name '.tmp*') ]] || fail "temporary files left in the cache"
}
