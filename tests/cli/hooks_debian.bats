#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The Debian kernel hooks follow Debian's rules: dpkg tells them what is happening in
# DEB_MAINT_PARAMS; postinst.d builds on configure only, postrm.d removes on remove and purge
# only (never on an upgrade or a reinstall); installing the package is the opt-in. Here in a
# sysroot (RAMFORGE_SYSROOT); tests/boot/debian.bats runs them under apt in a Debian root.

load helpers

setup() {
	fake_sysroot
	mkdir -p "$S/boot"
	export RAMFORGE RAMFORGE_SYSROOT=$S
	unset DEB_MAINT_PARAMS RAMFORGE_HOOK_FORCE INITRD
	# installed as the package installs it: dpkg's file list names the program
	mkdir -p "$S/var/lib/dpkg/info"
	printf '%s\n' /. /usr /usr/sbin /usr/sbin/ramforge /etc/kernel/postinst.d/ramforge \
		> "$S/var/lib/dpkg/info/ramforge.list"
	# the fake tree has no default selection that builds: name a module
	mkdir -p "$S/etc/ramforge.conf.d"
	printf '%s\n' 'add_drivers="chain_a"' > "$S/etc/ramforge.conf.d/test.conf"
	POSTINST=$RF_TOP/hooks/postinst.d-ramforge
	POSTRM=$RF_TOP/hooks/postrm.d-ramforge
}

# An image and two backups of it, of both names ramforge uses.
images() {
	: > "$S/boot/initrd.img-$K"
	: > "$S/boot/initrd.img-$K.bak.01-02-030405"
	: > "$S/boot/initrd.img-$K.bak.01-02-030406"
	: > "$S/boot/initramfs-$K.img"
	: > "$S/boot/initramfs-$K.bak.01-02-030405.img"
	# another kernel's, which must stay
	: > "$S/boot/initrd.img-$K-other"
	: > "$S/boot/initrd.img-$K-other.bak.01-02-030405"
}

@test "postinst.d on configure builds /boot/initrd.img-VERSION and says so in one line" {
	DEB_MAINT_PARAMS="'configure' '6.1.76-1'" run "$POSTINST" "$K" "/boot/vmlinuz-$K"
	[[ $status -eq 0 ]] || fail "$output"
	[[ $output == "ramforge: generating /boot/initrd.img-$K" ]] || fail "$output"
	"$RAMFORGE" ls --modules "$S/boot/initrd.img-$K" | grep -q ' chain_a '
}

@test "postinst.d does nothing for the kernel postinst's other calls (abort-upgrade, ...)" {
	for params in "'abort-upgrade' '6.1.76-1'" "'abort-remove'" "'abort-deconfigure' 'in-favour' 'x' '1'"; do
		DEB_MAINT_PARAMS=$params run "$POSTINST" "$K" "/boot/vmlinuz-$K"
		[[ $status -eq 0 && -z $output ]] || fail "$params: $output"
	done
	[[ -z $(ls "$S/boot") ]]
}

@test "postinst.d run by hand (no DEB_MAINT_PARAMS) builds" {
	run "$POSTINST" "$K"
	[[ $status -eq 0 ]] || fail "$output"
	[[ -s $S/boot/initrd.img-$K ]]
}

@test "postinst.d puts the image beside the kernel image it is given" {
	mkdir -p "$S/efi/k"
	run "$POSTINST" "$K" "/efi/k/vmlinuz-$K"
	[[ $status -eq 0 ]] || fail "$output"
	[[ $output == "ramforge: generating /efi/k/initrd.img-$K" && -s $S/efi/k/initrd.img-$K ]] ||
		fail "$output" "$(ls -R "$S/efi" "$S/boot")"
}

@test "postinst.d: INITRD=No (a kernel that needs no initramfs) builds nothing" {
	INITRD=No run "$POSTINST" "$K"
	[[ $status -eq 0 && -z $(ls "$S/boot") ]]
}

@test "postinst.d: a failed build fails the hook with ramforge's reason" {
	printf '%s\n' 'add_drivers="no_such_module"' > "$S/etc/ramforge.conf.d/test.conf"
	DEB_MAINT_PARAMS="'configure' '6.1.76-1'" run "$POSTINST" "$K"
	[[ $status -ne 0 ]]
	[[ $output == *"ramforge: error: "*no_such_module* ]] || fail "$output"
}

@test "the installed package is the opt-in: no config file needed; a removed package (its hooks left as conffiles) does nothing" {
	rm -r "$S/etc/ramforge.conf.d"
	DEB_MAINT_PARAMS="'configure' '6.1.76-1'" run "$POSTINST" "$K"
	[[ $status -eq 0 && $output == "ramforge: generating /boot/initrd.img-$K" ]] || fail "$output"
	[[ -s $S/boot/initrd.img-$K ]]
	# removed, not purged: dpkg's list holds only the conffiles
	rm "$S/boot/initrd.img-$K"
	printf '%s\n' /etc/kernel/postinst.d/ramforge > "$S/var/lib/dpkg/info/ramforge.list"
	run "$POSTINST" "$K"
	[[ $status -eq 0 && -z $output && -z $(ls "$S/boot") ]] || fail "$output"
	images
	run "$POSTRM" "$K"
	[[ $status -eq 0 && -z $output && -e $S/boot/initrd.img-$K ]] || fail "$output"
}

@test "postrm.d on an upgrade or reinstall of the kernel keeps the image and its backups" {
	images
	before=$(ls "$S/boot")
	for params in "'upgrade' '6.1.76-1'" "'failed-upgrade' '6.1.76-1'" "'abort-install'" "'abort-upgrade' '6.1.76-1'" "'disappear' 'x' '1'"; do
		DEB_MAINT_PARAMS=$params run "$POSTRM" "$K" "/boot/vmlinuz-$K"
		[[ $status -eq 0 && -z $output ]] || fail "$params: $output"
	done
	[[ $(ls "$S/boot") == "$before" ]] || fail "$(ls "$S/boot")"
}

@test "postrm.d on remove and on purge removes the image of both names and its backups, nothing else" {
	for params in "'remove'" "'purge'"; do
		images
		DEB_MAINT_PARAMS=$params run "$POSTRM" "$K" "/boot/vmlinuz-$K"
		[[ $status -eq 0 ]] || fail "$params: $output"
		[[ $output == "ramforge: removing /boot/initrd.img-$K, /boot/initramfs-$K.img and 3 backups" ]] ||
			fail "$params: $output"
		[[ $(ls "$S/boot" | tr '\n' ' ') == "initrd.img-$K-other initrd.img-$K-other.bak.01-02-030405 " ]] ||
			fail "$params: left $(ls "$S/boot")"
		rm -f "$S/boot/"*
	done
}

@test "postrm.d names the image it removes; with nothing to remove it says nothing" {
	: > "$S/boot/initrd.img-$K"
	DEB_MAINT_PARAMS="'remove'" run "$POSTRM" "$K"
	[[ $status -eq 0 && $output == "ramforge: removing /boot/initrd.img-$K" ]] || fail "$output"
	DEB_MAINT_PARAMS="'purge'" run "$POSTRM" "$K"
	[[ $status -eq 0 && -z $output ]] || fail "$output"
	: > "$S/boot/initrd.img-$K.bak.01-02-030405"
	run "$POSTRM" "$K"
	[[ $status -eq 0 && $output == "ramforge: removing 1 backup of /boot/initrd.img-$K" ]] || fail "$output"
	[[ -z $(ls "$S/boot") ]]
}

@test "postrm.d: an image it cannot remove fails the hook with the reason" {
	mkdir "$S/boot/initrd.img-$K" # rm -f cannot remove a directory
	DEB_MAINT_PARAMS="'remove'" run "$POSTRM" "$K"
	[[ $status -ne 0 ]]
	[[ $output == *"initrd.img-$K"* ]] || fail "$output"
}
