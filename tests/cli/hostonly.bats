#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --hostonly on fake hosts modelled on real machines (tests/fixtures/mkfakehost): the module
# set is exactly what the root's device chain needs (the expected names are derived by hand
# below; modprobe -b --show-depends closes them as the oracle), nothing for the devices off
# the chain, every module explained, problems reported.

load helpers

full_sysroot() {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	make_sysroot "$RF_FULL_ROOT" "$RF_FULL_KVER"
}

# fakehost NAME: H = a fresh fake host of that machine.
fakehost() {
	H=$BATS_TEST_TMPDIR/host-$1
	"$RF_TOP/tests/fixtures/mkfakehost" "$1" "$H"
}

# hostonly_agree NAME...: `deps --hostonly` on H gives exactly modprobe -b's closure of NAMEs.
hostonly_agree() {
	exp=$(oracle -b "$@")
	rf_deps --hostonly --host-root "$H"
	agree "$exp"
	[[ -z $err ]] || fail "unexpected warnings:" "$err"
}

@test "NVMe laptop (full kernel): ext4 and nvme, nothing for the NIC or the unused ESP" {
	full_sysroot
	fakehost nvme
	# / is ext4 on nvme0n1p2 -> fs-ext4 = ext4. Up the chain: nvme0n1 and nvme0 have neither
	# modalias nor driver; 0000:02:00.0 (Samsung 970, class 0108 02) -> nvme, bound to nvme;
	# root port 0000:00:1d.0 (pcieport, built in) has a modalias no module matches.
	# The e1000e NIC at 00:1f.6 and vfat on /boot/efi are not on the root's chain.
	hostonly_agree ext4 nvme
	lacks_line "$out" '^(e1000e|vfat)$'
}

@test "SATA desktop (full kernel): xfs, sd_mod and ahci; the unused NVMe disk is not taken" {
	full_sysroot
	fakehost sata
	# / is xfs on sda2 -> xfs. 0:0:0:0 has modalias scsi:t-0x00 (a disk) -> sd_mod, bound to
	# driver sd of module sd_mod; ata1, host0, target0:0:0 have neither; 0000:00:17.0 (Intel
	# SATA, class 0106 01) -> ahci, bound to ahci. The NVMe disk holds /data only.
	hostonly_agree xfs sd_mod ahci
	lacks_line "$out" '^nvme$'
}

@test "virtio VM (full kernel): ext4, virtio_blk and virtio_pci; not virtio_net" {
	full_sysroot
	fakehost virtio
	# / is ext4 on vda1 -> ext4. virtio1 (virtio:d00000002v00001AF4, a block device) ->
	# virtio_blk; 0000:00:04.0 (1af4:1001) -> virtio_pci. The virtio NIC at 00:03.0 is off
	# the chain, so virtio_net is not taken although its transport is the same module.
	hostonly_agree ext4 virtio_blk virtio_pci
	lacks_line "$out" '^virtio_net$'
}

@test "dm-crypt over NVMe (full kernel): dm_crypt, dm_mod, the host's xts(aes) cipher and the nvme chain" {
	full_sysroot
	fakehost dmcrypt-nvme
	# / is ext4 on /dev/mapper/nvme0n1p3_crypt = dm-0 -> ext4; dm-0 -> dm_mod, and its uuid
	# CRYPT-LUKS2-... -> dm_crypt; /proc/crypto shows xts(aes) and aes from aesni_intel (the
	# shash entries crc32c_intel and sha256_ssse3 are not ciphers); slave nvme0n1p3 -> nvme.
	hostonly_agree ext4 dm_mod dm_crypt aesni_intel nvme
	lacks_line "$out" '^sha256_ssse3$'
}

@test "the QEMU machine of the boot tests (cloud kernel): ext4, virtio_blk, virtio_pci" {
	cloud_sysroot
	fakehost qemu-virtio
	# pc machine: whole-disk ext4 on vda (virtio0 at 00:04.0); e1000 at 00:03.0 and PIIX IDE
	# at 00:01.1 are off the chain.
	hostonly_agree ext4 virtio_blk virtio_pci
	lacks_line "$out" '^(e1000|ata_piix)$'
}

@test "--explain names the root, the modalias or the driver behind each module" {
	full_sysroot
	fakehost dmcrypt-nvme
	rf_deps --hostonly --host-root "$H" --explain
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^ext4 kernel/fs/ext4/ext4\.ko alias fs-ext4 \(hostonly: root /dev/mapper/nvme0n1p3_crypt \(ext4\)\) signer=.*$'
	has_line "$out" '^dm_crypt kernel/drivers/md/dm-crypt\.ko hostonly: dm-0 \(nvme0n1p3_crypt\) has dm uuid CRYPT-\.\.\. signer=.*$'
	has_line "$out" '^aesni_intel [^ ]+ hostonly: cipher xts\(aes\) registered on the host'
	has_line "$out" '^nvme kernel/drivers/nvme/host/nvme\.ko alias pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02 \(hostonly: modalias of /sys/devices/pci0000:00/0000:00:1d\.0/0000:02:00\.0\) signer=.*$'
}

@test "hostonly=\"yes\" in ramforge.conf selects the probe; --generic on the command line wins" {
	full_sysroot
	fakehost nvme
	rfconf 'hostonly="yes"'
	exp=$(oracle -b ext4 nvme)
	rf_deps --host-root "$H"
	agree "$exp"
	rf_deps --host-root "$H" --generic
	has_line "$out" '^ahci$'
}

@test "the blacklist applies to hostonly modules" {
	full_sysroot
	fakehost sata
	modconf bl.conf "blacklist ahci"
	rf_deps --hostonly --host-root "$H" --explain
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	lacks_line "$out" '^ahci kernel'
	has_line "$out" '^ahci - left out: etc/modprobe\.d/bl\.conf:1: blacklist ahci'
	has_line "$out" '^sd_mod '
}

@test "--drivers and positional NAMEs skip the probe" {
	full_sysroot
	exp=$(oracle vfat)
	rf_deps --hostonly --host-root /nonexistent --drivers vfat
	agree "$exp"
	rf_deps --hostonly --host-root /nonexistent vfat
	agree "$exp"
}

@test "btrfs root (anonymous 0:N device in mountinfo): found through the mount source" {
	full_sysroot
	fakehost nvme
	sed -i 's|^27 1 .*|27 1 0:31 /@ / rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,subvol=/@|' \
		"$H/proc/self/mountinfo"
	hostonly_agree btrfs nvme
}

@test "a root that is not a block device: its file system module and a warning" {
	full_sysroot
	fakehost virtio
	sed -i 's|^27 1 .*|27 1 0:52 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w|' \
		"$H/proc/self/mountinfo"
	exp=$(oracle -b overlay)
	rf_deps --hostonly --host-root "$H"
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	[[ $(printf '%s\n' "$out" | sort) == "$(printf '%s\n' "$exp" | sort)" ]] || fail "got: $out"
	has_line "$err" '^ramforge: warning: hostonly: the root file system \(overlay on overlay, device 0:52\) is not a block device'
}

@test "no mountinfo under the host root is an error naming the file" {
	full_sysroot
	fakehost nvme
	rm "$H/proc/self/mountinfo"
	rf_deps --hostonly --host-root "$H"
	expect_error "hostonly: cannot read .*/proc/self/mountinfo: No such file or directory"
}

@test "a missing host root is an error" {
	full_sysroot
	rf_deps --hostonly --host-root "$BATS_TEST_TMPDIR/nope"
	expect_error "hostonly: host root .*/nope: No such file or directory"
}
