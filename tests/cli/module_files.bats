#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Module files that cannot load: a dependency whose file is gone, a file cut short, empty,
# bit-flipped, or compressed in another format than its name says. For an explicit request
# that is an error naming the module and the file (no image is written); a module chosen
# automatically (modules-load.d, the generic rules) is left out with a warning instead.

load helpers

# A writable copy of the fake tree in its own sysroot (sets S, K, T: the tree).
setup() {
	need_fixture RF_FAKE_ROOT RF_FAKE_KVER
	S=$BATS_TEST_TMPDIR/sysroot
	K=$RF_FAKE_KVER
	T=$S/lib/modules/$K
	mkdir -p "$S/etc/modprobe.d" "$S/etc/modules-load.d" "$S/lib/modules"
	cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$T"
	IMG=$BATS_TEST_TMPDIR/out.img
}

build() {
	rf build --sysroot "$S" -k "$K" "$@" "$IMG"
}

@test "a missing dependency file is an error naming both modules" {
	rm "$T/kernel/drivers/fake/chain_c.ko"
	build --drivers chain_a
	expect_error 'chain_a.*chain_c.*kernel/drivers/fake/chain_c\.ko'
	[[ ! -e $IMG ]] || fail "an image was written"
	rf_deps chain_a
	expect_error 'chain_a.*chain_c'
}

@test "a missing dependency file of a compressed module (zstd) is an error" {
	rm "$T/kernel/drivers/fake/chain_c.ko"
	rf_deps chain_b
	expect_error 'chain_b.*chain_c'
}

@test "a missing file of the requested module itself is an error" {
	rm "$T/kernel/drivers/fake/chain_c.ko"
	build --drivers chain_c
	expect_error 'chain_c.*kernel/drivers/fake/chain_c\.ko'
	[[ ! -e $IMG ]]
}

@test "an automatic request whose dependency file is missing is left out with a warning" {
	rm "$T/kernel/drivers/fake/chain_c.ko"
	printf 'chain_a\ndia_top\n' > "$S/etc/modules-load.d/x.conf"
	build --drivers ""
	[[ $status -eq 0 ]] || fail "build failed: $err"
	has_line "$err" 'warning: chain_a left out: .*chain_c'
	rf ls --modules "$IMG"
	lacks_line "$out" ' chain_(a|b|c) '
	has_line "$out" ' dia_top '
}

# corrupt FILE HOW: damage a module file in place.
corrupt() {
	local f=$T/$1
	case $2 in
	truncate) head -c "$(($(stat -c %s "$f") / 2))" "$f" > "$f.new" && mv "$f.new" "$f" ;;
	cut-end) head -c "$(($(stat -c %s "$f") - 16))" "$f" > "$f.new" && mv "$f.new" "$f" ;;
	empty) : > "$f" ;;
	not-elf) printf 'this is not an ELF object at all, just text\n%.0s' {1..20} > "$f" ;;
	flip) printf '\xff\xff\xff\xff' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") / 2)) conv=notrunc status=none ;;
	wrong-format) zcat -f < "$f" 2>/dev/null > "$f.raw" || true
		xz -dc < "$f" > "$f.raw" 2>/dev/null || zstd -dc < "$f" > "$f.raw" 2>/dev/null || true
		gzip -n -c "$f.raw" > "$f" && rm -f "$f.raw" ;;
	esac
}

@test "corrupt module files are errors for explicit requests, naming the file" {
	for how in truncate cut-end empty not-elf; do
		rm -rf "$T" && cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$T"
		corrupt kernel/drivers/fake/dia_base.ko "$how"
		rm -f "$IMG"
		build --drivers dia_top
		expect_error 'dia_base.*kernel/drivers/fake/dia_base\.ko' || fail "for: $how"
		[[ ! -e $IMG ]] || fail "an image was written for: $how"
	done
}

@test "corrupt compressed modules (.ko.zst, .ko.xz) are errors, naming the file" {
	for spec in 'kernel/drivers/fake/chain_b.ko.zst chain_a' 'kernel/drivers/net/fake-phy-lib.ko.xz fake_net'; do
		read -r file mod <<< "$spec"
		for how in truncate flip empty wrong-format; do
			rm -rf "$T" && cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$T"
			corrupt "$file" "$how"
			rm -f "$IMG"
			build --drivers "$mod"
			expect_error "$(re_escape "$file")" || fail "for: $file $how"
			[[ ! -e $IMG ]] || fail "an image was written for: $file $how"
		done
	done
}

@test "an existing image stays byte-identical when a module is corrupt" {
	build --drivers dia_top
	[[ $status -eq 0 ]] || fail "build failed: $err"
	cp "$IMG" "$BATS_TEST_TMPDIR/before.img"
	corrupt kernel/drivers/fake/dia_base.ko truncate
	build -f --drivers dia_top
	expect_error 'dia_base'
	cmp "$IMG" "$BATS_TEST_TMPDIR/before.img"
}

@test "a corrupt module chosen automatically is left out with a warning naming the file" {
	corrupt kernel/drivers/fake/dia_base.ko truncate
	printf 'dia_top\nchain_a\n' > "$S/etc/modules-load.d/x.conf"
	build --drivers ""
	[[ $status -eq 0 ]] || fail "build failed: $err"
	has_line "$err" 'warning: .*dia_base.*kernel/drivers/fake/dia_base\.ko'
	rf ls --modules "$IMG"
	lacks_line "$out" ' dia_(base|top|left|right) '
	has_line "$out" ' chain_a '
}

@test "sound modules still build: the checks accept every fixture module" {
	build --drivers "chain_a dia_top fake_net fakefs otherfs fakehash_fast soft_user"
	[[ $status -eq 0 ]] || fail "build failed: $err"
	[[ -z $err ]] || fail "unexpected messages: $err"
}

@test "full kernel: a corrupt module that only the generic symbol rule picks is named in a warning" {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	K=$RF_FULL_KVER
	T=$S/lib/modules/$K
	cp -al "$RF_FULL_ROOT/lib/modules/$K" "$T" # hard links: the fixture stays intact
	f=$T/kernel/drivers/block/floppy.ko
	head -c 1000 "$f" > "$f.new" && rm "$f" && mv "$f.new" "$f"
	rf_deps
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	lacks_line "$out" '^floppy$'
	has_line "$out" '^loop$'
	has_line "$err" 'warning: generic: left out .*kernel/drivers/block/floppy\.ko: truncated'
}
