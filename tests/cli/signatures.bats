#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge ls --signatures`: the signer, sig_key and sig_hashalgo of every module agree with
# kmod's `modinfo -F` on all 4023 modules of Debian's full kernel (one image holding them
# all), and the trust column: in-tree for Debian's build key, cert:FILE / untrusted /
# unsigned / malformed for the out-of-tree test module signed with the test keys or not.

load helpers

setup_file() {
	[[ -n ${RF_FULL_ROOT:-} && -x ${RAMFORGE:-} ]] || return 0
	local t=$BATS_FILE_TMPDIR s names
	s=$t/sysroot
	mkdir -p "$s/etc/modprobe.d" "$s/lib/modules"
	ln -s "$RF_FULL_ROOT/lib/modules/$RF_FULL_KVER" "$s/lib/modules/$RF_FULL_KVER"
	find "$RF_FULL_ROOT/lib/modules/$RF_FULL_KVER" -name '*.ko*' | LC_ALL=C sort > "$t/files"
	names=$(sed 's|.*/||; s|\.ko.*||' "$t/files" | tr '\n' ' ')
	"$RAMFORGE" build -q --sysroot "$s" -k "$RF_FULL_KVER" --drivers "$names" --compress none \
		--no-backup "$t/all.img" 2> "$t/build.err" || true
}

# "NAME|SIGNER|SIG_KEY|HASHALGO|TRUST" from ls --signatures lines on stdin.
fields() {
	sed -E 's/^([^ ]+) signer="(.*)" sig_key=([^ ]*) sig_hashalgo=([^ ]*) trust=(.*)$/\1|\2|\3|\4|\5/'
}

@test "every module of Debian's full kernel: the fields modinfo -F prints, trust=in-tree" {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	local t=$BATS_FILE_TMPDIR
	[[ -s $t/all.img ]] || fail "the image of all modules was not built:" "$(cat "$t/build.err")"
	rf ls --signatures "$t/all.img"
	[[ $status -eq 0 && -z $err ]] || fail "status $status" "$err"
	printf '%s\n' "$out" | fields | LC_ALL=C sort > "$t/ours"
	[[ $(wc -l < "$t/ours") -eq $(wc -l < "$t/files") ]] ||
		fail "$(wc -l < "$t/ours") lines for $(wc -l < "$t/files") modules"
	((  $(wc -l < "$t/files") > 4000 )) || fail "only $(wc -l < "$t/files") modules in the tree"
	# kmod's answer, one modinfo run per field over all the files (each prints one line per
	# module: every module of Debian's kernel is signed).
	sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$t/files" > "$t/names"
	xargs -a "$t/files" modinfo -F signer > "$t/signer"
	xargs -a "$t/files" modinfo -F sig_key > "$t/sig_key"
	xargs -a "$t/files" modinfo -F sig_hashalgo > "$t/sig_hashalgo"
	paste -d '|' "$t/names" "$t/signer" "$t/sig_key" "$t/sig_hashalgo" |
		sed 's/$/|in-tree/' | LC_ALL=C sort > "$t/kmod"
	[[ $(wc -l < "$t/kmod") -eq $(wc -l < "$t/files") ]] || fail "modinfo printed a field twice or not at all"
	diff "$t/kmod" "$t/ours" > "$t/diff" || fail "ls --signatures and modinfo differ:" "$(head -n 20 "$t/diff")"
}

# An image (cpio newc, made with the real tools) of a few in-tree modules of the full kernel and
# the out-of-tree ones under extra/, signed as given; OOT_SETUP runs in the module directory.
oot_image() { # IMAGE [xz]
	local r=$BATS_TEST_TMPDIR/root m=$BATS_TEST_TMPDIR/root/lib/modules/$RF_OOT_KVER f
	rm -rf "$r"
	mkdir -p "$m/extra"
	for f in kernel/fs/ext4/ext4.ko kernel/fs/jbd2/jbd2.ko kernel/lib/crc16.ko; do
		mkdir -p "$m/$(dirname "$f")"
		cp "$RF_FULL_ROOT/lib/modules/$RF_FULL_KVER/$f" "$m/$f"
	done
	cp "$RF_OOT_DIR/rf_oot.ko" "$RF_OOT_DIR/rf_fwtest.ko" "$m/extra/"
	(cd "$m/extra" && oot_setup)
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$1"
}

line_of() { # NAME: its line of $out
	printf '%s\n' "$out" | grep "^$1 "
}

@test "out-of-tree: signed with a trusted cert, another key, unsigned" {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	need_oot
	local img=$BATS_TEST_TMPDIR/oot.img key cert
	key=$RF_SIGN_KEY cert=$RF_SIGN_CERT
	oot_setup() { "$RF_KBUILD/scripts/sign-file" sha512 "$key" "$cert" rf_oot.ko; }
	oot_image "$img"
	rf ls --signatures --trusted-cert "$RF_SIGN_CERT" "$img"
	[[ $status -eq 0 && -z $err ]] || fail "$err"
	[[ $(line_of rf_oot) == "rf_oot signer=\"ramforge test signing key\" sig_key=$(modinfo -F sig_key "$BATS_TEST_TMPDIR/root/lib/modules/$RF_OOT_KVER/extra/rf_oot.ko") sig_hashalgo=sha512 trust=cert:$RF_SIGN_CERT" ]] ||
		fail "$out"
	[[ $(line_of rf_fwtest) == 'rf_fwtest signer="" sig_key= sig_hashalgo= trust=unsigned' ]] || fail "$out"
	[[ $(line_of ext4) == *' trust=in-tree' ]] || fail "$out"
	# without the certificate, and with the other one: untrusted
	rf ls --signatures "$img"
	[[ $status -eq 0 && $(line_of rf_oot) == *" sig_hashalgo=sha512 trust=untrusted" ]] || fail "$out"
	rf ls --signatures --trusted-cert "$RF_SIGN_CERT2" "$img"
	[[ $status -eq 0 && $(line_of rf_oot) == *" trust=untrusted" ]] || fail "$out"
	# both certificates given (one as PEM): the one whose key signed it
	openssl x509 -inform DER -in "$RF_SIGN_CERT" -out "$BATS_TEST_TMPDIR/cert.pem"
	rf ls --signatures --trusted-cert "$RF_SIGN_CERT2" --trusted-cert "$BATS_TEST_TMPDIR/cert.pem" "$img"
	[[ $status -eq 0 && $(line_of rf_oot) == *" trust=cert:$BATS_TEST_TMPDIR/cert.pem" ]] || fail "$out"
	[[ $(printf '%s\n' "$out" | wc -l) -eq 5 ]] || fail "$out"
}

@test "out-of-tree, compressed (.ko.xz) and signed by ramforge sign: modinfo's fields" {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	need_oot
	local img=$BATS_TEST_TMPDIR/oot.img m
	oot_setup() {
		xz --check=crc32 --lzma2=dict=1MiB rf_oot.ko rf_fwtest.ko
		"$RAMFORGE" sign --key "$RF_SIGN_KEY2" --cert "$RF_SIGN_CERT2" rf_oot.ko.xz
	}
	oot_image "$img"
	m=$BATS_TEST_TMPDIR/root/lib/modules/$RF_OOT_KVER/extra/rf_oot.ko.xz
	rf ls --signatures --trusted-cert "$RF_SIGN_CERT2" "$img"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $(line_of rf_oot) == "rf_oot signer=\"$(modinfo -F signer "$m")\" sig_key=$(modinfo -F sig_key "$m") sig_hashalgo=$(modinfo -F sig_hashalgo "$m") trust=cert:$RF_SIGN_CERT2" ]] ||
		fail "$out"
	[[ $(line_of rf_fwtest) == *" trust=unsigned" ]] || fail "$out"
}

@test "a module changed after signing, a malformed trailer: said so, the listing goes on" {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	need_oot
	local img=$BATS_TEST_TMPDIR/oot.img key=$RF_SIGN_KEY cert=$RF_SIGN_CERT
	oot_setup() {
		"$RF_KBUILD/scripts/sign-file" sha256 "$key" "$cert" rf_oot.ko
		printf '\x55' | dd of=rf_oot.ko bs=1 seek=2000 conv=notrunc status=none
		printf '\0\0\2\0\0\1\0\0\0\0\0\5~Module signature appended~\n' >> rf_fwtest.ko
	}
	oot_image "$img"
	rf ls --signatures --trusted-cert "$RF_SIGN_CERT" "$img"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $(line_of rf_oot) == *" trust=untrusted (signature by the key of $RF_SIGN_CERT does not match the module's contents)" ]] ||
		fail "$out"
	[[ $(line_of rf_fwtest) == 'rf_fwtest signer="" sig_key= sig_hashalgo= trust=malformed (unexpected non-zero fields in the signature trailer)' ]] ||
		fail "$out"
	[[ $(line_of jbd2) == *" trust=in-tree" ]] || fail "$out"
}

@test "usage: --trusted-cert only with --signatures; a bad certificate is one error" {
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set"
	local img=$BATS_TEST_TMPDIR/empty.img
	mkdir -p "$BATS_TEST_TMPDIR/e/lib"
	(cd "$BATS_TEST_TMPDIR/e" && find . -mindepth 1 | cpio -o -H newc --quiet) > "$img"
	rf ls --trusted-cert "$img" "$img"
	[[ $status -eq 2 && $err == *"--trusted-cert goes with --signatures"* ]] || fail "$err"
	rf ls --signatures --modules "$img"
	[[ $status -eq 2 ]] || fail "$err"
	rf ls --signatures --trusted-cert "$img" "$img"
	[[ $status -eq 1 && $err == "ramforge: error: certificate $img: not a DER or PEM X.509 certificate" ]] ||
		fail "$err"
	rf ls --signatures "$img"
	[[ $status -eq 0 && -z $out ]] || fail "$out" "$err"
}
