#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The signature policy of `ramforge build` on Debian's cloud kernel tree plus a real
# out-of-tree module (tests/fixtures/mkoot: rf_oot.ko built with kbuild, unsigned, and two
# key pairs): unsigned and untrusted modules are refused under the policy (one error line
# naming the module, its path, its signer and why; no image written, the old one unchanged),
# --trusted-cert lets a module signed by that key in; `auto` follows the sysroot's
# boot/config-KVER and etc/kernel/cmdline; off, the findings are warnings when the kernel
# checks signatures. sign_key=/sign_cert= sign the module in the image, not in the tree.

load helpers

# The tree once per file: the cloud kernel's kernel/ (hard links, or a copy across file
# systems), its modules.order and builtin lists, extra/rf_oot.ko and extra/rf_fwtest.ko, and
# depmod's indexes.
setup_file() {
	# without the fixtures each test's setup skips or fails, saying why
	[[ -n ${RF_OOT_DIR:-} && -n ${RF_CLOUD_ROOT:-} ]] || return 0
	local base=$BATS_FILE_TMPDIR/base t=$BATS_FILE_TMPDIR/base/lib/modules/$RF_CLOUD_KVER
	local src=$RF_CLOUD_ROOT/lib/modules/$RF_CLOUD_KVER
	mkdir -p "$t/extra"
	cp -al "$src/kernel" "$t/kernel" 2> /dev/null || cp -a "$src/kernel" "$t/kernel"
	cp "$src"/modules.order "$src"/modules.builtin* "$t/"
	cp "$RF_OOT_DIR/rf_oot.ko" "$RF_OOT_DIR/rf_fwtest.ko" "$t/extra/"
	depmod -b "$base" "$RF_CLOUD_KVER" || fail "depmod -b failed"
}

# A sysroot S of this test with its own tree T: the base tree's hard links, the out-of-tree
# modules copied (a test may sign or change them).
setup() {
	need_oot
	need_fixture RF_CLOUD_ROOT RF_CLOUD_KVER
	S=$BATS_TEST_TMPDIR/sysroot
	K=$RF_CLOUD_KVER
	T=$S/lib/modules/$K
	mkdir -p "$S/etc/modprobe.d" "$S/lib/modules" "$S/boot"
	cp -al "$BATS_FILE_TMPDIR/base/lib/modules/$K" "$T" 2> /dev/null ||
		cp -a "$BATS_FILE_TMPDIR/base/lib/modules/$K" "$T"
	rm -r "$T/extra"
	cp -r "$BATS_FILE_TMPDIR/base/lib/modules/$K/extra" "$T/extra"
	IMG=$BATS_TEST_TMPDIR/out.img
	echo "the old image" > "$IMG"
	OLD=$(sha256sum < "$IMG")
	DRV="virtio_pci virtio_blk ext4 rf_oot"
}

build() {
	rf build --sysroot "$S" -k "$K" --no-backup -f --drivers "$DRV" "$@" "$IMG"
}

# The old image is still there, byte for byte.
old_image_kept() {
	[[ $(sha256sum < "$IMG") == "$OLD" ]] || fail "the old image changed"
}

sign() { # KEY CERT FILE...
	local key=$1 cert=$2
	shift 2
	rf sign --key "$key" --cert "$cert" "$@"
	[[ $status -eq 0 ]] || fail "ramforge sign failed: $err"
}

sig_line() { # NAME: its line of `ramforge ls --signatures IMG`
	rf ls --signatures --trusted-cert "$RF_SIGN_CERT" "$IMG"
	[[ $status -eq 0 ]] || fail "ls --signatures failed: $err"
	printf '%s\n' "$out" | grep -E "^$1 "
}

@test "--require-signed: an unsigned out-of-tree module is refused, the old image stays" {
	build --require-signed
	expect_error "module rf_oot \(.*/extra/rf_oot\.ko\): unsigned; signatures are required \(--require-signed=yes\)"
	old_image_kept
}

@test "--require-signed: a module signed by a key that is not trusted is refused, signer named" {
	sign "$RF_SIGN_KEY2" "$RF_SIGN_CERT2" "$T/extra/rf_oot.ko"
	key=$(modinfo -F sig_key "$T/extra/rf_oot.ko")
	build --require-signed --trusted-cert "$RF_SIGN_CERT"
	expect_error "module rf_oot \(.*/extra/rf_oot\.ko\): signed by 'ramforge test signing key \(untrusted\)' \(key $key\), not a trusted key"
	old_image_kept
}

@test "--require-signed with --trusted-cert of the signing key: the image is written" {
	sign "$RF_SIGN_KEY" "$RF_SIGN_CERT" "$T/extra/rf_oot.ko"
	build --require-signed --trusted-cert "$RF_SIGN_CERT"
	[[ $status -eq 0 ]] || fail "build failed: $err"
	[[ -z $err ]] || fail "unexpected messages: $err"
	line=$(sig_line rf_oot)
	[[ $line == *"trust=cert:$RF_SIGN_CERT"* ]] || fail "rf_oot: $line"
	line=$(sig_line virtio_blk)
	[[ $line == *"trust=in-tree"* ]] || fail "virtio_blk: $line"
}

@test "trusted_certs+= in ramforge.conf works as --trusted-cert" {
	sign "$RF_SIGN_KEY" "$RF_SIGN_CERT" "$T/extra/rf_oot.ko"
	rfconf "trusted_certs+=\"$RF_SIGN_CERT\"" 'require_signed="yes"'
	build
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

@test "a trusted signature that does not match the module's bytes is refused" {
	sign "$RF_SIGN_KEY" "$RF_SIGN_CERT" "$T/extra/rf_oot.ko"
	# one byte of the module's code changed after signing
	printf '\xff' | dd of="$T/extra/rf_oot.ko" bs=1 seek=200 conv=notrunc status=none
	build --require-signed --trusted-cert "$RF_SIGN_CERT"
	expect_error "module rf_oot \(.*/extra/rf_oot\.ko\): signature does not verify"
	old_image_kept
}

@test "a malformed signature trailer is refused as such, never a crash" {
	sign "$RF_SIGN_KEY" "$RF_SIGN_CERT" "$T/extra/rf_oot.ko"
	# the signature's length field (the 4 bytes before the magic) made too large
	size=$(stat -c %s "$T/extra/rf_oot.ko")
	printf '\x7f\xff\xff\xff' | dd of="$T/extra/rf_oot.ko" bs=1 seek=$((size - 32)) conv=notrunc status=none
	build --require-signed
	expect_error "module rf_oot \(.*/extra/rf_oot\.ko\): malformed signature: "
	old_image_kept
}

@test "several failing modules: the first named in full, the others counted and named" {
	DRV="$DRV rf_fwtest"
	build --require-signed
	expect_error "module rf_oot \(.*\): unsigned; and 1 more: rf_fwtest; signatures are required"
	old_image_kept
	build --require-signed -v
	has_line "$err" "also refused: module rf_fwtest \(.*/extra/rf_fwtest\.ko\): unsigned"
}

@test "in-tree modules alone pass --require-signed (the tree's own key)" {
	DRV="virtio_pci virtio_blk ext4"
	build --require-signed
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

@test "auto: CONFIG_MODULE_SIG_FORCE=y in boot/config-KVER turns the policy on" {
	printf 'CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_FORCE=y\n' > "$S/boot/config-$K"
	build
	expect_error "module rf_oot .*: unsigned; signatures are required \(auto: CONFIG_MODULE_SIG_FORCE=y in boot/config-$K\)"
	old_image_kept
	build --require-signed=no
	[[ $status -eq 0 ]] || fail "--require-signed=no: build failed: $err"
	has_line "$err" "warning: module rf_oot .*: unsigned; a kernel that enforces signatures will not load it"
}

@test "auto: module.sig_enforce=1 in etc/kernel/cmdline turns the policy on" {
	mkdir -p "$S/etc/kernel"
	echo "root=/dev/vda ro module.sig_enforce=1" > "$S/etc/kernel/cmdline"
	build
	expect_error "module rf_oot .*: unsigned; signatures are required \(auto: module.sig_enforce=1 in etc/kernel/cmdline\)"
	old_image_kept
	rfconf 'require_signed="no"'
	build
	[[ $status -eq 0 ]] || fail "require_signed=no: build failed: $err"
}

@test "auto, the kernel signs but does not enforce: warnings, the image is written" {
	grep -E '^CONFIG_MODULE_SIG' "$RF_CLOUD_ROOT/boot/config-$K" > "$S/boot/config-$K"
	build
	[[ $status -eq 0 ]] || fail "build failed: $err"
	has_line "$err" "^ramforge: warning: module rf_oot \(.*/extra/rf_oot\.ko\): unsigned; a kernel that enforces signatures will not load it$"
	[[ $(sha256sum < "$IMG") != "$OLD" ]] || fail "no new image"
}

@test "auto without a kernel config: off and quiet" {
	build
	[[ $status -eq 0 ]] || fail "build failed: $err"
	[[ -z $err ]] || fail "unexpected messages: $err"
}

@test "sign_key/sign_cert sign the out-of-tree module in the image; the tree is unchanged" {
	before=$(sha256sum "$T/extra/rf_oot.ko" "$T/kernel/drivers/block/virtio_blk.ko")
	rfconf "sign_key=\"$RF_SIGN_KEY\"" "sign_cert=\"$RF_SIGN_CERT\""
	build --require-signed --trusted-cert "$RF_SIGN_CERT"
	[[ $status -eq 0 ]] || fail "build failed: $err"
	[[ $(sha256sum "$T/extra/rf_oot.ko" "$T/kernel/drivers/block/virtio_blk.ko") == "$before" ]] ||
		fail "the module tree changed"
	line=$(sig_line rf_oot)
	[[ $line == *'signer="ramforge test signing key"'* && $line == *"trust=cert:$RF_SIGN_CERT"* ]] ||
		fail "rf_oot in the image: $line"
	# the signature is sign-file's: the same as `ramforge sign` on a copy
	cp "$T/extra/rf_oot.ko" "$BATS_TEST_TMPDIR/copy.ko"
	sign "$RF_SIGN_KEY" "$RF_SIGN_CERT" "$BATS_TEST_TMPDIR/copy.ko"
	mkdir "$BATS_TEST_TMPDIR/x"
	(cd "$BATS_TEST_TMPDIR/x" && unzstd -q < "$IMG" | cpio -id --quiet "lib/modules/$K/extra/rf_oot.ko") ||
		fail "cannot unpack the image"
	cmp "$BATS_TEST_TMPDIR/copy.ko" "$BATS_TEST_TMPDIR/x/lib/modules/$K/extra/rf_oot.ko" ||
		fail "the image's rf_oot.ko is not what ramforge sign makes"
}

@test "--sign-key/--sign-cert: an .ko.xz module is signed inside and stays .ko.xz" {
	xz --check=crc32 "$T/extra/rf_oot.ko"
	depmod -b "$S" "$K"
	before=$(sha256sum < "$T/extra/rf_oot.ko.xz")
	build --sign-key "$RF_SIGN_KEY" --sign-cert "$RF_SIGN_CERT" --require-signed \
		--trusted-cert "$RF_SIGN_CERT"
	[[ $status -eq 0 ]] || fail "build failed: $err"
	[[ $(sha256sum < "$T/extra/rf_oot.ko.xz") == "$before" ]] || fail "the tree's module changed"
	line=$(sig_line rf_oot)
	[[ $line == *"trust=cert:$RF_SIGN_CERT"* ]] || fail "rf_oot in the image: $line"
	mkdir "$BATS_TEST_TMPDIR/x"
	(cd "$BATS_TEST_TMPDIR/x" && unzstd -q < "$IMG" | cpio -id --quiet "lib/modules/$K/extra/rf_oot.ko.xz") ||
		fail "the image holds no extra/rf_oot.ko.xz"
	xz -dc "$BATS_TEST_TMPDIR/x/lib/modules/$K/extra/rf_oot.ko.xz" > "$BATS_TEST_TMPDIR/plain.ko" ||
		fail "the image's rf_oot.ko.xz does not decompress"
	[[ $(modinfo -F signer "$BATS_TEST_TMPDIR/plain.ko") == "ramforge test signing key" ]] ||
		fail "not signed: $(modinfo -F signer "$BATS_TEST_TMPDIR/plain.ko")"
}

@test "a signing key without its certificate is an error" {
	build --sign-key "$RF_SIGN_KEY"
	expect_error "signing modules needs both a key and its certificate"
	old_image_kept
}

@test "signed with a key the image's check does not trust: refused even after signing in" {
	build --sign-key "$RF_SIGN_KEY2" --sign-cert "$RF_SIGN_CERT2" --require-signed \
		--trusted-cert "$RF_SIGN_CERT"
	expect_error "module rf_oot .*: signed by 'ramforge test signing key \(untrusted\)'"
	old_image_kept
}

@test "deps --explain: each module's signer, key, hash and trust" {
	sign "$RF_SIGN_KEY" "$RF_SIGN_CERT" "$T/extra/rf_oot.ko"
	rf deps --sysroot "$S" -k "$K" --explain --trusted-cert "$RF_SIGN_CERT" --drivers "$DRV rf_fwtest"
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	key=$(modinfo -F sig_key "$T/kernel/drivers/block/virtio_blk.ko")
	signer=$(modinfo -F signer "$T/kernel/drivers/block/virtio_blk.ko")
	has_line "$out" "^virtio_blk kernel/drivers/block/virtio_blk\.ko requested signer=\"$signer\" sig_key=$key sig_hashalgo=sha256 trust=in-tree$"
	key=$(modinfo -F sig_key "$T/extra/rf_oot.ko")
	has_line "$out" "^rf_oot extra/rf_oot\.ko requested signer=\"ramforge test signing key\" sig_key=$key sig_hashalgo=sha256 trust=cert:$(re_escape "$RF_SIGN_CERT")$"
	has_line "$out" '^rf_fwtest extra/rf_fwtest\.ko requested signer="" sig_key= sig_hashalgo= trust=unsigned$'
}

@test "signing into the image uses the target's CONFIG_MODULE_SIG_HASH" {
	printf 'CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH="sha512"\n' > "$S/boot/config-$K"
	build --sign-key "$RF_SIGN_KEY" --sign-cert "$RF_SIGN_CERT"
	[[ $status -eq 0 ]] || fail "build failed: $err"
	line=$(sig_line rf_oot)
	[[ $line == *"sig_hashalgo=sha512 trust=cert:$RF_SIGN_CERT"* ]] || fail "rf_oot in the image: $line"
}
