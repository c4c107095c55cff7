#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark: `ramforge deps` of 50 explicit modules on Debian's full kernel tree, against
# `modprobe -a --show-depends` of the same names on the same tree, in the same run.
# Usage: bench/deps.sh [RAMFORGE]   (needs hyperfine; fetches the kernel into .cache/)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" full)
conf=$(mktemp -d)
trap 'rm -rf "$conf"' EXIT
mkdir -p "$conf/etc/modprobe.d"

names="ext4 xfs btrfs vfat nfs cifs fuse overlay squashfs isofs udf nvme ahci sd_mod sr_mod
virtio_blk virtio_scsi virtio_net e1000e igb ixgbe i40e r8169 usb_storage uas xhci_pci ehci_pci
hid_generic usbhid dm_mod dm_crypt raid1 raid456 md_mod loop nbd iscsi_tcp mpt3sas megaraid_sas
hpsa mmc_block sdhci_pci aesni_intel crc32c_intel kvm_intel snd_hda_intel i915 amdgpu bluetooth
iwlwifi"
names=$(echo $names)
echo "tree: $root/lib/modules/$kver ($(find "$root/lib/modules/$kver" -name '*.ko*' | wc -l) modules)"
echo "names: $(wc -w <<<"$names")"
echo "closure size: $("$rf" deps -q --sysroot "$conf" --kmoddir "$root/lib/modules/$kver" -k "$kver" $names | wc -l) modules"
hyperfine -N --warmup 5 --runs 50 \
	-n ramforge "$rf deps -q --sysroot $conf --kmoddir $root/lib/modules/$kver -k $kver $names" \
	-n modprobe "modprobe -d $root -S $kver -C $conf/etc/modprobe.d -a --show-depends $names"
