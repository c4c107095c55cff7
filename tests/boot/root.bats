#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Boot Debian's cloud kernel in QEMU (TCG) with a ramforge image and reach an ext4 root named
# each way a user can name it, on virtio-blk and on virtio-scsi.

load helpers

setup_file() {
	need_boot
	make_root_disk
	make_gpt_disk
	make_sysroot "$BATS_FILE_TMPDIR/sysroot"
	build_image "$BATS_FILE_TMPDIR/blk.img" "$BATS_FILE_TMPDIR/sysroot" --drivers "virtio_pci virtio_blk ext4"
	build_image "$BATS_FILE_TMPDIR/scsi.img" "$BATS_FILE_TMPDIR/sysroot" --drivers "virtio_pci virtio_scsi sd_mod ext4"
}

setup() {
	need_boot
}

@test "boot: root=/dev/vda on virtio-blk reaches the root's init, read-only by default" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=/dev/vda"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	assert_console '^RF-ROOTMOUNT: /dev/vda / ext4 ro,' \
		'ramforge-init: mounted /dev/vda on / \(ro\); running /sbin/init; init took [0-9]+ ms'
	# /dev /proc /sys /run were moved into the new root, not left behind
	assert_console '^RF-MOUNTS: /dev /proc /sys /run / '
	# the init's messages reached the kernel log (/dev/kmsg), not only the console
	assert_console '^RF-KMSG: .*ramforge-init: mounted /dev/vda'
}

@test "boot: root=UUID= is found with libblkid; rootflags= reach the mount" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=UUID=$ROOT_UUID rootflags=noatime,commit=7"
	assert_reached_root
	assert_console '^RF-ROOTMOUNT: /dev/vda / ext4 ro,noatime,.*commit=7' 'ramforge-init: mounted /dev/vda on /'
}

@test "boot: root=LABEL= with rw mounts read-write" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=LABEL=$ROOT_LABEL rw"
	assert_reached_root
	assert_console '^RF-ROOTMOUNT: /dev/vda / ext4 rw,' 'ramforge-init: mounted /dev/vda on / \(rw\)'
}

@test "boot: root on virtio-scsi (/dev/sda) with virtio_scsi and sd_mod" {
	boot "$BATS_FILE_TMPDIR/scsi.img" "root=/dev/sda rootfstype=ext4" scsi
	assert_reached_root
	assert_module_loaded virtio_scsi sd_mod scsi_mod
	refute_module_loaded virtio_blk
	assert_console '^RF-ROOTMOUNT: /dev/sda / ext4 ro,'
}

@test "boot: root=PARTUUID= and root=PARTLABEL= find partition 1 of a GPT disk" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=PARTUUID=${ROOT_PARTUUID^^}" gpt
	assert_reached_root
	assert_console '^RF-ROOTMOUNT: /dev/vda1 / ext4 ro,'
	boot "$BATS_FILE_TMPDIR/blk.img" "root=PARTLABEL=rfpart" gpt
	assert_reached_root
	assert_console '^RF-ROOTMOUNT: /dev/vda1 / ext4 ro,'
}

@test "boot: the default image (the generic module set, no driver list) reaches the root" {
	build_image "$BATS_TEST_TMPDIR/generic.img" "$BATS_FILE_TMPDIR/sysroot"
	boot "$BATS_TEST_TMPDIR/generic.img" "root=UUID=$ROOT_UUID quiet"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	# drivers for absent hardware may say ENODEV; nothing may fail for a wrong order or format
	refute_console 'cannot load .*: (Invalid argument|Unknown symbol|Exec format|Key was rejected)'
}
