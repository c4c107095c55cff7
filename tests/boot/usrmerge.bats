#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# A program from a merged-/usr sysroot (bin, sbin, lib, lib64 link to usr/, as Debian 12 and
# Fedora) through install_items: the image then keeps lib -> usr/lib and holds the modules
# under usr/lib/modules. The kernel must unpack it (the link before the directory it names)
# and the init must still find and load the modules at /lib/modules/KVER.

load helpers

setup_file() {
	need_boot
	make_root_disk
}

setup() {
	need_boot
}

# copy_in ROOT PATH: the host's PATH into ROOT at the same path, its symlink chain as symlinks.
copy_in() {
	local root=$1 p=$2 t
	while [[ -L $p ]]; do
		mkdir -p "$root$(dirname "$p")"
		cp -P "$p" "$root$p"
		t=$(readlink "$p")
		[[ $t == /* ]] || t=$(dirname "$p")/$t
		p=$t
	done
	p=$(realpath -e "$p")
	mkdir -p "$root$(dirname "$p")"
	cp -p "$p" "$root$p"
}

@test "boot: an image with a merged /usr's program (lib -> usr/lib) loads its modules and reaches the root" {
	local s=$BATS_TEST_TMPDIR/sysroot lib listing
	mkdir -p "$s"/usr/{bin,sbin,lib/modules,lib64} "$s/etc"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$s/$d"; done
	ln -s "$KROOT/lib/modules/$KVER" "$s/usr/lib/modules/$KVER"
	cp /usr/bin/true "$s/usr/bin/true"
	for lib in $(ldd /usr/bin/true | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		copy_in "$s" "$lib"
	done
	echo 'install_items+=" /bin/true "' > "$s/etc/ramforge.conf"
	build_image "$BATS_TEST_TMPDIR/test.img" "$s" --drivers "virtio_pci virtio_blk ext4"
	listing=$("$RAMFORGE" ls "$BATS_TEST_TMPDIR/test.img")
	grep -qE ' lib -> usr/lib$' <<< "$listing" || fail "no lib -> usr/lib in the image:" "$listing"
	grep -qE " usr/lib/modules/$KVER/modules.dep$" <<< "$listing" ||
		fail "the modules are not under usr/lib/modules:" "$listing"
	boot "$BATS_TEST_TMPDIR/test.img" "root=/dev/vda"
	assert_reached_root
	assert_module_loaded virtio_pci virtio_blk
}
