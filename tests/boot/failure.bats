#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# When the boot cannot go on: one clear report on the console, then (no shell in the image) a
# reboot after the timeout, which ends QEMU (-no-reboot). Never a hang or a bare panic.

load helpers

setup_file() {
	need_boot
	make_root_disk
	make_sysroot "$BATS_FILE_TMPDIR/sysroot"
	build_image "$BATS_FILE_TMPDIR/blk.img" "$BATS_FILE_TMPDIR/sysroot" --drivers "virtio_pci virtio_blk ext4"
}

setup() {
	need_boot
}

@test "boot: an absent root device gives the failure report and the VM stops within the timeout" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=/dev/vdz rd.timeout=3"
	assert_console 'ramforge-init: ==== cannot continue: root=/dev/vdz did not appear within 3 s ====' \
		'ramforge-init: asked for: root=/dev/vdz ' \
		'ramforge-init: block devices:' \
		'ramforge-init:   /dev/vda ext4 UUID='"$ROOT_UUID"' LABEL='"$ROOT_LABEL" \
		'ramforge-init: modules loaded: .*virtio_blk' \
		'ramforge-init: no /bin/sh in the image: rebooting in 3 s' \
		'reboot: Restarting system'
	refute_console '^RAMFORGE-ROOT-REACHED' 'Kernel panic'
	[[ $took -lt 60 ]] || fail "the VM took $took s to stop"
}

@test "boot: root=UUID= of a disk that is not there names what was asked for" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=UUID=00000000-1111-2222-3333-444444444444 rd.timeout=2"
	assert_console 'cannot continue: root=UUID=00000000-1111-2222-3333-444444444444 did not appear within 2 s' \
		'rebooting in 2 s'
	refute_console '^RAMFORGE-ROOT-REACHED'
}

@test "boot: rd.break=pre-mount stops before mounting the root" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=/dev/vda rd.break=pre-mount rd.timeout=2"
	assert_console 'ramforge-init: ==== cannot continue: rd.break=pre-mount ====' 'rebooting in 2 s'
	refute_console '^RAMFORGE-ROOT-REACHED'
}

@test "boot: init= naming a program the root does not have is reported, not exec'd blindly" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=/dev/vda init=/sbin/nothere rd.timeout=2"
	assert_console 'ramforge-init: ==== cannot continue: init=/sbin/nothere: not found in the root filesystem ====' \
		'rebooting in 2 s'
	refute_console '^RAMFORGE-ROOT-REACHED' 'Kernel panic'
}
