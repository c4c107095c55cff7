#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# One generic image (no driver named anywhere) for Debian's full kernel boots on every common
# disk controller: the init's coldplug loads the drivers of the devices that are there, and
# only those. The blacklist holds for coldplug but not for a module asked for by name. A
# hostonly image built from a fake tree describing the QEMU machine boots too.

load helpers

setup_file() {
	need_full_boot
	make_root_disk
	make_sysroot "$BATS_FILE_TMPDIR/sysroot"
	build_image "$BATS_FILE_TMPDIR/generic.img" "$BATS_FILE_TMPDIR/sysroot"
}

setup() {
	need_full_boot
	BOOT_MEM=1024
}

# The disk controllers' drivers: the test for each names the one it needs; the others must
# stay unloaded.
CONTROLLERS=(virtio_blk virtio_scsi ahci nvme xhci_pci usb_storage uas)

refute_other_controllers() { # NEEDED...
	local m others=()
	for m in "${CONTROLLERS[@]}"; do
		[[ " $* " == *" $m "* ]] || others+=("$m")
	done
	refute_module_loaded "${others[@]}"
}

@test "generic image: the plan loads scan modules on demand and nothing early" {
	run "$RAMFORGE" ls "$BATS_FILE_TMPDIR/generic.img"
	[[ $output == *modules.alias* ]] || fail "no modules.alias in the image:" "$output"
	"$RAMFORGE" ls --unpack "$BATS_TEST_TMPDIR/x" "$BATS_FILE_TMPDIR/generic.img"
	local plan=$BATS_TEST_TMPDIR/x/etc/ramforge/plan
	[[ $(grep -c '^mod ' "$plan") -gt 100 ]] || fail "a generic plan of only:" "$(cat "$plan")"
	! grep -qE '^mod [^ ]+ [^ ]+ early ' "$plan" || fail "early modules in a generic plan:" \
		"$(grep -E '^mod [^ ]+ [^ ]+ early ' "$plan")"
	# -a makes a module early, with its dependencies, and leaves the scan's modules late
	build_image "$BATS_TEST_TMPDIR/a.img" "$BATS_FILE_TMPDIR/sysroot" -a virtio_blk
	"$RAMFORGE" ls --unpack "$BATS_TEST_TMPDIR/y" "$BATS_TEST_TMPDIR/a.img"
	plan=$BATS_TEST_TMPDIR/y/etc/ramforge/plan
	run grep -oE '^mod [^ ]+ [^ ]+ early' "$plan"
	[[ $(awk '{print $2}' <<< "$output" | sort | tr '\n' ' ') == "virtio virtio_blk virtio_ring " ]] ||
		fail "early modules with -a virtio_blk:" "$output"
	grep -qE '^mod nvme [^ ]+ late ' "$plan" || fail "nvme is not late:" "$(grep '^mod nvme ' "$plan")"
}

@test "generic image: root on virtio-blk loads virtio_blk and no other controller's driver" {
	boot "$BATS_FILE_TMPDIR/generic.img" "root=UUID=$ROOT_UUID rd.debug"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk ext4
	refute_other_controllers virtio_blk
	assert_console 'ramforge-init: coldplug: loading virtio_blk for virtio:d00000002v'
	refute_console 'cannot load .*: (Invalid argument|Unknown symbol|Exec format|Key was rejected)'
}

@test "generic image: root on virtio-scsi loads virtio_scsi and sd_mod" {
	boot "$BATS_FILE_TMPDIR/generic.img" "root=UUID=$ROOT_UUID" scsi
	assert_reached_root
	assert_module_loaded virtio_pci virtio_scsi sd_mod
	refute_other_controllers virtio_scsi
	assert_console '^RF-ROOTMOUNT: /dev/sd[a-z] / ext4 '
}

@test "generic image: root on AHCI loads ahci and sd_mod" {
	boot "$BATS_FILE_TMPDIR/generic.img" "root=UUID=$ROOT_UUID" ahci
	assert_reached_root
	assert_module_loaded ahci libahci sd_mod
	refute_other_controllers ahci
	refute_module_loaded virtio_pci
}

@test "generic image: root on NVMe loads nvme" {
	boot "$BATS_FILE_TMPDIR/generic.img" "root=UUID=$ROOT_UUID" nvme
	assert_reached_root
	assert_module_loaded nvme nvme_core
	refute_other_controllers nvme
	assert_console '^RF-ROOTMOUNT: /dev/nvme0n1 / ext4 '
}

@test "generic image: root on USB storage loads xhci_pci, usb_storage and sd_mod" {
	boot "$BATS_FILE_TMPDIR/generic.img" "root=UUID=$ROOT_UUID" usb
	assert_reached_root
	assert_module_loaded xhci_pci xhci_hcd usb_storage sd_mod
	# uas claims bulk-only devices too (its aliases match ip50), as udev would load it
	refute_other_controllers xhci_pci usb_storage uas
}

@test "generic image: modprobe.blacklist= keeps a present device's driver from loading" {
	# QEMU's pc machine has a floppy controller, whose driver the generic image holds
	boot "$BATS_FILE_TMPDIR/generic.img" "root=UUID=$ROOT_UUID modprobe.blacklist=floppy"
	assert_reached_root
	refute_module_loaded floppy
	assert_module_loaded virtio_blk
	assert_console 'ramforge-init: coldplug: floppy matches acpi:PNP0700: but is blacklisted \(the kernel command line\): not loaded'
}

@test "blacklist virtio_rng keeps it out of coldplug; -a virtio_rng loads it" {
	local s=$BATS_TEST_TMPDIR/rng
	make_sysroot "$s"
	echo "blacklist virtio_rng" > "$s/etc/modprobe.d/rng.conf"
	build_image "$BATS_TEST_TMPDIR/bl.img" "$s"
	build_image "$BATS_TEST_TMPDIR/a.img" "$s" -a virtio_rng
	BOOT_EXTRA=(-device virtio-rng-pci)
	boot "$BATS_TEST_TMPDIR/bl.img" "root=UUID=$ROOT_UUID"
	assert_reached_root
	assert_module_loaded virtio_blk
	refute_module_loaded virtio_rng
	boot "$BATS_TEST_TMPDIR/a.img" "root=UUID=$ROOT_UUID"
	assert_reached_root
	assert_module_loaded virtio_blk virtio_rng
}

@test "the image's modprobe.d blacklist stops coldplug of a module the image holds" {
	# ehci_pci is in the image as the softdep of ohci_pci and uhci_hcd, but a device that
	# matches it must not load it: modprobe -b would not
	local s=$BATS_TEST_TMPDIR/ehci
	make_sysroot "$s"
	echo "blacklist ehci_pci" > "$s/etc/modprobe.d/ehci.conf"
	build_image "$BATS_TEST_TMPDIR/ehci.img" "$s"
	run "$RAMFORGE" ls "$BATS_TEST_TMPDIR/ehci.img"
	[[ $output == *ehci-pci.ko* ]] || fail "ehci_pci is not in the image:" "$output"
	BOOT_EXTRA=(-device usb-ehci)
	boot "$BATS_TEST_TMPDIR/ehci.img" "root=UUID=$ROOT_UUID"
	assert_reached_root
	refute_module_loaded ehci_pci
	assert_console 'ramforge-init: coldplug: ehci_pci matches pci:.* but is blacklisted \(etc/modprobe.d/ehci.conf:1\): not loaded'
}

@test "hostonly image from a fake tree of the QEMU machine reaches the root" {
	"$RF_TOP/tests/fixtures/mkfakehost" qemu-virtio "$BATS_TEST_TMPDIR/host"
	build_image "$BATS_TEST_TMPDIR/host.img" "$BATS_FILE_TMPDIR/sysroot" --hostonly \
		--host-root "$BATS_TEST_TMPDIR/host"
	run "$RAMFORGE" ls "$BATS_TEST_TMPDIR/host.img"
	[[ $output == *virtio_blk.ko* && $output != *nvme.ko* ]] ||
		fail "the hostonly image is not what the fake host needs:" "$output"
	boot "$BATS_TEST_TMPDIR/host.img" "root=/dev/vda"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk ext4
}
