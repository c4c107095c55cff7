#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Modules compressed one by one in the uncompressed segment (--module-compress): the kernel
# copies them into its rootfs, the init decompresses only those it loads. Boots of Debian's
# cloud kernel with a generic image in that layout, from .ko, .ko.zst and .ko.xz trees, in
# zstd and xz, behind every compressor of the main archive, and with module.sig_enforce=1
# (the kernel checks each signature on the decompressed bytes the init hands it).

load helpers

setup_file() {
	need_boot
	make_root_disk
	make_sysroot "$BATS_FILE_TMPDIR/sysroot"
	build_image "$BATS_FILE_TMPDIR/generic.img" "$BATS_FILE_TMPDIR/sysroot"
}

setup() {
	need_boot
}

# The first segment holds the modules, the main archive none.
assert_packed() { # IMAGE SUFFIX
	run "$RAMFORGE" ls "$1"
	[[ $status -eq 0 ]] || fail "ls failed:" "$output"
	[[ $(head -n1 <<< "$output") == *"early cpio (none) at 0 + "* ]] || fail "no uncompressed first segment:" "$(head -n3 <<< "$output")"
	grep -q "kernel/drivers/block/virtio_blk\.ko\.$2\$" <<< "$output" || fail "no virtio_blk.ko.$2 in:" "$output"
}

@test "boot: a generic image with its modules one by one (zstd) loads the disk's driver from them" {
	assert_packed "$BATS_FILE_TMPDIR/generic.img" zst
	boot "$BATS_FILE_TMPDIR/generic.img" "root=/dev/vda rd.debug"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	assert_console 'ramforge-init: virtio_blk: loaded .*zstd decompressed by the init'
}

@test "boot: --module-compress xz: the init decompresses xz" {
	build_image "$BATS_TEST_TMPDIR/xz.img" "$BATS_FILE_TMPDIR/sysroot" --module-compress xz
	assert_packed "$BATS_TEST_TMPDIR/xz.img" xz
	boot "$BATS_TEST_TMPDIR/xz.img" "root=/dev/vda rd.debug"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	assert_console 'ramforge-init: virtio_blk: loaded .*xz decompressed by the init'
}

@test "boot: a tree of .ko.zst and .ko.xz modules: stored as they are, loaded" {
	local tree=$BATS_TEST_TMPDIR/zroot m=$BATS_TEST_TMPDIR/zroot/lib/modules/$KVER
	mkdir -p "$tree/lib/modules" "$tree/etc/modprobe.d"
	cp -a "$RF_CLOUD_ROOT/lib/modules/$KVER" "$tree/lib/modules/"
	find "$m/kernel/drivers/block" "$m/kernel/drivers/virtio" -name '*.ko' -print0 | xargs -0 zstd -q --rm
	find "$m/kernel/drivers/ata" "$m/kernel/drivers/scsi" -name '*.ko' -print0 |
		xargs -0 xz --check=crc32 --lzma2=dict=1MiB
	depmod -b "$tree" "$KVER"
	build_image "$BATS_TEST_TMPDIR/mixed.img" "$tree"
	assert_packed "$BATS_TEST_TMPDIR/mixed.img" zst
	"$RAMFORGE" ls -f "lib/modules/$KVER/kernel/drivers/ata/libata.ko.xz" "$BATS_TEST_TMPDIR/mixed.img" |
		cmp - "$m/kernel/drivers/ata/libata.ko.xz" || fail "libata.ko.xz was not stored as it is"
	"$RAMFORGE" ls -f "lib/modules/$KVER/kernel/drivers/block/virtio_blk.ko.zst" "$BATS_TEST_TMPDIR/mixed.img" |
		cmp - "$m/kernel/drivers/block/virtio_blk.ko.zst" || fail "virtio_blk.ko.zst was not stored as it is"
	boot "$BATS_TEST_TMPDIR/mixed.img" "root=/dev/vda rd.debug"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	assert_console 'ramforge-init: libata: loaded .*xz decompressed by the init' \
		'ramforge-init: virtio_blk: loaded .*zstd decompressed by the init'
}

@test "boot: the modules' segment behind a main archive in gzip, xz, lz4 and none" {
	local c
	for c in gzip xz lz4 none; do
		build_image "$BATS_TEST_TMPDIR/$c.img" "$BATS_FILE_TMPDIR/sysroot" --compress "$c" --module-compress zstd
		assert_packed "$BATS_TEST_TMPDIR/$c.img" zst
		boot "$BATS_TEST_TMPDIR/$c.img" "root=/dev/vda"
		assert_reached_root
		assert_module_loaded virtio_pci virtio_blk
	done
}

@test "boot: module.sig_enforce=1: the kernel accepts the signatures of modules decompressed by the init" {
	boot "$BATS_FILE_TMPDIR/generic.img" "root=/dev/vda module.sig_enforce=1"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	refute_console 'Key was rejected|cannot load|Loading of unsigned module'
}
