#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The depmod indexes inside an image: kmod's own modprobe, run on the unpacked image
# (zstd -d | cpio -idm), resolves every included module, and every alias of one, exactly as
# on the source tree; modules left out are unknown there.

load helpers

setup() {
	EMPTY=$BATS_TEST_TMPDIR/empty.d
	mkdir -p "$EMPTY"
}

# build_unpack "A B": `ramforge build --drivers "A B"` (exactly those) from S/K, unpacked into U.
build_unpack() {
	local init=${RAMFORGE_INIT:-}
	IMG=$BATS_TEST_TMPDIR/image.img
	U=$BATS_TEST_TMPDIR/unpacked
	if [[ ! -x $init ]]; then # the indexes are under test here, not the init
		init=$BATS_TEST_TMPDIR/init
		printf '#!/bin/sh\n' > "$init"
		chmod +x "$init"
	fi
	rf build --sysroot "$S" --kver "$K" --no-modules-load --init "$init" --drivers "$1" "$IMG"
	[[ $status -eq 0 ]] || fail "ramforge build failed ($status): $err" || return 1
	rm -rf "$U"
	mkdir -p "$U"
	(cd "$U" && zstd -dcq "$IMG" | cpio -idm --quiet) || fail "unpacking $IMG failed"
}

# showdeps DIR NAME: modprobe's answer on DIR (tree paths made comparable), and its status.
showdeps() {
	local rc=0 txt
	txt=$(modprobe -d "$1" -S "$K" -C "$EMPTY" --show-depends "$2" 2>&1) || rc=$?
	printf '%s\nstatus %d\n' "${txt//$1\/lib\/modules\/$K\//MODDIR/}" "$rc"
}

# The module names (normalised) of the .ko files in the unpacked image.
image_modules() {
	find "$U/lib/modules/$K" -name '*.ko*' | sed 's#.*/##; s/\.ko.*$//' | tr - _ | sort
}

# same NAME: modprobe agrees on the source tree and the image.
same() {
	local a b
	a=$(showdeps "$S" "$1")
	b=$(showdeps "$U" "$1")
	[[ $a == "$b" ]] || fail "modprobe --show-depends $1 differs (source, then image):" "$a" "$b"
}

# A string an alias pattern matches ('*' and '?' as X, a [class] as its first member); empty
# for a negated class.
sample() {
	[[ $1 == *'[!'* || $1 == *'[^'* ]] && return 0
	printf '%s\n' "$1" | sed 's/\[\(.\)[^]]*\]/\1/g; s/[*?]/X/g'
}

# within NAME: the source tree resolves NAME to modules of the image only (inset), so the
# image must answer the same; an alias that also names a module left out legitimately differs.
within() {
	local x
	for x in $(showdeps "$S" "$1" | awk '$1 == "insmod" { n = $2; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); print n }' | tr - _); do
		[[ -n ${inset[$x]:-} ]] || return 1
	done
}

# Every included module, every alias of one and (up to 200) aliases of builtin modules, where
# the source tree resolves them within the set.
compare_all() {
	local mods m pat mod a bad=0 naliases=0
	mods=$(image_modules)
	[[ -n $mods ]] || fail "no modules in the image" || return 1
	declare -A inset=()
	for m in $mods; do
		inset[$m]=1
		same "$m" || bad=1
	done
	while read -r a; do
		[[ -n $a ]] && within "$a" || continue
		naliases=$((naliases + 1))
		same "$a" || bad=1
	done < <(
		while read -r _ pat mod; do
			[[ -n ${inset[$mod]:-} ]] && sample "$pat"
		done < <(grep '^alias ' "$S/lib/modules/$K/modules.alias")
		tr '\0' '\n' < "$S/lib/modules/$K/modules.builtin.modinfo" | sed -n 's/^[^.]*\.alias=//p' |
			head -n 200 | while read -r pat; do sample "$pat"; done
	)
	echo "# $(wc -w <<< "$mods") modules, $naliases aliases compared" >&3
	return $bad
}

@test "depindex: fake tree: modprobe on the image resolves every module and alias as on the tree" {
	fake_sysroot
	build_unpack "fakefs fake-net fake-virtblk hash_user soft_user uses_builtin chain_a otherfs"
	compare_all
}

@test "depindex: fake tree: all 13 index files, mode 0644, one modules.dep line per module file" {
	fake_sysroot
	build_unpack "fakefs fake-net"
	local d=$U/lib/modules/$K f
	for f in modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep \
		modules.symbols modules.symbols.bin modules.builtin modules.builtin.bin \
		modules.builtin.alias.bin modules.builtin.modinfo modules.order modules.devname; do
		[[ -f $d/$f ]] || fail "$f is missing from the image"
		[[ $(stat -c %a "$d/$f") == 644 ]] || fail "$f has mode $(stat -c %a "$d/$f")"
	done
	[[ $(wc -l < "$d/modules.dep") -eq $(image_modules | wc -l) ]] ||
		fail "modules.dep lines != module files" "$(cat "$d/modules.dep")"
	# the builtin indexes describe the kernel: kept whole
	cmp "$d/modules.builtin" "$S/lib/modules/$K/modules.builtin"
	cmp "$d/modules.builtin.modinfo" "$S/lib/modules/$K/modules.builtin.modinfo"
}

@test "depindex: fake tree: modules left out of the image are unknown to modprobe there" {
	fake_sysroot
	build_unpack "chain_a"
	! modprobe -d "$U" -S "$K" -C "$EMPTY" --show-depends dia_top > /dev/null 2>&1 ||
		fail "dia_top (not in the image) resolves on the image"
	! modprobe -d "$U" -S "$K" -C "$EMPTY" --show-depends fs-otherfs > /dev/null 2>&1 ||
		fail "fs-otherfs (alias of a module not in the image) resolves on the image"
	modprobe -d "$U" -S "$K" -C "$EMPTY" --show-depends fake-builtin-alias | grep -qx 'builtin fake_builtin' ||
		fail "the builtin alias fake-builtin-alias does not resolve on the image"
}

@test "depindex: the whole fake tree: indexes byte-identical to depmod's" {
	fake_sysroot
	local all
	all=$(sed 's#:.*##; s#.*/##; s#\.ko.*##' "$S/lib/modules/$K/modules.dep" | tr '\n' ' ')
	build_unpack "$all"
	local d=$U/lib/modules/$K f
	[[ $(image_modules | wc -l) -eq $(wc -l < "$S/lib/modules/$K/modules.dep") ]] ||
		fail "not every module of the tree is in the image"
	for f in modules.dep modules.dep.bin modules.alias modules.alias.bin modules.symbols \
		modules.symbols.bin modules.softdep modules.devname modules.order \
		modules.builtin.bin modules.builtin.alias.bin; do
		cmp "$d/$f" "$S/lib/modules/$K/$f" || fail "$f differs from depmod's"
	done
	compare_all
}

@test "depindex: Debian cloud kernel, ~30 modules: modprobe on the image resolves as on the tree" {
	cloud_sysroot
	build_unpack "virtio_pci virtio_blk virtio_net virtio_scsi ext4 xfs btrfs nvme sd_mod dm_crypt raid1 crc32c_intel"
	compare_all
}
