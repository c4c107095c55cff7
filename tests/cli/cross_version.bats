#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Cross-version: one sysroot holding two kernels side by side (the gcc-built fake tree and
# Debian's cloud kernel), neither the running one; --kver picks the tree, the sysroot's
# modprobe.d applies to both, and each agrees with modprobe on its own tree.

load helpers

setup() {
	need_fixture RF_FAKE_ROOT RF_FAKE_KVER RF_CLOUD_ROOT RF_CLOUD_KVER
	S=$BATS_TEST_TMPDIR/sysroot
	mkdir -p "$S/etc/modprobe.d" "$S/lib/modules"
	# The fake tree is small: a real copy. The cloud tree is linked.
	cp -a "$RF_FAKE_ROOT/lib/modules/$RF_FAKE_KVER" "$S/lib/modules/"
	ln -s "$RF_CLOUD_ROOT/lib/modules/$RF_CLOUD_KVER" "$S/lib/modules/$RF_CLOUD_KVER"
	running=$(uname -r)
	[[ $running != "$RF_FAKE_KVER" && $running != "$RF_CLOUD_KVER" ]]
}

@test "two kernels in one sysroot: each --kver resolves on its own tree" {
	K=$RF_FAKE_KVER
	exp=$(oracle chain_a fs-fakefs fake-net)
	rf_deps chain_a -a fs-fakefs fake-net
	agree "$exp"

	K=$RF_CLOUD_KVER
	exp=$(oracle ext4 xfs virtio_blk virtio_scsi fs-btrfs)
	rf_deps ext4 xfs virtio_blk virtio_scsi -a fs-btrfs
	agree "$exp"
	lacks_line "$out" '^(chain|fake)'
}

@test "a module of one kernel is unknown to the other" {
	K=$RF_FAKE_KVER
	rf_deps xfs
	expect_error 'xfs'
	K=$RF_CLOUD_KVER
	rf_deps chain_a
	expect_error 'chain_a'
}

@test "the sysroot's modprobe.d applies to both kernels" {
	modconf bl.conf "blacklist fakefs" "blacklist xfs" "install libcrc32c /bin/false" \
		"install deny_dep /bin/false"
	K=$RF_FAKE_KVER
	exp=$(oracle_minus deny_dep fs-fakefs deny_top chain_a)
	rf_deps -a fs-fakefs deny_top chain_a
	agree "$exp"
	lacks_line "$out" '^(fakefs|deny_top)$'

	K=$RF_CLOUD_KVER
	exp=$(oracle_minus libcrc32c fs-xfs ext4 btrfs virtio_blk)
	rf_deps -a fs-xfs ext4 btrfs virtio_blk
	agree "$exp"
	lacks_line "$out" '^(xfs|btrfs|libcrc32c)$'
}

@test "--kmoddir reads a tree outside the sysroot, config still from the sysroot" {
	modconf bl.conf "blacklist xfs"
	K=$RF_CLOUD_KVER
	exp=$(oracle fs-xfs ext4 nvme)
	rf deps --sysroot "$S" --kver "$K" --kmoddir "$RF_CLOUD_ROOT/lib/modules/$K" -a fs-xfs ext4 nvme
	agree "$exp"
	lacks_line "$out" '^xfs$'
}

@test "without --kver the running kernel is meant, and it is not in this sysroot" {
	rf deps --sysroot "$S" chain_a
	expect_error "$(re_escape "$running")"
}
