#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Firmware at boot: a kbuild-built module (rf_fwtest.ko, tests/fixtures/mkoot) whose init calls
# request_firmware("ramforge/fwtest.bin") is put into a copy of Debian's full kernel tree; the
# image built with -a rf_fwtest carries the file, the kernel hands its bytes to the driver
# from the image, and the init waits for that load before it switches root. Without the file in
# the image the driver is told so, and the boot goes on. A module whose init does not return
# (rf_slow.ko, tests/fixtures/slowmod, built here with the same kbuild tree) is waited for only
# ramforge.load_timeout= seconds: the console names it and the root is reached.

load helpers

FW_LINE="ramforge firmware test payload 7f3a9c"

setup_file() {
	need_full_boot
	[[ -n ${RF_OOT_DIR:-} && -e ${RF_OOT_DIR:-}/rf_fwtest.ko ]] ||
		skip "RF_OOT_DIR is not set: run through 'make check' (tests/fixtures/prepare builds rf_fwtest.ko with tests/fixtures/mkoot)"
	[[ ${RF_OOT_KVER:-$KVER} == "$KVER" ]] || fail "rf_fwtest.ko is for ${RF_OOT_KVER}, not $KVER"
	make_root_disk
	# The full tree (its modules hard-linked, the indexes copied) plus extra/rf_fwtest.ko.
	S=$BATS_FILE_TMPDIR/sysroot
	T=$S/lib/modules/$KVER
	mkdir -p "$T/extra" "$S/etc/modprobe.d" "$S/boot" "$S/lib/firmware/ramforge"
	cp -al "$KROOT/lib/modules/$KVER/kernel" "$T/kernel" 2> /dev/null ||
		cp -r "$KROOT/lib/modules/$KVER/kernel" "$T/kernel"
	cp "$KROOT/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$T/"
	cp "$RF_OOT_DIR/rf_fwtest.ko" "$T/extra/"
	[[ -n ${RF_KBUILD:-} ]] || fail "RF_KBUILD is not set (tests/fixtures/prepare)"
	cp -r "$RF_TOP/tests/fixtures/slowmod" "$BATS_FILE_TMPDIR/slowmod"
	make -s -C "$RF_KBUILD" M="$BATS_FILE_TMPDIR/slowmod" modules > /dev/null 2>&1 ||
		fail "building tests/fixtures/slowmod against $RF_KBUILD failed"
	cp "$BATS_FILE_TMPDIR/slowmod/rf_slow.ko" "$T/extra/"
	depmod -b "$S" "$KVER" || fail "depmod failed"
	cp "$KROOT/boot/config-$KVER" "$S/boot/"
	printf '%s\nsecond line\n' "$FW_LINE" > "$S/lib/firmware/ramforge/fwtest.bin"
	build_image "$BATS_FILE_TMPDIR/fw.img" "$S" -a rf_fwtest -v
	printf '%s\n' "$output" > "$BATS_FILE_TMPDIR/build.log"
	build_image "$BATS_FILE_TMPDIR/nofw.img" "$S" -a rf_fwtest --no-firmware
	build_image "$BATS_FILE_TMPDIR/slow.img" "$S" -a rf_slow
}

setup() {
	need_full_boot
	BOOT_MEM=1024
}

@test "the image holds the module and the firmware it names" {
	run "$RAMFORGE" ls "$BATS_FILE_TMPDIR/fw.img"
	# a generic image: the module compressed on its own in the uncompressed segment
	grep -qE " lib/modules/$KVER/extra/rf_fwtest.ko.zst$" <<< "$output" || fail "no rf_fwtest.ko.zst:" "$output"
	size=$(stat -c %s "$BATS_FILE_TMPDIR/sysroot/lib/firmware/ramforge/fwtest.bin")
	grep -qE "^-.* $size .* lib/firmware/ramforge/fwtest.bin$" <<< "$output" ||
		fail "no lib/firmware/ramforge/fwtest.bin of $size bytes:" "$(grep firmware <<< "$output")"
	grep -q 'firmware: 1 file' "$BATS_FILE_TMPDIR/build.log" ||
		fail "-v did not count the firmware:" "$(cat "$BATS_FILE_TMPDIR/build.log")"
}

@test "the firmware's bytes reach the driver from the image, and the init waits for the load" {
	size=$(stat -c %s "$BATS_FILE_TMPDIR/sysroot/lib/firmware/ramforge/fwtest.bin")
	boot "$BATS_FILE_TMPDIR/fw.img" "root=UUID=$ROOT_UUID rd.debug"
	assert_reached_root
	assert_console "rf_fwtest: loaded firmware ramforge/fwtest.bin: $size bytes: $FW_LINE\$"
	assert_module_loaded rf_fwtest
	# The order on the console: the driver got its firmware, the init saw the load finish,
	# and only then did it switch root.
	fw=$(grep -n 'rf_fwtest: loaded firmware' <<< "$output" | head -n1 | cut -d: -f1)
	done_at=$(grep -nE 'ramforge-init: .*rf_fwtest: loaded in ' <<< "$output" | head -n1 | cut -d: -f1)
	switch=$(grep -nE 'ramforge-init: mounted .* on / .*running' <<< "$output" | head -n1 | cut -d: -f1)
	[[ -n $fw && -n $done_at && -n $switch ]] ||
		fail "missing console lines (firmware '$fw', load done '$done_at', switch '$switch'):" \
			"$(tail -n 60 <<< "$output")"
	((fw < switch && done_at < switch)) ||
		fail "the init switched root (line $switch) before the load ended (line $done_at)"
	refute_console 'still loading after'
}

@test "without the firmware in the image the driver is told so and the boot goes on" {
	boot "$BATS_FILE_TMPDIR/nofw.img" "root=UUID=$ROOT_UUID"
	assert_reached_root
	assert_console 'rf_fwtest: firmware ramforge/fwtest.bin not loaded: error -2'
}

@test "a load that does not end is waited for only ramforge.load_timeout= seconds, naming it" {
	boot "$BATS_FILE_TMPDIR/slow.img" "root=UUID=$ROOT_UUID ramforge.load_timeout=5"
	assert_console 'rf_slow: sleeping 600 s in its init' \
		'ramforge-init: rf_slow: still loading after [5-9] s \(ramforge.load_timeout=5\): not waiting for it any longer'
	assert_reached_root
	((took < 300)) || fail "the boot took $took s"
}
