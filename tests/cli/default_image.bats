#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The default IMAGE is the file the boot loader loads: Debian's GRUB boots /boot/initrd.img-KVER,
# RHEL's and Fedora's boot /boot/initramfs-KVER.img; image= in ramforge.conf overrides both.

load helpers

setup() {
	fake_sysroot
	mkdir -p "$S/boot"
}

build_default() {
	rf build --sysroot "$S" -k "$K" --drivers chain_a "$@"
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

@test "Debian (etc/debian_version): /boot/initrd.img-KVER" {
	echo 12.8 > "$S/etc/debian_version"
	build_default
	[[ -f $S/boot/initrd.img-$K ]] || fail "no initrd.img: $(ls "$S/boot")"
	[[ ! -e $S/boot/initramfs-$K.img ]]
}

@test "an existing /boot/initrd.img-KVER is the default, and -f backs it up under its own name" {
	build_default "$S/boot/initrd.img-$K" --drivers dia_top
	build_default -f -v
	has_line "$err" "replaced $(re_escape "$S/boot/initrd.img-$K"); the old image is now $(re_escape "$S/boot/initrd.img-$K").bak\.[0-9]{2}-[0-9]{2}-[0-9]{6}\$"
	[[ ! -e $S/boot/initramfs-$K.img ]]
}

@test "elsewhere (no etc/debian_version): /boot/initramfs-KVER.img" {
	build_default
	[[ -f $S/boot/initramfs-$K.img ]] || fail "no initramfs-KVER.img: $(ls "$S/boot")"
	[[ ! -e $S/boot/initrd.img-$K ]]
}

@test "image= in ramforge.conf overrides the convention, %k being the kernel version" {
	echo 12.8 > "$S/etc/debian_version"
	rfconf 'image="/boot/ramforge-%k.img"'
	build_default
	[[ -f $S/boot/ramforge-$K.img ]] || fail "no ramforge-KVER.img: $(ls "$S/boot")"
	[[ ! -e $S/boot/initrd.img-$K ]]
}

@test "image= must be an absolute path: an error naming file and line" {
	rfconf '# where' 'image="boot/x.img"'
	rf build --sysroot "$S" -k "$K" --drivers chain_a
	expect_error 'etc/ramforge\.conf:2: image='
}
