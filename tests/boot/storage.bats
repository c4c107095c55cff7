#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Roots on LVM, LUKS2 and md RAID1 (the disks of tests/fixtures/mkdisks), each reached by an
# image that `ramforge build` makes for Debian's full kernel with the Debian root as the sysroot
# (tests/fixtures/mkdebroot: its lvm, cryptsetup and mdadm go into the image), booted in QEMU
# (TCG). The root's /sbin/init prints the marker and, as RF-PARAM lines, what the block layer
# says of the stack under it (device-mapper names, the array's missing members).
# The off switches (rd.lvm=0, rd.luks=0, rd.md=0) and three wrong passphrases each end in the
# failure report, then the reboot.

load helpers

DRIVERS="virtio_pci virtio_blk ext4"
# cryptsetup's prompt ("Enter passphrase for /dev/vda1: "); not its "No key available with
# this passphrase."
PROMPT='passphrase for '

setup() {
	# (here, not in setup_file: bats 1.8 reports a skip there as a failure)
	need_storage
	S=$BATS_FILE_TMPDIR/sysroot
	unpack_debroot "$S"
	VMLINUZ=$S/boot/vmlinuz-$KVER
}

teardown() {
	# the crypttab test's files in the shared sysroot
	[[ -n ${S:-} ]] || return 0
	rm -rf "$S/etc/crypttab" "$S/etc/keys"
}

# image NAME [ramforge build options...]: BATS_FILE_TMPDIR/NAME.img, built once for the file.
image() {
	local name=$1
	shift
	IMG=$BATS_FILE_TMPDIR/$name.img
	[[ -s $IMG ]] || build_image "$IMG" "$S" "$@"
}

# The root was reached on the device-mapper device dm-N called NAME.
assert_dm() { # N NAME
	assert_console "^RF-PARAM \.\./block/dm-$1/dm/name=$2\$"
}

# What the failure report says when the root did not appear, then the reboot.
assert_root_missing() { # ROOT SECS
	assert_console "ramforge-init: ==== cannot continue: root=$1 did not appear within $2 s ====" \
		"ramforge-init: no /bin/sh in the image: rebooting in $2 s" 'reboot: Restarting system'
	refute_console '^RAMFORGE-ROOT-REACHED'
}

@test "storage: an LVM LV by root=/dev/rfvg/root (--add-bundles lvm)" {
	image lvm --drivers "$DRIVERS" --add-bundles lvm
	with_disks "$RF_DISKS/lvm.img"
	boot "$IMG" "root=/dev/rfvg/root" none
	assert_reached_root
	assert_dm 0 rfvg-root
	assert_console '^RF-ROOTMOUNT: /dev/(rfvg/root|mapper/rfvg-root|dm-0) / ext4 ro,'
	assert_module_loaded dm_mod
	refute_console 'cannot continue'
}

@test "storage: an LVM LV by root=UUID=, rd.lvm.lv= naming it" {
	image lvm --drivers "$DRIVERS" --add-bundles lvm
	with_disks "$RF_DISKS/lvm.img"
	boot "$IMG" "root=UUID=$RF_DISK_LVM_FS_UUID rd.lvm.lv=rfvg/root" none
	assert_reached_root
	assert_dm 0 rfvg-root
	assert_console '^RF-ROOTMOUNT: /dev/[^ ]+ / ext4 ro,'
}

@test "storage: rd.lvm=0 turns the LVM step off: the LV never appears" {
	image lvm --drivers "$DRIVERS" --add-bundles lvm
	with_disks "$RF_DISKS/lvm.img"
	boot "$IMG" "root=/dev/rfvg/root rd.lvm=0 rd.timeout=5" none
	assert_root_missing /dev/rfvg/root 5
	# the PV was there all along
	assert_console 'ramforge-init:   /dev/vda LVM2_member UUID='
	refute_console '/dev/dm-0 '
}

@test "storage: a generic image (no drivers, no bundles named) reaches the root on LVM" {
	image generic
	with_disks "$RF_DISKS/lvm.img"
	boot "$IMG" "root=/dev/rfvg/root" none
	assert_reached_root
	assert_dm 0 rfvg-root
	assert_module_loaded virtio_blk dm_mod
}

@test "storage: LUKS2 with the passphrase typed on the serial console" {
	image crypt --drivers "$DRIVERS" --add-bundles crypt
	with_disks "$RF_DISKS/luks.img"
	boot_typing "$IMG" "root=UUID=$RF_DISK_LUKS_FS_UUID" "$PROMPT" "$RF_DISK_PASSPHRASE"
	assert_reached_root
	[[ $prompts -eq 1 ]] || fail "the passphrase was asked for $prompts times, not once"
	# dm-crypt's mapping of this LUKS2 volume
	assert_console "^RF-PARAM \.\./block/dm-0/dm/uuid=CRYPT-LUKS2-${RF_DISK_LUKS_UUID//-/}-"
	assert_module_loaded dm_crypt
	# typed without echo
	refute_console "$RF_DISK_PASSPHRASE"
}

@test "storage: LUKS2 after one wrong passphrase, rd.luks.uuid= naming it" {
	image crypt --drivers "$DRIVERS" --add-bundles crypt
	with_disks "$RF_DISKS/luks.img"
	boot_typing "$IMG" "root=UUID=$RF_DISK_LUKS_FS_UUID rd.luks.uuid=$RF_DISK_LUKS_UUID" "$PROMPT" \
		not-the-passphrase "$RF_DISK_PASSPHRASE"
	assert_reached_root
	[[ $prompts -eq 2 ]] || fail "the passphrase was asked for $prompts times, not twice"
	assert_console "^RF-PARAM \.\./block/dm-0/dm/uuid=CRYPT-LUKS2-${RF_DISK_LUKS_UUID//-/}-"
	refute_console "$RF_DISK_PASSPHRASE" not-the-passphrase
}

@test "storage: three wrong passphrases: the failure report lists the crypt step's exit status, then the timeout" {
	image crypt --drivers "$DRIVERS" --add-bundles crypt
	with_disks "$RF_DISKS/luks.img"
	boot_typing "$IMG" "root=UUID=$RF_DISK_LUKS_FS_UUID rd.timeout=25" "$PROMPT" wrong-1 wrong-2 wrong-3
	[[ $prompts -eq 3 ]] || fail "the passphrase was asked for $prompts times, not 3"
	assert_root_missing "UUID=$RF_DISK_LUKS_FS_UUID" 25
	assert_console "ramforge-init:   /dev/vda1 crypto_LUKS UUID=$RF_DISK_LUKS_UUID" \
		'ramforge-init: +crypt /dev/vda1: .*exit status 2( |$)'
	refute_console "wrong-[123]"
}

@test "storage: rd.luks=0 turns the LUKS step off: no prompt, no root" {
	image crypt --drivers "$DRIVERS" --add-bundles crypt
	with_disks "$RF_DISKS/luks.img"
	boot_typing "$IMG" "root=UUID=$RF_DISK_LUKS_FS_UUID rd.luks=0 rd.timeout=5" "$PROMPT"
	[[ $prompts -eq 0 ]] || fail "the passphrase was asked for with rd.luks=0"
	assert_root_missing "UUID=$RF_DISK_LUKS_FS_UUID" 5
}

@test "storage: LUKS2 by the crypttab's key file, no prompt; the image is mode 0600" {
	mkdir -m 0700 "$S/etc/keys"
	install -m 0600 "$RF_DISK_LUKS_KEY" "$S/etc/keys/root.key"
	echo "root_crypt UUID=$RF_DISK_LUKS_UUID /etc/keys/root.key luks,initramfs" > "$S/etc/crypttab"
	IMG=$BATS_TEST_TMPDIR/keyfile.img
	build_image "$IMG" "$S" --drivers "$DRIVERS" --add-bundles crypt
	# it holds a key: only root may read it
	[[ $(stat -c %a "$IMG") == 600 ]] || fail "the image is mode $(stat -c %a "$IMG")"
	run "$RAMFORGE" ls "$IMG"
	[[ $status -eq 0 ]] || fail "ramforge ls failed:" "$output"
	grep -q 'etc/keys/root.key' <<< "$output" || fail "no etc/keys/root.key in the image:" "$output"
	with_disks "$RF_DISKS/luks.img"
	boot_typing "$IMG" "root=UUID=$RF_DISK_LUKS_FS_UUID" "$PROMPT"
	[[ $prompts -eq 0 ]] || fail "the passphrase was asked for though the key file is in the image"
	assert_reached_root
	# the mapping has the crypttab's name
	assert_dm 0 root_crypt
}

@test "storage: LUKS2 with LVM inside (the passphrase typed)" {
	image cryptlvm --drivers "$DRIVERS" --add-bundles "crypt lvm"
	with_disks "$RF_DISKS/lukslvm.img"
	boot_typing "$IMG" "root=/dev/rfcvg/root" "$PROMPT" "$RF_DISK_PASSPHRASE"
	assert_reached_root
	[[ $prompts -eq 1 ]] || fail "the passphrase was asked for $prompts times, not once"
	# dm-0 is the LUKS mapping, dm-1 the LV on it
	assert_console '^RF-PARAM \.\./block/dm-0/dm/name=[^ ]+$'
	assert_dm 1 rfcvg-root
}

# The root's /proc/mdstat (after "RF-PARAM ../../proc/mdstat="): one RAID1 array of two
# members, with both in sync ([2/2] [UU]) or one missing ([2/1] [U_]).
assert_raid1() { # IN-SYNC UP
	assert_console '^RF-PARAM \.\./\.\./proc/mdstat=Personalities : .*\[raid1\]' \
		'^md[^ ]* : active (\(auto-read-only\) )?raid1 vd[ab]\[[01]\]' \
		"^ +[0-9]+ blocks super 1\\.2 \\[2/$1\\] \\[$2\\]\$"
}

# mdadm 4.2 makes the array's node and opens it before the kernel has the array: the kernel's
# "block device autoloading is deprecated" warning is then mdadm's, not the init's.
MDADM_AUTOLOAD='ramforge-init: step mdraid: [^ ]*mdadm '

@test "storage: md RAID1 with both disks, rd.md.uuid= naming it" {
	image md --drivers "$DRIVERS" --add-bundles mdraid
	with_disks "$RF_DISKS/md-a.img" "$RF_DISKS/md-b.img"
	BOOT_AUTOLOAD_OK=$MDADM_AUTOLOAD
	boot "$IMG" "root=UUID=$RF_DISK_MD_FS_UUID rd.md.uuid=$RF_DISK_MD_UUID" none
	assert_reached_root
	assert_raid1 2 UU
	assert_module_loaded raid1 md_mod
	# whole: not started by the step for a missing root
	refute_console 'ramforge-init: step mdraid: [^ ]*mdadm .*--run'
}

@test "storage: md RAID1 with one disk missing starts degraded after a delay" {
	image md --drivers "$DRIVERS" --add-bundles mdraid
	with_disks "$RF_DISKS/md-a.img"
	BOOT_AUTOLOAD_OK=$MDADM_AUTOLOAD
	boot "$IMG" "root=UUID=$RF_DISK_MD_FS_UUID" none
	assert_reached_root
	assert_raid1 1 U_
	# the member alone is not enough to start it; the step for a missing root runs it
	assert_console 'ramforge-init: step mdraid: [^ ]*mdadm .*--run'
}

@test "storage: rd.md=0 turns the md step off: the array is not assembled" {
	image md --drivers "$DRIVERS" --add-bundles mdraid
	with_disks "$RF_DISKS/md-a.img" "$RF_DISKS/md-b.img"
	boot "$IMG" "root=UUID=$RF_DISK_MD_FS_UUID rd.md=0 rd.timeout=5" none
	assert_root_missing "UUID=$RF_DISK_MD_FS_UUID" 5
	assert_console 'ramforge-init:   /dev/vda linux_raid_member UUID='
	refute_console 'ramforge-init:   /dev/md'
}

@test "storage: LVM on md RAID1" {
	image mdlvm --drivers "$DRIVERS" --add-bundles "mdraid lvm"
	with_disks "$RF_DISKS/mdlvm-a.img" "$RF_DISKS/mdlvm-b.img"
	BOOT_AUTOLOAD_OK=$MDADM_AUTOLOAD
	boot "$IMG" "root=/dev/rfmvg/root" none
	assert_reached_root
	assert_raid1 2 UU
	assert_dm 0 rfmvg-root
}
