#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Early microcode: the image starts with an uncompressed newc cpio holding
# kernel/x86/microcode/GenuineIntel.bin and AuthenticAMD.bin (the sysroot's intel-ucode and
# amd-ucode files concatenated in name order), then the compressed main archive; hostonly
# takes only the build host's CPU's files (a fake /proc/cpuinfo under --host-root); nothing
# without files or when turned off. The segments are read back with cpio and a newc header
# walk written here, not with ramforge's own reader, except where `ramforge ls` is the subject.

load helpers

setup() {
	fake_sysroot
	IMG=$BATS_TEST_TMPDIR/test.img
	U=$S/lib/firmware/intel-ucode
	A=$S/lib/firmware/amd-ucode
}

# blob FILE BYTES: FILE holding BYTES random bytes (each file differs).
blob() {
	mkdir -p "$(dirname "$1")"
	head -c "$2" /dev/urandom > "$1"
}

# The vendor files of a sysroot like Debian's: Intel FF-MM-SS and FF-MM-SS.initramfs names,
# AMD's per-family files, and what is not microcode beside them.
ucode_files() {
	blob "$U/06-55-04" 3072
	blob "$U/06-3a-09.initramfs" 1024
	blob "$U/06-9e-0a" 2048
	blob "$U/0f-04-0a" 512
	printf 'signature\n' > "$U/06-55-04.asc"
	printf 'readme\n' > "$U/README"
	blob "$A/microcode_amd.bin" 700
	blob "$A/microcode_amd_fam17h.bin" 900
	blob "$A/microcode_amd_fam19h.bin" 1100
	printf 'signature\n' > "$A/microcode_amd_fam17h.bin.asc"
	printf 'notes\n' > "$A/NOTES.txt"
}

build() { # ARGS... (after the selection)
	rf build --sysroot "$S" -k "$K" --drivers "chain_a" -f --no-backup "$@"
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

# newc_walk IMAGE: walk the newc headers of the uncompressed archive at the start of IMAGE;
# print "NAME DATA-OFFSET SIZE" per entry (the name up to its first NUL, as the kernel reads
# it), then "end OFFSET": where the archive ends (after TRAILER!!! and newc's 4-byte padding);
# only "end 0" when IMAGE does not start with one.
newc_walk() {
	python3 - "$1" <<-'EOF'
		import sys
		d = open(sys.argv[1], 'rb').read()
		o = 0
		if d[:6] == b'070701':
		    while True:
		        h = d[o:o + 110]
		        assert h[:6] == b'070701', 'bad newc header at %d' % o
		        namesize, filesize = int(h[94:102], 16), int(h[54:62], 16)
		        name = d[o + 110:o + 110 + namesize].split(b'\0')[0].decode()
		        o = (o + 110 + namesize + 3) & ~3
		        print(name, o, filesize)
		        o = (o + filesize + 3) & ~3
		        if name == 'TRAILER!!!':
		            break
		print('end', o)
	EOF
}

# early_len IMAGE: where the early archive ends (0: there is none).
early_len() {
	newc_walk "$1" | awk '$1 == "end" { print $2 }'
}

# early_paths IMAGE: the entries of the first archive of IMAGE (cpio stops at its trailer).
early_paths() {
	cpio -it --quiet < "$1" 2>/dev/null
}

# early_unpack IMAGE DIR: the first archive unpacked into DIR.
early_unpack() {
	mkdir -p "$2"
	(cd "$2" && cpio -idm --quiet < "$1" 2>/dev/null) || fail "cannot unpack the early cpio of $1"
}

# main_paths IMAGE: the entries of the zstd segment that follows the early cpio.
main_paths() {
	tail -c +$(($(early_len "$1") + 1)) "$1" | zstd -dc | cpio -it --quiet 2>/dev/null
}

EARLY_PATHS='kernel
kernel/x86
kernel/x86/microcode
kernel/x86/microcode/AuthenticAMD.bin
kernel/x86/microcode/GenuineIntel.bin'

@test "the first segment is an uncompressed cpio of the two containers, the files concatenated in name order" {
	ucode_files
	build -v "$IMG"
	[[ $(head -c 6 "$IMG") == 070701 ]] || fail "the image does not start with a newc header"
	[[ $(early_paths "$IMG") == "$EARLY_PATHS" ]] || fail "early cpio:" "$(early_paths "$IMG")"
	x=$BATS_TEST_TMPDIR/early
	early_unpack "$IMG" "$x"
	# C-locale name order: 06-3a-09.initramfs 06-55-04 06-9e-0a 0f-04-0a; no .asc, no README
	cat "$U/06-3a-09.initramfs" "$U/06-55-04" "$U/06-9e-0a" "$U/0f-04-0a" > "$BATS_TEST_TMPDIR/intel"
	cat "$A/microcode_amd.bin" "$A/microcode_amd_fam17h.bin" "$A/microcode_amd_fam19h.bin" > "$BATS_TEST_TMPDIR/amd"
	cmp "$x/kernel/x86/microcode/GenuineIntel.bin" "$BATS_TEST_TMPDIR/intel"
	cmp "$x/kernel/x86/microcode/AuthenticAMD.bin" "$BATS_TEST_TMPDIR/amd"
	# the main archive starts right after the trailer, at a 4-byte boundary, as zstd
	off=$(early_len "$IMG")
	((off % 4 == 0)) || fail "the early cpio ends at $off, not 4-byte aligned"
	[[ $(tail -c +$((off + 1)) "$IMG" | head -c 4 | od -An -tx1 | tr -d ' ') == 28b52ffd ]] ||
		fail "no zstd frame at $off"
	has_line "$(main_paths "$IMG")" '^init$'
	lacks_line "$(main_paths "$IMG")" '^kernel'
	has_line "$err" "^ramforge: early microcode: 9356 bytes uncompressed \(GenuineIntel\.bin 6656 from 4 files, AuthenticAMD\.bin 2700 from 3 files\)$"
}

@test "each file's data in the early cpio starts at a 16-byte boundary, as Intel's loader wants" {
	ucode_files
	for extra in 0 1 2 3 5 13; do
		# file sizes that move the next entry to every 4-byte offset modulo 16
		blob "$A/microcode_amd.bin" $((700 + extra))
		build "$IMG"
		walk=$(newc_walk "$IMG")
		for f in AuthenticAMD GenuineIntel; do
			off=$(awk -v f="kernel/x86/microcode/$f.bin" '$1 == f { print $2 }' <<< "$walk")
			[[ -n $off ]] && ((off % 16 == 0)) || fail "$f.bin's data at $off (AMD file +$extra):" "$walk"
		done
	done
	# cpio and the kernel read the names up to their NUL: the files come out whole
	early_unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	cat "$A/microcode_amd.bin" "$A/microcode_amd_fam17h.bin" "$A/microcode_amd_fam19h.bin" |
		cmp - "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/AuthenticAMD.bin"
}

@test "dracut's lsinitrd lists the early cpio and the main archive of a ramforge image" {
	local lsinitrd base
	read -r lsinitrd base < <("$RF_TOP/tests/fixtures/fetch-lsinitrd") ||
		fail "cannot fetch dracut's lsinitrd"
	ucode_files
	build "$IMG"
	listing=$(dracutbasedir=$base bash "$lsinitrd" "$IMG" 2>&1)
	has_line "$listing" "^Early CPIO image$"
	has_line "$listing" " kernel/x86/microcode/GenuineIntel\.bin$"
	has_line "$listing" " init$"
	lacks_line "$listing" "Corrupt|ERROR"
	plan=$(dracutbasedir=$base bash "$lsinitrd" -f etc/ramforge/plan "$IMG" 2>&1)
	has_line "$plan" "^kver $K$"
}

@test "ramforge ls shows both segments of a ramforge image and the entries of each" {
	ucode_files
	build "$IMG"
	off=$(early_len "$IMG")
	rf ls "$IMG"
	((status == 0)) || fail "ls failed: $err"
	has_line "$out" "^Image: .*: $(stat -c %s "$IMG") bytes, early cpio \(none\) at 0 \+ zstd at $off$"
	has_line "$out" "^segment 1 of 2: none at 0, $off bytes, 1 archive, 5 entries$"
	has_line "$out" "^segment 2 of 2: zstd at $off, "
	seg1=$(printf '%s\n' "$out" | awk '/^segment 1 /{ s = 1; next } /^segment 2 /{ s = 0 } s { print $NF }')
	[[ $seg1 == "$EARLY_PATHS" ]] || fail "segment 1 entries:" "$seg1"
	seg2=$(printf '%s\n' "$out" | awk '/^segment 2 /{ s = 1; next } s { print $NF }')
	[[ $seg2 == "$(main_paths "$IMG")" ]] || fail "segment 2 entries differ from the zstd stream's:" "$seg2"
	has_line "$out" " 6656 1970-01-01 00:00 kernel/x86/microcode/GenuineIntel\.bin$"
}

@test "with --compress none the image is two uncompressed archives back to back" {
	ucode_files
	build --compress none "$IMG"
	off=$(early_len "$IMG")
	[[ $(early_paths "$IMG") == "$EARLY_PATHS" ]] || fail "$(early_paths "$IMG")"
	tail -c +$((off + 1)) "$IMG" | cpio -it --quiet 2>/dev/null | grep -qx init || fail "no main archive at $off"
	rf ls "$IMG"
	has_line "$out" "^Image: .*, early cpio \(none\) at 0 \+ none at $off$"
}

@test "hostonly: an Intel host (fake /proc/cpuinfo) gets only its FF-MM-SS file, no AMD container" {
	ucode_files
	H=$BATS_TEST_TMPDIR/host
	mkdir -p "$H/proc"
	# Kaby Lake 06-9e-0a: model 158, stepping 10 (cpuinfo is decimal); two processors
	printf 'processor\t: %s\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 158\nmodel name\t: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz\nstepping\t: 10\n\n' 0 1 > "$H/proc/cpuinfo"
	build -v --hostonly --host-root "$H" "$IMG"
	[[ $(early_paths "$IMG") == $'kernel\nkernel/x86\nkernel/x86/microcode\nkernel/x86/microcode/GenuineIntel.bin' ]] ||
		fail "early cpio:" "$(early_paths "$IMG")"
	early_unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	cmp "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/GenuineIntel.bin" "$U/06-9e-0a"
	has_line "$err" "early microcode for this host's CPU \(GenuineIntel family 6 model 158 stepping 10\): 2048 bytes"
	# Ivy Bridge 06-3a-09 exists only as Debian's 06-3a-09.initramfs
	sed -i -e 's/: 158$/: 58/' -e 's/: 10$/: 9/' "$H/proc/cpuinfo"
	build --hostonly --host-root "$H" "$IMG"
	early_unpack "$IMG" "$BATS_TEST_TMPDIR/y"
	cmp "$BATS_TEST_TMPDIR/y/kernel/x86/microcode/GenuineIntel.bin" "$U/06-3a-09.initramfs"
}

@test "hostonly: an AMD host gets the file of its family only; a CPU without a file gets no early cpio" {
	ucode_files
	H=$BATS_TEST_TMPDIR/host
	mkdir -p "$H/proc"
	printf 'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 33\nstepping\t: 0\n' > "$H/proc/cpuinfo"
	build --hostonly --host-root "$H" "$IMG"
	[[ $(early_paths "$IMG") == $'kernel\nkernel/x86\nkernel/x86/microcode\nkernel/x86/microcode/AuthenticAMD.bin' ]] ||
		fail "early cpio:" "$(early_paths "$IMG")"
	early_unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	cmp "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/AuthenticAMD.bin" "$A/microcode_amd_fam19h.bin"
	# family 0x15 wants microcode_amd_fam15h.bin, which this sysroot lacks
	sed -i 's/: 25$/: 21/' "$H/proc/cpuinfo"
	build -v --hostonly --host-root "$H" "$IMG"
	[[ $(head -c 4 "$IMG" | od -An -tx1 | tr -d ' ') == 28b52ffd ]] || fail "the image does not start with zstd"
	has_line "$err" "^ramforge: early microcode: none for this host's CPU \(AuthenticAMD family 21 "
}

@test "hostonly on a fake host of the boot tests' QEMU machine: the probe and the CPU's microcode together" {
	cloud_sysroot
	U=$S/lib/firmware/intel-ucode
	A=$S/lib/firmware/amd-ucode
	ucode_files
	H=$BATS_TEST_TMPDIR/host
	"$RF_TOP/tests/fixtures/mkfakehost" qemu-virtio "$H"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nstepping\t: 4\n' > "$H/proc/cpuinfo"
	rf build --sysroot "$S" -k "$K" --hostonly --host-root "$H" "$IMG"
	((status == 0)) || fail "build failed: $err"
	early_unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	cmp "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/GenuineIntel.bin" "$U/06-55-04"
	[[ ! -e $BATS_TEST_TMPDIR/x/kernel/x86/microcode/AuthenticAMD.bin ]] || fail "an AMD container on an Intel host"
	# a hostonly image: its modules compressed one by one in the same uncompressed segment
	has_line "$(cd "$BATS_TEST_TMPDIR/x" && find . -name '*.ko*')" "virtio_blk\.ko\.zst$"
	lacks_line "$(main_paths "$IMG")" "\.ko"
}

@test "hostonly with microcode files and no readable /proc/cpuinfo is an error naming it" {
	ucode_files
	H=$BATS_TEST_TMPDIR/host
	mkdir -p "$H/proc"
	rf build --sysroot "$S" -k "$K" --drivers chain_a --hostonly --host-root "$H" "$IMG"
	expect_error "host/proc/cpuinfo"
	[[ ! -e $IMG ]] || fail "an image was written"
	# the same without microcode files needs no cpuinfo
	rm -rf "$S/lib/firmware"
	build --hostonly --host-root "$H" "$IMG"
}

@test "a sysroot without microcode gives one segment, the main archive at offset 0" {
	build -v "$IMG"
	[[ $(head -c 4 "$IMG" | od -An -tx1 | tr -d ' ') == 28b52ffd ]] || fail "the image does not start with zstd"
	rf ls "$IMG"
	has_line "$out" "^Image: .*: [0-9]+ bytes, zstd at 0$"
	lacks_line "$out" "^segment "
	# empty vendor directories, signatures and READMEs only: still nothing
	mkdir -p "$U" "$A"
	printf 'x\n' > "$U/README"
	printf 'x\n' > "$A/microcode_amd.bin.asc"
	: > "$U/06-55-04"
	build -v "$IMG"
	[[ $(head -c 4 "$IMG" | od -An -tx1 | tr -d ' ') == 28b52ffd ]] || fail "an early segment without microcode"
	has_line "$err" "^ramforge: early microcode: none \(no files in lib/firmware/intel-ucode or lib/firmware/amd-ucode\)$"
}

@test "--no-early-microcode and early_microcode=\"no\" leave it out; --early-microcode overrides the config" {
	ucode_files
	build -v --no-early-microcode "$IMG"
	[[ $(head -c 4 "$IMG" | od -An -tx1 | tr -d ' ') == 28b52ffd ]] || fail "--no-early-microcode: an early segment"
	has_line "$err" '^ramforge: early microcode: left out \(--no-early-microcode\)$'
	rfconf 'early_microcode="no"'
	build -v "$IMG"
	[[ $(head -c 4 "$IMG" | od -An -tx1 | tr -d ' ') == 28b52ffd ]] || fail "early_microcode=no: an early segment"
	has_line "$err" '^ramforge: early microcode: left out \(early_microcode="no"\)$'
	build --early-microcode "$IMG"
	[[ $(early_paths "$IMG") == "$EARLY_PATHS" ]] || fail "--early-microcode over early_microcode=no"
	rfconf 'early_microcode="yes"'
	build "$IMG"
	[[ $(early_paths "$IMG") == "$EARLY_PATHS" ]] || fail "early_microcode=yes"
}

@test "the target kernel's config decides: Debian's cloud kernel has no microcode loader, its full kernel both" {
	ucode_files
	mkdir -p "$S/boot"
	need_fixture RF_CLOUD_ROOT RF_CLOUD_KVER RF_FULL_ROOT RF_FULL_KVER
	# CONFIG_MICROCODE is not set in the cloud flavour
	cp "$RF_CLOUD_ROOT/boot/config-$RF_CLOUD_KVER" "$S/boot/config-$K"
	build -v "$IMG"
	[[ $(head -c 4 "$IMG" | od -An -tx1 | tr -d ' ') == 28b52ffd ]] || fail "an early segment for a kernel without a loader"
	has_line "$err" "^ramforge: early microcode: left out \($K has no microcode loader: boot/config-$K\)$"
	cp "$RF_FULL_ROOT/boot/config-$RF_FULL_KVER" "$S/boot/config-$K"
	build "$IMG"
	[[ $(early_paths "$IMG") == "$EARLY_PATHS" ]] || fail "full kernel:" "$(early_paths "$IMG")"
	# a kernel with Intel's loader only gets GenuineIntel.bin
	sed -i 's/^CONFIG_MICROCODE_AMD=y$/# CONFIG_MICROCODE_AMD is not set/' "$S/boot/config-$K"
	build -v "$IMG"
	[[ $(early_paths "$IMG") == $'kernel\nkernel/x86\nkernel/x86/microcode\nkernel/x86/microcode/GenuineIntel.bin' ]] ||
		fail "Intel's loader only:" "$(early_paths "$IMG")"
	has_line "$err" "^ramforge: early microcode: no AuthenticAMD\.bin \($K: CONFIG_MICROCODE_AMD is not set\)$"
}

@test "a rebuild is byte-identical; SOURCE_DATE_EPOCH sets the early entries' mtimes too" {
	ucode_files
	build "$IMG"
	build "$BATS_TEST_TMPDIR/again.img"
	cmp "$IMG" "$BATS_TEST_TMPDIR/again.img"
	SOURCE_DATE_EPOCH=1700000000 build "$BATS_TEST_TMPDIR/epoch.img"
	SOURCE_DATE_EPOCH=1700000000 build "$BATS_TEST_TMPDIR/epoch2.img"
	cmp "$BATS_TEST_TMPDIR/epoch.img" "$BATS_TEST_TMPDIR/epoch2.img"
	times=$(cpio -itv --quiet < "$BATS_TEST_TMPDIR/epoch.img" 2>/dev/null | awk '{ print $6, $7, $8 }' | sort -u)
	[[ $times == "Nov 14 2023" ]] || fail "early entries' dates: $times"
	# and replacing the image with the same bytes keeps it (the installer compares both segments)
	rf build --sysroot "$S" -k "$K" --drivers chain_a -f -v "$IMG"
	has_line "$err" "is unchanged: the new image is byte-identical"
}

@test "Debian's intel-microcode and amd64-microcode packages: every file goes in, as the packages install them" {
	M=$("$RF_TOP/tests/fixtures/fetch-microcode") || fail "cannot fetch Debian's microcode packages"
	mkdir -p "$S/lib/firmware"
	cp -a "$M/lib/firmware/intel-ucode" "$M/lib/firmware/amd-ucode" "$S/lib/firmware/"
	build -v "$IMG"
	early_unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	(cd "$M/lib/firmware/intel-ucode" && LC_ALL=C ls | while read -r f; do cat "$f"; done) > "$BATS_TEST_TMPDIR/intel"
	cat "$M"/lib/firmware/amd-ucode/*.bin > "$BATS_TEST_TMPDIR/amd"
	cmp "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/GenuineIntel.bin" "$BATS_TEST_TMPDIR/intel"
	cmp "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/AuthenticAMD.bin" "$BATS_TEST_TMPDIR/amd"
	n=$(ls "$M/lib/firmware/intel-ucode" | wc -l)
	has_line "$err" "GenuineIntel\.bin $(stat -c %s "$BATS_TEST_TMPDIR/intel") from $n files"
	# Intel containers start with header version 1; AMD's with the magic "DMA\0"
	[[ $(head -c 4 "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/GenuineIntel.bin" | od -An -tx1 | tr -d ' ') == 01000000 ]]
	[[ $(head -c 4 "$BATS_TEST_TMPDIR/x/kernel/x86/microcode/AuthenticAMD.bin" | od -An -tx1 | tr -d ' ') == 444d4100 ]]
}
