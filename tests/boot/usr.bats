#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# A separate /usr: the root's /etc/fstab names it (by UUID, on a second virtio disk), and the
# init mounts it on /sysroot/usr before switch_root, as systemd requires of an initramfs. A /usr
# device that never appears ends in the failure block, which names it.

load helpers

USR_UUID=3b2f6c1d-8e4a-4f70-9a5b-6c7d8e9f0a1b

setup_file() {
	need_boot
	local t=$BATS_FILE_TMPDIR
	mkdir -p "$t/extra/etc" "$t/extra/usr" "$t/usrfs/share"
	printf '# the root and a separate /usr\n/dev/vda / ext4 defaults 0 1\n' > "$t/extra/etc/fstab"
	printf 'UUID=%s /usr ext4 defaults,noatime,x-systemd.device-timeout=5 0 2\n' "$USR_UUID" \
		>> "$t/extra/etc/fstab"
	"$RF_TOP/tests/fixtures/mkrootdisk" "$t/root.img" -U "$ROOT_UUID" -L "$ROOT_LABEL" \
		-a "$t/extra" >/dev/null
	echo usr-disk > "$t/usrfs/share/rf-usr-marker"
	truncate -s 8M "$t/usr.img"
	mke2fs -q -F -t ext4 -L rfusr -U "$USR_UUID" -d "$t/usrfs" "$t/usr.img" 8M
	make_sysroot "$t/sysroot"
	build_image "$t/usr-test.img" "$t/sysroot" --drivers "virtio_pci virtio_blk ext4"
}

setup() {
	need_boot
}

@test "boot: the root's fstab names a /usr on a second disk: mounted before the root's init runs" {
	with_disks "$BATS_FILE_TMPDIR/root.img" "$BATS_FILE_TMPDIR/usr.img"
	boot "$BATS_FILE_TMPDIR/usr-test.img" "root=/dev/vda rd.debug" none
	assert_reached_root
	# the root's init sees /usr mounted (its mount list), from the second disk, with fstab's options
	assert_console '^RF-MOUNTS: .* /usr ' \
		'ramforge-init: mounted /dev/vdb on /usr \(rw,noatime\)'
	refute_console 'cannot continue'
}

@test "boot: a /usr device that does not appear gives the failure block, naming it" {
	with_disks "$BATS_FILE_TMPDIR/root.img"
	boot "$BATS_FILE_TMPDIR/usr-test.img" "root=/dev/vda rd.timeout=3" none
	assert_console "cannot continue: /usr: device UUID=$USR_UUID \(/etc/fstab line 3\) did not appear within 3 s"
	refute_console '^RAMFORGE-ROOT-REACHED'
}
