#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Images with an early microcode cpio (Debian's intel-microcode and amd64-microcode packages in
# the sysroot: 21 MB of Intel patches, 126 files) boot Debian's full kernel (CONFIG_MICROCODE=y;
# the cloud kernel has no microcode loader) to the root, for every compressor of the main
# archive. The guest CPU is an Intel Skylake-SP signature (06-55-04, a file Debian ships)
# without the hypervisor bit, so the kernel's early loader is not turned off and scans the
# early cpio for its patch; TCG ignores the update itself, so the kernel prints no "updated
# early" line, only that its loader runs ("microcode: sig=0x50654, ...").

load helpers

COMPRESSORS=(zstd gzip xz lz4 none)

setup_file() {
	need_full_boot
	make_root_disk
	make_sysroot "$BATS_FILE_TMPDIR/sysroot"
	local m c
	m=$("$RF_TOP/tests/fixtures/fetch-microcode") || fail "cannot fetch Debian's microcode packages"
	mkdir -p "$BATS_FILE_TMPDIR/sysroot/lib/firmware"
	cp -a "$m/lib/firmware/intel-ucode" "$m/lib/firmware/amd-ucode" "$BATS_FILE_TMPDIR/sysroot/lib/firmware/"
	for c in "${COMPRESSORS[@]}"; do
		build_image "$BATS_FILE_TMPDIR/$c.img" "$BATS_FILE_TMPDIR/sysroot" --compress "$c" \
			--drivers "virtio_pci virtio_blk ext4"
	done
}

setup() {
	need_full_boot
	BOOT_EXTRA=(-cpu qemu64,vendor=GenuineIntel,family=6,model=85,stepping=4,-hypervisor)
}

# boot_microcode COMPRESSOR: the image starts with the early cpio, and boots to the root.
boot_microcode() {
	local img=$BATS_FILE_TMPDIR/$1.img size kb
	[[ $(cpio -it --quiet < "$img" 2>/dev/null | tail -n 2) == $'kernel/x86/microcode/AuthenticAMD.bin\nkernel/x86/microcode/GenuineIntel.bin' ]] ||
		fail "$1.img does not start with the early microcode cpio"
	boot "$img" "root=/dev/vda"
	assert_reached_root
	assert_module_loaded virtio_blk
	# the kernel had the whole image (early cpio and main archive, rounded up to pages) ...
	size=$(stat -c %s "$img")
	kb=$((((size + 4095) / 4096) * 4))
	assert_console "Freeing initrd memory: ${kb}K" 'microcode: sig=0x50654, '
	# ... and unpacked both segments without complaint
	refute_console 'Initramfs unpacking failed' 'junk' 'broken padding'
}

@test "boot: early microcode cpio + zstd main archive reaches the root" {
	boot_microcode zstd
}

@test "boot: early microcode cpio + gzip main archive reaches the root" {
	boot_microcode gzip
}

@test "boot: early microcode cpio + xz main archive reaches the root" {
	boot_microcode xz
}

@test "boot: early microcode cpio + lz4 main archive reaches the root" {
	boot_microcode lz4
}

@test "boot: early microcode cpio + uncompressed main archive reaches the root" {
	boot_microcode none
}
