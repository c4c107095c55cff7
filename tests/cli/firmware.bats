#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Firmware in the image, on Debian's full kernel tree with firmware files placed in a test
# sysroot under the names its real modules ask for (modinfo -F firmware): exactly the modules'
# firmware, the kernel's search order (updates/KVER first), .xz kept or decompressed by the
# kernel's config, links kept, missing files warned once, a denied module's left out, a built-in
# driver's through modules.builtin.modinfo, --no-firmware / firmware="no", add_firmware.

load helpers

full_sysroot() {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	make_sysroot "$RF_FULL_ROOT" "$RF_FULL_KVER"
	mkdir -p "$S/boot" "$S/lib/firmware"
	cp "$RF_FULL_ROOT/boot/config-$K" "$S/boot/"
	IMG=$BATS_TEST_TMPDIR/out.img
}

# The firmware names module MOD asks for (kmod's modinfo as the oracle), one a line.
fw_of() {
	modinfo -b "$S" -k "$K" -F firmware "$1"
}

# place NAME [DIR]: a file S/DIR/NAME (DIR: lib/firmware) whose content names it and DIR.
place() {
	local dir=${2:-lib/firmware}
	mkdir -p "$(dirname "$S/$dir/$1")"
	printf 'firmware %s from %s\n' "$1" "$dir" > "$S/$dir/$1"
}

# The image's lib/firmware entries, one path a line (relative to lib/firmware), sorted.
image_fw() {
	rf ls "$IMG"
	[[ $status -eq 0 ]] || fail "ls failed: $err"
	awk '{ p = $NF; if ($1 ~ /^l/) p = $(NF - 2) }
		$1 !~ /^d/ && p ~ /^lib\/firmware\// { sub(/^lib\/firmware\//, "", p); print p }' \
		<<< "$out" | LC_ALL=C sort
}

unpack() {
	U=$BATS_TEST_TMPDIR/un
	rm -rf "$U"
	mkdir -p "$U"
	(cd "$U" && zstd -dcq "$IMG" | cpio -idm --quiet 2> /dev/null) || fail "cannot unpack $IMG"
}

build() {
	rf build --sysroot "$S" -k "$K" --no-backup -f "$@" "$IMG"
	[[ $status -eq 0 ]] || fail "build failed ($status): $err"
}

@test "the image holds exactly the firmware of the modules it holds" {
	full_sysroot
	for m in qla2xxx e100 bnx2x tg3; do
		for f in $(fw_of "$m"); do place "$f"; done
	done
	build --drivers "qla2xxx e100"
	rf_deps --drivers "qla2xxx e100"
	want=$(for m in $out; do fw_of "$m"; done | LC_ALL=C sort -u)
	[[ -n $want ]] || fail "the oracle found no firmware names"
	got=$(image_fw)
	[[ $got == "$want" ]] || fail "image firmware:" "$got" "modinfo's:" "$want"
	grep -q '^ql2500_fw.bin$' <<< "$got"
	! grep -qE '^(bnx2x|tigon)/' <<< "$got" || fail "firmware of modules not in the image"
	unpack
	[[ $(cat "$U/lib/firmware/e100/d101m_ucode.bin") == "firmware e100/d101m_ucode.bin from lib/firmware" ]]
}

@test "an updates/KVER copy wins over updates, KVER and the base directory" {
	full_sysroot
	for f in $(fw_of e100); do place "$f"; done
	place e100/d102e_ucode.bin "lib/firmware/updates/$K"
	place e100/d102e_ucode.bin lib/firmware/updates
	place e100/d102e_ucode.bin "lib/firmware/$K"
	place e100/d101s_ucode.bin lib/firmware/updates
	place e100/d101s_ucode.bin "lib/firmware/$K"
	build --drivers e100
	unpack
	[[ $(cat "$U/lib/firmware/e100/d102e_ucode.bin") == *"from lib/firmware/updates/$K" ]]
	[[ $(cat "$U/lib/firmware/e100/d101s_ucode.bin") == *"from lib/firmware/updates" ]]
	[[ $(cat "$U/lib/firmware/e100/d101m_ucode.bin") == *"from lib/firmware" ]]
	[[ ! -e $U/lib/firmware/updates ]] || fail "the updates directory went into the image"
}

@test ".xz kept for a kernel with FW_LOADER_COMPRESS_XZ=y, decompressed for one without" {
	full_sysroot
	grep -qx 'CONFIG_FW_LOADER_COMPRESS_XZ=y' "$S/boot/config-$K"
	for f in $(fw_of e100); do
		place "$f"
		xz -C crc32 "$S/lib/firmware/$f"
	done
	build --drivers e100
	got=$(image_fw)
	[[ $got == "$(fw_of e100 | sed 's/$/.xz/' | LC_ALL=C sort)" ]] || fail "with XZ=y:" "$got"

	sed -i 's/^CONFIG_FW_LOADER_COMPRESS_XZ=y/# CONFIG_FW_LOADER_COMPRESS_XZ is not set/' \
		"$S/boot/config-$K"
	build --drivers e100
	got=$(image_fw)
	[[ $got == "$(fw_of e100 | LC_ALL=C sort)" ]] || fail "without XZ:" "$got"
	unpack
	[[ $(cat "$U/lib/firmware/e100/d101m_ucode.bin") == "firmware e100/d101m_ucode.bin from lib/firmware" ]]
}

@test "links are kept as links, with their targets" {
	full_sysroot
	place qlogic/ql2500_fw.bin
	ln -s qlogic/ql2500_fw.bin "$S/lib/firmware/ql2500_fw.bin"
	mkdir -p "$S/lib/firmware/e100"
	place e100/d101m_ucode.bin
	ln -s d101m_ucode.bin "$S/lib/firmware/e100/d101s_ucode.bin"
	build --drivers "qla2xxx e100"
	rf ls "$IMG"
	grep -qE '^l.* lib/firmware/ql2500_fw.bin -> qlogic/ql2500_fw.bin$' <<< "$out" ||
		fail "no link:" "$(grep firmware <<< "$out")"
	grep -qE '^l.* lib/firmware/e100/d101s_ucode.bin -> d101m_ucode.bin$' <<< "$out"
	grep -qE '^-.* lib/firmware/qlogic/ql2500_fw.bin$' <<< "$out"
	unpack
	[[ $(cat "$U/lib/firmware/ql2500_fw.bin") == *"qlogic/ql2500_fw.bin from lib/firmware" ]]
}

@test "a missing file is a warning naming the module and the file, once; the build succeeds" {
	full_sysroot
	place ql2500_fw.bin
	build --drivers qla2xxx
	for f in ql2400_fw.bin ql2322_fw.bin ql2300_fw.bin ql2200_fw.bin ql2100_fw.bin; do
		n=$(grep -c "warning: module qla2xxx: firmware $f is not installed.*possible missing firmware" <<< "$err")
		[[ $n -eq 1 ]] || fail "$f warned $n times:" "$err"
	done
	! grep -q 'ql2500_fw.bin' <<< "$err"
	[[ $(image_fw) == ql2500_fw.bin ]]
	rf_deps --explain --drivers qla2xxx
	[[ $status -eq 0 ]]
	size=$(stat -c %s "$S/lib/firmware/ql2500_fw.bin")
	grep -qx "firmware ql2500_fw.bin $size qla2xxx" <<< "$out" || fail "$out"
	grep -qx 'firmware ql2100_fw.bin missing qla2xxx' <<< "$out"
}

@test "a file two modules want is looked up, stored and warned about once" {
	full_sysroot
	# Both Echo Audio drivers name ea/loader_dsp.fw.
	fw_of snd_mona | grep -qx 'ea/loader_dsp.fw'
	fw_of snd_gina24 | grep -qx 'ea/loader_dsp.fw'
	build --drivers "snd_mona snd_gina24"
	n=$(grep -c 'firmware ea/loader_dsp.fw is not installed' <<< "$err")
	[[ $n -eq 1 ]] || fail "warned $n times:" "$err"
	place ea/loader_dsp.fw
	rf_deps --explain --drivers "snd_mona snd_gina24"
	[[ $(grep -c '^firmware ea/loader_dsp.fw ' <<< "$out") -eq 1 ]] || fail "$out"
	build --drivers "snd_mona snd_gina24"
	[[ $(image_fw | grep -c '^ea/loader_dsp.fw$') -eq 1 ]]
}

@test "a module a denylist leaves out brings no firmware" {
	full_sysroot
	for m in qla2xxx e100; do
		for f in $(fw_of "$m"); do place "$f"; done
	done
	modconf deny.conf 'install e100 /bin/false'
	build --drivers "qla2xxx e100"
	got=$(image_fw)
	grep -q '^ql2500_fw.bin$' <<< "$got"
	! grep -q '^e100/' <<< "$got" || fail "a denied module's firmware:" "$got"
	! grep -q 'e100' <<< "$(grep 'firmware' <<< "$err")"
}

@test "a built-in driver's firmware is found through modules.builtin.modinfo" {
	full_sysroot
	# A copy of the tree's indexes whose i8042 (built into Debian's kernel) names a file.
	T=$BATS_TEST_TMPDIR/tree
	mkdir -p "$T"
	cp "$RF_FULL_ROOT/lib/modules/$K"/modules.* "$T/"
	printf 'i8042.firmware=rf-test/i8042.bin\0' >> "$T/modules.builtin.modinfo"
	rm "$S/lib/modules/$K"
	ln -s "$T" "$S/lib/modules/$K"
	place rf-test/i8042.bin
	rf_deps --explain --drivers i8042
	[[ $status -eq 0 ]] || fail "$err"
	size=$(stat -c %s "$S/lib/firmware/rf-test/i8042.bin")
	grep -qx "firmware rf-test/i8042.bin $size i8042 (built in)" <<< "$out" || fail "$out"
	build --drivers i8042
	[[ $(image_fw) == rf-test/i8042.bin ]]
}

@test "--no-firmware and firmware=\"no\" leave it all out, add_firmware's too" {
	full_sysroot
	for f in $(fw_of e100); do place "$f"; done
	place extra/added.bin
	rfconf 'add_firmware+=" extra/added.bin "'
	build --drivers e100 -v
	grep -q '^extra/added.bin$' <<< "$(image_fw)"
	grep -qE 'firmware: 4 files, [0-9]+ bytes .*% of the image' <<< "$err" || fail "$err"
	build --drivers e100 --no-firmware -v
	[[ -z $(image_fw) ]] || fail "with --no-firmware:" "$(image_fw)"
	grep -q 'firmware: left out' <<< "$err"
	rfconf 'firmware="no"' 'add_firmware+=" extra/added.bin "'
	build --drivers e100
	[[ -z $(image_fw) ]]
	rf_deps --explain --drivers e100
	! grep -q '^firmware ' <<< "$out"
}

@test "add_firmware+= adds files by name; one that is not installed is an error" {
	full_sysroot
	place extra/added.bin
	place extra/updated.bin lib/firmware/updates
	rfconf 'add_firmware+=" extra/added.bin extra/updated.bin "'
	build --drivers e100
	got=$(image_fw)
	grep -q '^extra/added.bin$' <<< "$got"
	grep -q '^extra/updated.bin$' <<< "$got"
	sum=$(sha256sum < "$IMG")
	rfconf 'add_firmware+=" extra/added.bin "' 'add_firmware+=" extra/gone.bin "'
	rf build --sysroot "$S" -k "$K" --no-backup -f --drivers e100 "$IMG"
	[[ $status -eq 1 ]]
	[[ $err == *"add_firmware (etc/ramforge.conf:2): firmware extra/gone.bin not found in $S/lib/firmware"* ]] ||
		fail "$err"
	[[ $(sha256sum < "$IMG") == "$sum" ]] || fail "the old image was replaced"
}

@test "the image is reproducible with firmware in it" {
	full_sysroot
	for f in $(fw_of e100); do place "$f"; xz -C crc32 "$S/lib/firmware/$f"; done
	sed -i 's/^CONFIG_FW_LOADER_COMPRESS_XZ=y/# CONFIG_FW_LOADER_COMPRESS_XZ is not set/' \
		"$S/boot/config-$K"
	build --drivers e100
	a=$(sha256sum < "$IMG")
	build --drivers e100
	[[ $(sha256sum < "$IMG") == "$a" ]]
}
