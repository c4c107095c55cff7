#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge build` on inputs it cannot represent in an image: one clear line naming what and
# why, a non-zero exit, and no image written.

load helpers

setup() {
	fake_sysroot
	IMG=$BATS_TEST_TMPDIR/out.img
}

# A copy of the fake tree (instead of the shared link) with one more module, KO (a path
# under kernel/), indexed by depmod.
tree_with() {
	rm "$S/lib/modules/$K"
	cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$S/lib/modules/$K"
	printf 'static const char mi[] __attribute__((section(".modinfo"), used, aligned(1))) = "license=GPL";\n' |
		gcc -c -x c -o "$S/lib/modules/$K/$1" -
	echo "$1" >> "$S/lib/modules/$K/modules.order"
	depmod -b "$S" "$K"
}

@test "a module file named x,y.ko: the error names the module and its file" {
	tree_with kernel/drivers/fake/x,y.ko
	rf_deps x,y
	((status == 0)) || fail "deps: $err"
	rf build --sysroot "$S" --kver "$K" --drivers x,y --no-modules-load "$IMG"
	expect_error "module 'x,y' \(kernel/drivers/fake/x,y\.ko\): .*','"
	[[ ! -e $IMG ]] || fail "an image was written"
}

@test "SOURCE_DATE_EPOCH past 2^32-1 is an error naming the value and the limit" {
	SOURCE_DATE_EPOCH=4294967296 rf build --sysroot "$S" --kver "$K" --drivers chain_a "$IMG"
	expect_error "SOURCE_DATE_EPOCH=4294967296 .*4294967295"
	[[ ! -e $IMG ]] || fail "an image was written"
	SOURCE_DATE_EPOCH=99999999999999999999 rf build --sysroot "$S" --kver "$K" --drivers chain_a "$IMG"
	expect_error "SOURCE_DATE_EPOCH"
	SOURCE_DATE_EPOCH=4294967295 rf build --sysroot "$S" --kver "$K" --drivers chain_a "$IMG"
	((status == 0)) || fail "$err"
	rf ls "$IMG"
	has_line "$out" " 2106-02-07 06:28 init$"
}
