#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `make install` with PREFIX=/usr into a DESTDIR gives a ramforge that finds its init there
# (PREFIX/lib/ramforge, relative to PREFIX/sbin), and whose compiled-in fallback is PREFIX's.

load helpers

setup() {
	fake_sysroot
	[[ -x ${RAMFORGE_INIT:-} ]] || fail "RAMFORGE_INIT is not set"
	B=$BATS_TEST_TMPDIR/build
	D=$BATS_TEST_TMPDIR/dest
	src=$(dirname "$RAMFORGE_INIT")
	# A copy of the build tree (mtimes kept), so make relinks only what PREFIX changes.
	mkdir -p "$B"
	for d in builder gen init init-include ramforge ramforge-init; do
		[[ -e $src/$d ]] && cp -a "$src/$d" "$B/"
	done
	make -s -C "$RF_TOP" BUILD="$B" PREFIX=/usr DESTDIR="$D" install > "$BATS_TEST_TMPDIR/make.log" 2>&1 ||
		fail "make install failed:" "$(cat "$BATS_TEST_TMPDIR/make.log")"
}

@test "PREFIX=/usr: the installed files are where a package wants them" {
	[[ -x $D/usr/sbin/ramforge ]]
	[[ -x $D/usr/lib/ramforge/ramforge-init ]]
	[[ -f $D/usr/share/man/man8/ramforge.8 ]]
	[[ ! -e $D/usr/local ]] || fail "something went to /usr/local: $(find "$D/usr/local")"
}

@test "PREFIX=/usr: the installed binary builds an image with the installed init" {
	env -u RAMFORGE_INIT "$D/usr/sbin/ramforge" build --sysroot "$S" -k "$K" --drivers chain_a \
		"$BATS_TEST_TMPDIR/x.img" 2> "$BATS_TEST_TMPDIR/err" ||
		fail "build failed:" "$(cat "$BATS_TEST_TMPDIR/err")"
	RAMFORGE=$D/usr/sbin/ramforge rf ls "$BATS_TEST_TMPDIR/x.img"
	has_line "$out" '(^| )init$'
}

@test "PREFIX=/usr: the compiled-in fallback is /usr/lib/ramforge, not /usr/local" {
	grep -aq '/usr/lib/ramforge/ramforge-init' "$D/usr/sbin/ramforge"
	! grep -aq '/usr/local/lib/ramforge' "$D/usr/sbin/ramforge" || fail "/usr/local is still compiled in"
}
