#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The signature check predicts the kernel. Debian's full kernel booted with
# module.sig_enforce=1 and an image that holds a real out-of-tree module (rf_oot.ko, built with
# kbuild against Debian's headers, tests/fixtures/mkoot) signed by the test key, which the
# kernel's keyring does not hold: every in-tree module loads, the kernel refuses rf_oot with
# EKEYREJECTED and the init reports the kernel's error, while `ramforge build --require-signed`
# refuses to build that image in the first place. Without sig_enforce the same image loads
# rf_oot (the control: the module itself is fine).

load helpers

# The fixtures, or a skip saying why (in setup: bats skips from setup_file badly).
need_oot_boot() {
	need_full_boot
	[[ -n ${RF_OOT_DIR:-} || -z ${RF_OOT_SKIP:-} ]] || skip "$RF_OOT_SKIP"
	[[ -n ${RF_OOT_DIR:-} && -n ${RF_SIGN_KEY:-} && -n ${RF_SIGN_CERT:-} ]] ||
		skip "RF_OOT_DIR is not set: run through 'make check' (tests/fixtures/prepare)"
	[[ ${RF_OOT_KVER:-} == "$KVER" ]] || fail "rf_oot.ko is built for ${RF_OOT_KVER:-?}, not $KVER"
}

setup_file() {
	[[ -n ${RF_OOT_DIR:-} && -n ${RF_FULL_ROOT:-} && -n ${RF_CLOUD_ROOT:-} ]] &&
		command -v qemu-system-x86_64 > /dev/null || return 0
	need_oot_boot
	make_root_disk
	# the full kernel's tree (hard links, or a copy across file systems) plus extra/rf_oot.ko
	S=$BATS_FILE_TMPDIR/sysroot
	local t=$S/lib/modules/$KVER src=$KROOT/lib/modules/$KVER
	mkdir -p "$S/etc/modprobe.d" "$t/extra"
	cp -al "$src/kernel" "$t/kernel" 2> /dev/null || cp -a "$src/kernel" "$t/kernel"
	cp "$src"/modules.order "$src"/modules.builtin* "$t/"
	cp "$RF_OOT_DIR/rf_oot.ko" "$t/extra/"
	"$RAMFORGE" sign --key "$RF_SIGN_KEY" --cert "$RF_SIGN_CERT" "$t/extra/rf_oot.ko" ||
		fail "ramforge sign failed"
	depmod -b "$S" "$KVER" || fail "depmod -b failed"
	IMG=$BATS_FILE_TMPDIR/oot.img
	build_image "$IMG" "$S" --require-signed=no --drivers "virtio_pci virtio_blk ext4" -a rf_oot
	export S IMG
}

setup() {
	need_oot_boot
	[[ -e ${IMG:-} ]] || fail "no image: setup_file failed"
	BOOT_MEM=1024
}

# The in-tree modules the image's plan loads early ("mod NAME PATH early ...").
early_in_tree() {
	mkdir -p "$BATS_TEST_TMPDIR/x"
	(cd "$BATS_TEST_TMPDIR/x" && zstd -dc "$IMG" | cpio -id --quiet etc/ramforge/plan) ||
		fail "cannot unpack the plan"
	awk '$1 == "mod" && $3 ~ /^kernel\// && $4 == "early" { print $2 }' \
		"$BATS_TEST_TMPDIR/x/etc/ramforge/plan"
}

@test "sig_enforce=1: every in-tree module loads, the kernel rejects rf_oot (EKEYREJECTED)" {
	local mods m
	mods=$(early_in_tree)
	[[ $(wc -w <<< "$mods") -ge 5 ]] || fail "too few early modules in the plan: $mods"
	boot "$IMG" "root=/dev/vda module.sig_enforce=1 rd.debug"
	assert_reached_root
	# the kernel's own words, and the init's report of its error for that module
	assert_console 'Loading of module with unavailable key is rejected' \
		'ramforge-init: rf_oot: cannot load .*/extra/rf_oot\.ko: Key was rejected by service' \
		'ramforge-init: modules failed: .*rf_oot \(Key was rejected by service\)'
	refute_module_loaded rf_oot
	for m in $mods; do
		# a module for a CPU feature TCG lacks may say "No such device"; nothing else may fail
		grep -qE "ramforge-init: $m: cannot load .*: No such device" <<< "$output" ||
			assert_module_loaded "$m"
	done
	refute_console 'cannot load .*kernel/.*: Key was rejected'
}

@test "without sig_enforce the same image loads rf_oot (the control)" {
	boot "$IMG" "root=/dev/vda"
	assert_reached_root
	assert_module_loaded rf_oot virtio_blk ext4
	refute_console 'Key was rejected by service'
}

@test "--require-signed refuses to build that image, naming rf_oot and its signer" {
	echo "the old image" > "$BATS_TEST_TMPDIR/new.img"
	run "$RAMFORGE" build --sysroot "$S" -k "$KVER" --init "$INIT" --no-backup -f \
		--require-signed --drivers "virtio_pci virtio_blk ext4" -a rf_oot "$BATS_TEST_TMPDIR/new.img"
	[[ $status -eq 1 ]] || fail "expected exit 1, got $status:" "$output"
	[[ $output =~ "module rf_oot ("[^\)]*"/extra/rf_oot.ko): signed by 'ramforge test signing key' (key "[0-9A-F:]+"), not a trusted key" ]] ||
		fail "not the expected error:" "$output"
	[[ $(cat "$BATS_TEST_TMPDIR/new.img") == "the old image" ]] || fail "the old image changed"
	# the in-tree modules alone pass: the tree's own key
	run "$RAMFORGE" build --sysroot "$S" -k "$KVER" --init "$INIT" --no-backup -f \
		--require-signed --drivers "virtio_pci virtio_blk ext4" "$BATS_TEST_TMPDIR/new.img"
	[[ $status -eq 0 ]] || fail "in-tree modules alone: build failed:" "$output"
}
