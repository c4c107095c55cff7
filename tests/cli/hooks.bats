#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The kernel hooks: Debian's postinst.d/postrm.d and the kernel-install plugin build and remove
# images for a kernel version they are given, in a sysroot (RAMFORGE_SYSROOT) for the test.

load helpers

setup() {
	fake_sysroot
	mkdir -p "$S/boot"
	rfconf 'add_drivers="chain_a"'
	export RAMFORGE RAMFORGE_SYSROOT=$S
}

@test "postinst.d hook builds /boot/initrd.img-VERSION for the new kernel" {
	run "$RF_TOP/hooks/postinst.d-ramforge" "$K" "/boot/vmlinuz-$K"
	[ "$status" -eq 0 ] || fail "$output"
	[ -s "$S/boot/initrd.img-$K" ]
	"$RAMFORGE" ls --modules "$S/boot/initrd.img-$K" | grep -q ' chain_a '
}

@test "postinst.d hook replaces an existing image and keeps a backup" {
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	old=$(sha256sum < "$S/boot/initrd.img-$K")
	rfconf 'add_drivers="chain_a dia_top"'
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	ls "$S/boot" | grep -q "^initrd.img-$K.bak\."
	[ "$(sha256sum < "$S/boot"/initrd.img-"$K".bak.*)" = "$old" ]
	"$RAMFORGE" ls --modules "$S/boot/initrd.img-$K" | grep -q ' dia_top '
}

@test "the hooks do nothing where ramforge is not configured (another generator owns /boot)" {
	rm "$S/etc/ramforge.conf"
	run "$RF_TOP/hooks/postinst.d-ramforge" "$K"
	[ "$status" -eq 0 ]
	[ ! -e "$S/boot/initrd.img-$K" ]
}

@test "postrm.d hook removes the image and its backups" {
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	"$RF_TOP/hooks/postrm.d-ramforge" "$K"
	[ -z "$(ls "$S/boot")" ]
}

@test "a failing build in the hook fails the hook and leaves the old image" {
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	old=$(sha256sum < "$S/boot/initrd.img-$K")
	rfconf 'add_drivers="no_such_module"'
	run "$RF_TOP/hooks/postinst.d-ramforge" "$K"
	[ "$status" -ne 0 ]
	[[ $output == *no_such_module* ]]
	[ "$(sha256sum < "$S/boot/initrd.img-$K")" = "$old" ]
}

@test "kernel-install plugin writes the initrd into the staging area" {
	mkdir -p "$BATS_TEST_TMPDIR/stage"
	KERNEL_INSTALL_STAGING_AREA=$BATS_TEST_TMPDIR/stage \
		run "$RF_TOP/hooks/50-ramforge.install" add "$K" "$BATS_TEST_TMPDIR/entry" /dev/null
	[ "$status" -eq 0 ] || fail "$output"
	"$RAMFORGE" ls --modules "$BATS_TEST_TMPDIR/stage/initrd" | grep -q ' chain_a '
}
