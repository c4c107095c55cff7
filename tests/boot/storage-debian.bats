#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# A real Debian 12 root (tests/fixtures/mkdebroot: systemd, udev, lvm2) on an LVM LV
# (debian-lvm.img of tests/fixtures/mkdisks, /etc/fstab mounting /dev/rfdeb/root on /) boots
# with a ramforge image to systemd as PID 1. The device-mapper device that ramforge-init made
# without udev must satisfy systemd after the switch: the boot ends "running", no unit failed,
# no job is left waiting for a /dev/mapper device. The root's rf-report unit prints what
# systemd says on the console (RF-* lines, after "rf-report[PID]: ") and powers off.

load helpers

setup() {
	# (here, not in setup_file: bats 1.8 reports a skip there as a failure)
	need_storage
	S=$BATS_FILE_TMPDIR/sysroot
	unpack_debroot "$S"
	VMLINUZ=$S/boot/vmlinuz-$KVER
	BOOT_MEM=1024
	BOOT_TIMEOUT=${RF_BOOT_TIMEOUT:-400}
}

@test "storage-debian: Debian 12 on LVM boots to systemd running, no failed unit, no job waiting for the LV" {
	# the generic selection and the lvm bundle, as a Debian system's image would be
	build_image "$BATS_TEST_TMPDIR/debian.img" "$S" --add-bundles lvm
	with_disks "$RF_DISKS/debian-lvm.img"
	boot "$BATS_TEST_TMPDIR/debian.img" "root=/dev/rfdeb/root ro" none
	echo "# boot to multi-user on LVM: $took s" >&3
	assert_console 'ramforge-init: mounted [^ ]+ on / \(ro\)'
	assert_console 'RF-STATE: running' 'RF-FAILED: *$' 'RF-JOBS: *$'
	# systemd knows the LV by both names (fstab's and the kernel's), from udev's database
	assert_console 'RF-DEVICES: .*dev-mapper-rfdeb\\x2droot\.device loaded active plugged' \
		'RF-DEVICES: .*dev-rfdeb-root\.device loaded active plugged' \
		'RF-UDEV-ROOT: .*DM_UDEV_PRIMARY_SOURCE_FLAG=1' 'RF-UDEV-ROOT: .*DM_NAME=rfdeb-root'
	refute_console 'A start job is running for' 'Timed out waiting for device' 'Dependency failed'
	# checked read-only, then remounted read-write as fstab says
	assert_console 'RF-ROOTMOUNT: [^ ]+ / ext4 rw,'
	assert_console 'RF-MODULES: .*dm_mod'
}
