#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The generic selection (conf/generic.conf, the default mode): on Debian's full kernel it holds
# the storage, file system and console drivers a common machine needs and none of the GPU,
# sound, network or wireless ones; its symbol rule agrees with modprobe --dump-modversions;
# the blacklist applies; --drivers and positional NAMEs skip it; --explain names each rule.

load helpers

# The full kernel (RF_FULL_ROOT, fetched by tests/fixtures/prepare with RF_WANT_FULL=1).
full_sysroot() {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	make_sysroot "$RF_FULL_ROOT" "$RF_FULL_KVER"
}

# Symbols of the shipped `symbol` rules, one a line.
rule_symbols() {
	awk '$1 == "symbol" { print $2 }' "$RF_TOP/conf/generic.conf"
}

@test "full kernel: the generic set has the common storage, file system and console drivers" {
	full_sysroot
	rf_deps
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	for m in ahci nvme virtio_blk virtio_scsi virtio_pci sd_mod usb_storage uas xhci_pci ehci_pci \
		mmc_block sdhci_pci ext4 xfs btrfs vfat nls_cp437 dm_mod dm_crypt raid1 hid_generic usbhid \
		crc32c_generic aesni_intel; do
		has_line "$out" "^$m\$"
	done
}

@test "full kernel: no GPU, sound, network, wireless or network file system drivers" {
	full_sysroot
	rf_deps
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	for m in nfs nfsv4 cifs ceph 9p e1000e igb r8169 'snd_.*' i915 amdgpu nouveau bluetooth btusb \
		iwlwifi cfg80211 mac80211 ib_core; do
		lacks_line "$out" "^$m\$"
	done
	n=$(printf '%s\n' "$out" | wc -l)
	((n > 200 && n < 1000)) || fail "generic set of $n modules: expected a few hundred"
}

# (Not load_order_ok: its softdep check reads every `softdep btrfs pre:` line of
# modules.softdep, where kmod uses only the first; modprobe leaves sha256 out of btrfs's.)
@test "full kernel: each module comes after its hard dependencies, none twice" {
	full_sysroot
	rf_deps
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	dup=$(printf '%s\n' "$out" | sort | uniq -d)
	[[ -z $dup ]] || fail "listed twice: $dup"
	bad=$(hard_deps | awk 'NR == FNR { pos[$1] = FNR; next }
		($1 in pos) { for (i = 2; i <= NF; i++) if (!($i in pos) || pos[$i] > pos[$1]) print $1, "before", $i }' \
		<(printf '%s\n' "$out") -)
	[[ -z $bad ]] || fail "out of order:" "$bad"
}

@test "full kernel: the symbol rule agrees with modprobe --dump-modversions (ata, mmc, scsi)" {
	full_sysroot
	rf_deps --explain
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	syms=$(rule_symbols)
	local checked=0 f name
	# Every module of these directories that imports a listed symbol is in the set.
	while read -r f; do
		if modprobe --dump-modversions "$f" | awk '{ print $2 }' | grep -qxF -f <(echo "$syms"); then
			name=$(basename "$f" | sed 's/\.ko.*//' | norm)
			has_line "$out" "^$name " || return 1
			checked=$((checked + 1))
		fi
	done < <(find "$S/lib/modules/$K/kernel/drivers/ata" "$S/lib/modules/$K/kernel/drivers/mmc/host" \
		"$S/lib/modules/$K/kernel/drivers/scsi" -maxdepth 1 -name '*.ko*')
	((checked > 60)) || fail "only $checked importers found: is --dump-modversions working?"
	# Every "importing SYM" claim is true.
	while read -r name path sym; do
		modprobe --dump-modversions "$S/lib/modules/$K/$path" | awk '{ print $2 }' | grep -qxF "$sym" ||
			fail "$name ($path) is said to import $sym, but modprobe --dump-modversions disagrees" || return 1
	done < <(printf '%s\n' "$out" | awk '/ generic: kernel\/drivers module importing / {
		for (i = 1; i <= NF; i++) if ($i == "importing") print $1, $2, $(i + 1) }')
}

@test "--explain names the rule (generic.conf:LINE) or the dependency behind every module" {
	full_sysroot
	rf_deps --explain
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^ahci kernel/drivers/ata/ahci\.ko generic: kernel/drivers module importing ata_scsi_ioctl \(generic\.conf:[0-9]+\) signer=.*$'
	has_line "$out" '^ext4 kernel/fs/ext4/ext4\.ko generic: kernel/fs \(generic\.conf:[0-9]+\) signer=.*$'
	has_line "$out" '^hid_generic kernel/drivers/hid/hid-generic\.ko generic: listed \(generic\.conf:[0-9]+\) signer=.*$'
	has_line "$out" '^virtio_blk kernel/drivers/block/virtio_blk\.ko generic: '
	has_line "$out" '^libata kernel/drivers/ata/libata\.ko (dependency of|generic: )'
	# The line numbers point at the rule.
	line=$(printf '%s\n' "$out" | sed -nE 's/^ext4 .*generic\.conf:([0-9]+)\) signer=.*$/\1/p')
	[[ $(sed -n "${line}p" "$RF_TOP/conf/generic.conf") == "dir kernel/fs" ]] ||
		fail "generic.conf:$line is not 'dir kernel/fs'"
	lacks_line "$out" '^[^ ]+ [^ ]+$'
}

@test "blacklisted modules stay out of the generic set, with the rule in --explain" {
	full_sysroot
	modconf bl.conf "blacklist virtio_balloon" "blacklist nvme" "blacklist xfs"
	rf_deps --explain
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	for m in virtio_balloon nvme xfs; do
		lacks_line "$out" "^$m [^-]"
		has_line "$out" "^$m - left out: etc/modprobe\.d/bl\.conf:[0-9]: blacklist $m .*generic: "
	done
	has_line "$out" '^virtio_blk '
}

@test "a blacklisted module that a generic module hard-depends on is still included" {
	full_sysroot
	modconf bl.conf "blacklist scsi_mod"
	rf_deps --explain
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^scsi_mod kernel/drivers/scsi/scsi_mod\.ko dependency of '
	has_line "$out" '^sd_mod '
}

@test "--drivers means exactly those modules: no generic scan" {
	full_sysroot
	exp=$(oracle ext4 virtio_blk)
	rf_deps --drivers "ext4 virtio_blk"
	agree "$exp"
}

@test "positional NAMEs of deps mean no generic scan; -a adds to the generic set" {
	full_sysroot
	exp=$(oracle ext4)
	rf_deps ext4
	agree "$exp"
	rf_deps -a e1000e
	has_line "$out" '^e1000e$'
	has_line "$out" '^ahci$'
}

@test "--generic overrides hostonly=\"yes\" in ramforge.conf" {
	full_sysroot
	rfconf 'hostonly="yes"'
	rf_deps --generic --host-root /nonexistent
	[[ $status -eq 0 ]] || fail "deps --generic failed: $err"
	has_line "$out" '^ahci$'
}

@test "fake tree: the generic rules pick the virtio directory and every kernel/fs module" {
	fake_sysroot
	# generic.conf on this tree: `dir kernel/drivers/virtio` takes fake_virtio, `dir kernel/fs`
	# takes fakefs, fake-jbd and otherfs; nothing imports a listed symbol; no listed name exists.
	exp=$(oracle -b fake_virtio fakefs fake_jbd otherfs)
	rf_deps
	agree "$exp"
	rf_deps --explain
	has_line "$out" '^fake_virtio kernel/drivers/virtio/fake_virtio\.ko generic: kernel/drivers/virtio \(generic\.conf:[0-9]+\) signer=.*$'
}

@test "fake tree: blacklist fakefs keeps it out of the generic set" {
	fake_sysroot
	modconf bl.conf "blacklist fakefs"
	exp=$(oracle -b fake_virtio fake_jbd otherfs)
	rf_deps
	agree "$exp"
	lacks_line "$out" '^fakefs$'
}

@test "cloud kernel: names generic.conf lists but the tree lacks are skipped quietly" {
	cloud_sysroot
	rf_deps
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	lacks_line "$err" 'not found'
	has_line "$out" '^virtio_blk$'
}
