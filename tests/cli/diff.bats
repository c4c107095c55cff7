#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge diff OLD NEW`: the admin's denylist check on Debian's full kernel, identical builds,
# a dracut-layout image against a ramforge one, what counts as a change (a module's content,
# not its compression; modes, links, modprobe.d lines, the plan's options), exit 0/1/2 as
# diff(1), and hostile images.

load helpers

# newc_dir DIR OUT [COMPRESSOR...]: DIR as a newc archive (sorted names), piped through the
# compressor when one is given.
newc_dir() {
	local dir=$1 out=$2
	shift 2
	if (($#)); then
		(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) | "$@" > "$out"
	else
		(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) > "$out"
	fi
}

# A small image tree: two modules (one xz-compressed), a modprobe.d file, a symlink.
small_tree() {
	local r=$1 m=$1/lib/modules/6.1.0-99-test/kernel
	mkdir -p "$m/fs" "$m/drivers" "$r/etc/modprobe.d" "$r/usr/bin"
	printf 'ext4 module body\n' > "$m/fs/ext4.ko"
	printf 'virtio blk body\n' | xz --check=crc32 > "$m/drivers/virtio-blk.ko.xz"
	printf 'blacklist floppy\n# a comment\n\noptions ext4 x=1\n' > "$r/etc/modprobe.d/a.conf"
	printf '#!/bin/sh\n' > "$r/usr/bin/tool"
	chmod 0755 "$r/usr/bin/tool"
	ln -s usr/bin "$r/bin"
}

setup() {
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set"
	T=$BATS_TEST_TMPDIR
}

@test "diff: the admin's denylist check on the full kernel shows '- floppy' and the new lines" {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	make_sysroot "$RF_FULL_ROOT" "$RF_FULL_KVER"
	mkdir -p "$S/boot"
	echo 12.8 > "$S/etc/debian_version"
	rf build --sysroot "$S" -k "$K"
	[[ $status -eq 0 ]] || fail "first build failed: $err"
	rf ls --modules "$S/boot/initrd.img-$K"
	has_line "$out" " floppy "
	modconf deny.conf 'blacklist floppy' 'install floppy /bin/false'
	rf build --sysroot "$S" -k "$K" -f
	[[ $status -eq 0 ]] || fail "rebuild failed: $err"
	rf diff "$S"/boot/initrd.img-"$K".bak.* "$S/boot/initrd.img-$K"
	[[ $status -eq 1 ]] || fail "expected exit 1 (they differ), got $status: $err" "$out"
	has_line "$out" '^- floppy$'
	has_line "$out" '^\+ /etc/modprobe\.d/deny\.conf$'
	has_line "$out" '^\+ /etc/modprobe\.d/deny\.conf: blacklist floppy$'
	has_line "$out" '^\+ /etc/modprobe\.d/deny\.conf: install floppy /bin/false$'
	has_line "$out" '^~ image: [0-9]+ -> [0-9]+ bytes$'
	# only floppy went: no other module line
	[[ $(grep -cE '^[-+~] [a-z0-9_]+$' <<< "$out") -eq 1 ]] || fail "other modules changed:" "$out"
	[[ -z $err ]] || fail "unexpected stderr: $err"
}

@test "diff: two identical builds show no difference and exit 0" {
	fake_sysroot
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fakefs" "$T/a.img"
	[[ $status -eq 0 ]] || fail "$err"
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fakefs" "$T/b.img"
	[[ $status -eq 0 ]] || fail "$err"
	rf diff "$T/a.img" "$T/b.img"
	[[ $status -eq 0 && -z $out && -z $err ]] || fail "exit $status" "$out" "$err"
}

@test "diff: another compression changes the image, not its modules or files" {
	fake_sysroot
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fakefs" "$T/a.img"
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fakefs" --compress gzip "$T/b.img"
	rf diff "$T/a.img" "$T/b.img"
	[[ $status -eq 1 ]] || fail "exit $status: $err"
	has_line "$out" '^~ image: zstd at 0 -> gzip at 0$'
	lacks_line "$out" '^[-+] |: content'
}

@test "diff: a module added, one removed, options from modprobe.d in the plan" {
	fake_sysroot
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fakefs" "$T/a.img"
	modconf opts.conf 'options chain_a speed=3'
	rf build --sysroot "$S" -k "$K" --drivers "chain_a otherfs" "$T/b.img"
	[[ $status -eq 0 ]] || fail "$err"
	rf diff "$T/a.img" "$T/b.img"
	[[ $status -eq 1 ]] || fail "exit $status: $err"
	has_line "$out" '^- fakefs$'
	has_line "$out" '^\+ otherfs$'
	has_line "$out" '^~ chain_a: options "" -> "speed=3"$'
	has_line "$out" '^\+ /etc/modprobe\.d/opts\.conf: options chain_a speed=3$'
	# the order: modules, then the plan's options, then files, then the image
	[[ $(grep -nE '^- fakefs$' <<< "$out" | cut -d: -f1) -lt $(grep -nE '^~ chain_a: options' <<< "$out" | cut -d: -f1) ]]
	[[ $(grep -nE 'options chain_a speed' <<< "$out" | cut -d: -f1) -lt $(grep -nE '^~ image' <<< "$out" | cut -d: -f1) ]]
}

@test "diff: a module's content, not its compression; modes, links and modprobe.d lines" {
	small_tree "$T/a"
	newc_dir "$T/a" "$T/a.img" zstd -q
	cp -a "$T/a" "$T/b"
	m=$T/b/lib/modules/6.1.0-99-test/kernel
	# recompressed only: the same module
	xz -d "$m/drivers/virtio-blk.ko.xz"
	zstd -q --rm "$m/drivers/virtio-blk.ko"
	# new content
	printf 'ext4 module body, patched\n' > "$m/fs/ext4.ko"
	chmod 0700 "$T/b/usr/bin/tool"
	ln -sfn usr/sbin "$T/b/bin"
	printf 'blacklist floppy\n# another comment\noptions ext4 x=2\nblacklist pcspkr\n' > "$T/b/etc/modprobe.d/a.conf"
	newc_dir "$T/b" "$T/b.img" zstd -q
	rf diff "$T/a.img" "$T/b.img"
	[[ $status -eq 1 ]] || fail "exit $status: $err"
	has_line "$out" '^~ ext4: content$'
	lacks_line "$out" 'virtio_blk'
	has_line "$out" '^~ /usr/bin/tool: mode 0755 -> 0700$'
	has_line "$out" '^~ /bin: link usr/bin -> usr/sbin$'
	has_line "$out" '^- /etc/modprobe\.d/a\.conf: options ext4 x=1$'
	has_line "$out" '^\+ /etc/modprobe\.d/a\.conf: options ext4 x=2$'
	has_line "$out" '^\+ /etc/modprobe\.d/a\.conf: blacklist pcspkr$'
	lacks_line "$out" 'blacklist floppy|comment'
	# module files are compared as modules, not as files
	lacks_line "$out" 'lib/modules/.*\.ko'
	# the other way round: the signs turn
	rf diff "$T/b.img" "$T/a.img"
	has_line "$out" '^- /etc/modprobe\.d/a\.conf: blacklist pcspkr$'
}

@test "diff: a dracut-layout image (early cpio, modules under usr/lib, .ko.xz) against ramforge's" {
	fake_sysroot
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fakefs" "$T/rf.img"
	[[ $status -eq 0 ]] || fail "$err"
	# dracut's layout: the same modules of chain_a's closure (recompressed with xz) but not
	# fakefs, and otherfs, under usr/lib/modules, behind an early microcode cpio
	mkdir -p "$T/d/usr/lib/modules" "$T/early/kernel/x86/microcode"
	rf ls --unpack "$T/u" "$T/rf.img"
	[[ $status -eq 0 ]] || fail "unpack: $err"
	cp -a "$T/u/lib/modules/$K" "$T/d/usr/lib/modules/"
	find "$T/d" -name 'fakefs.ko*' -delete
	while IFS= read -r f; do
		case $f in
		*.ko) xz --check=crc32 "$f" ;;
		*.ko.zst) zstd -q -d --rm "$f" && xz --check=crc32 "${f%.zst}" ;;
		esac
	done < <(find "$T/d" -name '*.ko*')
	mkdir -p "$T/d/usr/lib/modules/$K/kernel/fs"
	cp "$RF_FAKE_ROOT/lib/modules/$K/kernel/fs/otherfs/otherfs.ko" "$T/d/usr/lib/modules/$K/kernel/fs/"
	mkdir -p "$T/d/usr/lib/dracut"
	echo 'dracut-059' > "$T/d/usr/lib/dracut/dracut-version"
	ln -s usr/lib "$T/d/lib"
	head -c 512 /dev/urandom > "$T/early/kernel/x86/microcode/GenuineIntel.bin"
	newc_dir "$T/early" "$T/dracut.img"
	truncate -s %512 "$T/dracut.img"
	newc_dir "$T/d" "$T/main.zst" zstd -q
	cat "$T/main.zst" >> "$T/dracut.img"
	rf diff "$T/dracut.img" "$T/rf.img"
	[[ $status -eq 1 ]] || fail "exit $status: $err"
	has_line "$out" '^\+ fakefs$'
	has_line "$out" '^- otherfs$'
	# the modules both hold, recompressed, are the same
	[[ $(grep -cE '^[-+~] [a-z0-9_]+(: content)?$' <<< "$out") -eq 2 ]] || fail "other module lines:" "$out"
	has_line "$out" '^- /usr/lib/dracut/dracut-version$'
	has_line "$out" '^- /kernel/x86/microcode/GenuineIntel\.bin$'
	has_line "$out" '^\+ /init$'
	has_line "$out" '^~ image: early cpio|^~ image: none at 0 \+ zstd at [0-9]+ -> zstd at 0$'
}

@test "diff: several OLD images (a glob of backups): the one made last is compared, named in a warning" {
	fake_sysroot
	rf build --sysroot "$S" -k "$K" --drivers "chain_a" "$T/one.img"
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fakefs" "$T/two.img"
	rf build --sysroot "$S" -k "$K" --drivers "chain_a fake_virtio" "$T/three.img"
	rf build --sysroot "$S" -k "$K" --drivers "chain_a otherfs" "$T/new.img"
	# made in this order: the one made last is neither the first nor the last name
	cp "$T/one.img" "$T/new.img.bak.01-01-000000"
	sleep 0.05
	cp "$T/three.img" "$T/new.img.bak.12-31-235959"
	sleep 0.05
	cp "$T/two.img" "$T/new.img.bak.06-01-000000"
	rf diff "$T"/new.img.bak.* "$T/new.img"
	[[ $status -eq 1 ]] || fail "exit $status: $err"
	has_line "$err" "^ramforge: warning: 3 OLD images given: comparing the one made last, .*/new\.img\.bak\.06-01-000000$"
	has_line "$out" '^- fakefs$'
	has_line "$out" '^\+ otherfs$'
	lacks_line "$out" 'fake_virtio'
}

@test "diff: errors exit 2 with one line: a missing image, a broken one, a usage error" {
	small_tree "$T/a"
	newc_dir "$T/a" "$T/a.img" zstd -q
	rf diff "$T/a.img" "$T/nope.img"
	expect_error "nope\.img: No such file"
	[[ $status -eq 2 ]]
	head -c 300 "$T/a.img" > "$T/cut.img"
	rf diff "$T/cut.img" "$T/a.img"
	expect_error "cut\.img: "
	[[ $status -eq 2 ]]
	rf diff "$T/a.img"
	expect_error "diff takes two images"
	[[ $status -eq 2 ]]
	mkfifo "$T/fifo"
	rf diff "$T/a.img" "$T/fifo"
	expect_error "fifo: not a regular file"
	[[ $status -eq 2 ]]
	rf diff --help
	[[ $status -eq 0 ]] && has_line "$out" '^Usage: ramforge diff OLD NEW$'
}

@test "diff: a module that does not decompress is compared as stored, with a warning" {
	small_tree "$T/a"
	printf 'not xz at all' > "$T/a/lib/modules/6.1.0-99-test/kernel/drivers/virtio-blk.ko.xz"
	newc_dir "$T/a" "$T/a.img" zstd -q
	rf diff "$T/a.img" "$T/a.img"
	[[ $status -eq 0 && -z $out ]] || fail "exit $status" "$out" "$err"
	has_line "$err" '^ramforge: warning: .*virtio-blk\.ko\.xz: xz: .*compared as stored$'
}

@test "diff: 300 mutated images against their base: exit 0, 1 or 2, never a crash or a hang" {
	mkdir -p "$T/base"
	small_tree "$T/a"
	newc_dir "$T/a" "$T/base/none.img"
	zstd -q < "$T/base/none.img" > "$T/base/zstd.img"
	xz --check=crc32 < "$T/base/none.img" > "$T/base/xz.img"
	"$RF_TOP/tests/fixtures/fuzz-images" "$T/base" "$T/cases" 300 7
	local f bad=0
	for f in "$T"/cases/*.img; do
		RF_TIMEOUT=20 rf diff "$T/base/zstd.img" "$f"
		if ((status > 2)); then
			bad=$((bad + 1))
			echo "$f: exit $status: $err" >&2
		elif ((status == 2)) && [[ $(printf '%s\n' "$err" | grep -c .) -ne 1 ]]; then
			bad=$((bad + 1))
			echo "$f: not one line: $err" >&2
		fi
	done
	((bad == 0)) || fail "$bad mutated images misbehaved"
}
