#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Module loading at boot, seen from inside the guest: options from the image's modprobe.d and
# the kernel command line, denials on the command line, .ko.zst modules on a kernel that cannot
# decompress them itself, and signatures that survive into the image (module.sig_enforce=1).

load helpers

setup_file() {
	need_boot
	make_root_disk -p virtio_blk/parameters/queue_depth -p virtio_blk/parameters/num_request_queues
	make_sysroot "$BATS_FILE_TMPDIR/sysroot"
	build_image "$BATS_FILE_TMPDIR/blk.img" "$BATS_FILE_TMPDIR/sysroot" \
		--drivers "virtio_pci virtio_blk virtio_rng virtio_balloon ext4"
}

setup() {
	need_boot
}

@test "boot: options from modprobe.d and MOD.k=v from the command line reach the module" {
	make_sysroot
	echo "options virtio_blk queue_depth=77" > "$S/etc/modprobe.d/rf-test.conf"
	build_image "$BATS_TEST_TMPDIR/opts.img" "$S" --drivers "virtio_pci virtio_blk ext4"
	boot "$BATS_TEST_TMPDIR/opts.img" "root=/dev/vda virtio-blk.num_request_queues=1"
	assert_reached_root
	assert_console '^RF-PARAM virtio_blk/parameters/queue_depth=77$' \
		'^RF-PARAM virtio_blk/parameters/num_request_queues=1$'
}

@test "boot: modprobe.blacklist= and rd.driver.blacklist= keep modules from loading" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=/dev/vda modprobe.blacklist=virtio_rng rd.driver.blacklist=virtio-balloon"
	assert_reached_root
	assert_module_loaded virtio_blk
	refute_module_loaded virtio_rng virtio_balloon
	assert_console 'ramforge-init: virtio_rng: skipped: denied on the kernel command line' \
		'ramforge-init: virtio_balloon: skipped: denied on the kernel command line'
}

@test "boot: without a denial the same image loads those modules (control)" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=/dev/vda"
	assert_reached_root
	assert_module_loaded virtio_blk virtio_rng virtio_balloon
	refute_console 'skipped: denied'
}

@test "boot: a module tree recompressed to .ko.zst is decompressed by the init and loads" {
	local tree=$BATS_TEST_TMPDIR/zroot
	mkdir -p "$tree/lib/modules"
	cp -a "$RF_CLOUD_ROOT/lib/modules/$KVER" "$tree/lib/modules/"
	find "$tree/lib/modules/$KVER" -name '*.ko' -print0 | xargs -0 zstd -q --rm
	depmod -b "$tree" "$KVER"
	mkdir -p "$tree/etc/modprobe.d"
	build_image "$BATS_TEST_TMPDIR/zst.img" "$tree" --drivers "virtio_pci virtio_blk ext4"
	run "$RAMFORGE" ls "$BATS_TEST_TMPDIR/zst.img"
	[[ $output == *virtio_blk.ko.zst* ]] || fail "the image holds no virtio_blk.ko.zst:" "$output"
	boot "$BATS_TEST_TMPDIR/zst.img" "root=/dev/vda rd.debug"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	assert_console 'ramforge-init: virtio_blk: loaded .*zstd'
}

@test "boot: module.sig_enforce=1 still boots (signatures are intact in the image)" {
	boot "$BATS_FILE_TMPDIR/blk.img" "root=/dev/vda module.sig_enforce=1"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
	refute_console 'Key was rejected|cannot load .*virtio'
}
