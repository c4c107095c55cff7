#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge sign`: byte-identical to the kernel's scripts/sign-file (Debian's linux-kbuild
# package, the oracle) on a real out-of-tree module built with kbuild against Debian's
# linux-headers, for sha256 and sha512, plain and compressed (.ko.xz as kbuild writes it,
# .ko.zst, .ko.gz); `openssl cms -verify` accepts what it writes and refuses a flipped byte;
# signed modules refused without --force; the key's mode warned of; one error line for every
# failure with the module left as it was.

load helpers

setup() {
	need_oot
	D=$BATS_TEST_TMPDIR
	SIGN_FILE=$RF_KBUILD/scripts/sign-file
	[[ -x $SIGN_FILE ]] || fail "no sign-file in $RF_KBUILD"
	cp "$RF_OOT_DIR/rf_oot.ko" "$D/mod.ko"
	chmod 0644 "$D/mod.ko"
	cp "$RF_OOT_DIR/rf_oot.ko" "$D/oracle.ko"
	# Copies of the keys: the tests change their modes.
	install -m 0600 "$RF_SIGN_KEY" "$D/key.priv"
	install -m 0644 "$RF_SIGN_CERT" "$D/cert.x509"
	install -m 0600 "$RF_SIGN_KEY2" "$D/key2.priv"
	install -m 0644 "$RF_SIGN_CERT2" "$D/cert2.x509"
}

# no_leftovers: nothing but the files the test made in D (no temporary files of ramforge).
no_leftovers() {
	local extra
	extra=$(find "$D" -name '*.rf-sign.*')
	[[ -z $extra ]] || fail "temporary files left: $extra"
}

@test "sha256: byte-identical to sign-file" {
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/oracle.ko"
	rf sign --hash sha256 --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 && -z $err ]] || fail "status $status" "$err"
	cmp "$D/oracle.ko" "$D/mod.ko"
	[[ $(modinfo -F sig_hashalgo "$D/mod.ko") == sha256 ]]
	[[ $(modinfo -F signer "$D/mod.ko") == "ramforge test signing key" ]]
}

@test "sha512: byte-identical to sign-file" {
	"$SIGN_FILE" sha512 "$D/key.priv" "$D/cert.x509" "$D/oracle.ko"
	rf sign --hash sha512 --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	cmp "$D/oracle.ko" "$D/mod.ko"
	[[ $(modinfo -F sig_hashalgo "$D/mod.ko") == sha512 ]]
}

@test "the rf_fwtest module too, and several modules in one run" {
	cp "$RF_OOT_DIR/rf_fwtest.ko" "$D/fw.ko"
	cp "$RF_OOT_DIR/rf_fwtest.ko" "$D/fw-oracle.ko"
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/fw-oracle.ko"
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/oracle.ko"
	rf sign --key "$D/key.priv" --cert "$D/cert.x509" "$D/fw.ko" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	cmp "$D/fw-oracle.ko" "$D/fw.ko"
	cmp "$D/oracle.ko" "$D/mod.ko"
}

@test ".ko.xz: the same bytes inside, xz with a CRC32 check as kbuild writes it" {
	xz --check=crc32 --lzma2=dict=1MiB -k "$D/mod.ko"
	for h in sha256 sha512; do
		cp "$RF_OOT_DIR/rf_oot.ko" "$D/oracle.ko"
		"$SIGN_FILE" "$h" "$D/key.priv" "$D/cert.x509" "$D/oracle.ko"
		rf sign --force --hash "$h" --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko.xz"
		[[ $status -eq 0 ]] || fail "$err"
		xz -dc "$D/mod.ko.xz" | cmp - "$D/oracle.ko"
		xz -l "$D/mod.ko.xz" | awk 'NR == 2 { exit !($1 == 1 && $(NF - 1) == "CRC32") }' ||
			fail "not one xz stream with a CRC32 check" "$(xz -l "$D/mod.ko.xz")"
		[[ $(modinfo -F sig_hashalgo "$D/mod.ko.xz") == "$h" ]]
	done
}

@test ".ko.zst and .ko.gz keep their format" {
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/oracle.ko"
	zstd -q "$D/mod.ko" -o "$D/mod.ko.zst"
	gzip -n -k "$D/mod.ko"
	rf sign --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko.zst" "$D/mod.ko.gz"
	[[ $status -eq 0 ]] || fail "$err"
	zstd -t -q "$D/mod.ko.zst"
	zstd -dc "$D/mod.ko.zst" | cmp - "$D/oracle.ko"
	gzip -t "$D/mod.ko.gz"
	gzip -dc "$D/mod.ko.gz" | cmp - "$D/oracle.ko"
}

@test "openssl cms -verify accepts the signature; a flipped byte fails it" {
	rf sign --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	split_signed "$D/mod.ko" "$D"
	cmp "$D/content" "$RF_OOT_DIR/rf_oot.ko"
	openssl x509 -inform DER -in "$D/cert.x509" -out "$D/cert.pem"
	openssl cms -verify -binary -inform DER -in "$D/sig.der" -content "$D/content" \
		-certfile "$D/cert.pem" -nointern -noverify -out /dev/null
	# the other key's certificate does not verify it
	openssl x509 -inform DER -in "$D/cert2.x509" -out "$D/cert2.pem"
	! openssl cms -verify -binary -inform DER -in "$D/sig.der" -content "$D/content" \
		-certfile "$D/cert2.pem" -nointern -noverify -out /dev/null 2> /dev/null
	# one byte of the module changed
	printf '\x55' | dd of="$D/content" bs=1 seek=4096 conv=notrunc status=none
	run openssl cms -verify -binary -inform DER -in "$D/sig.der" -content "$D/content" \
		-certfile "$D/cert.pem" -nointern -noverify -out /dev/null
	[[ $status -ne 0 && $output == *"Verification failure"* ]] || fail "status $status: $output"
}

@test "a signed module is refused without --force, left byte-identical" {
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/mod.ko"
	cp "$D/mod.ko" "$D/before.ko"
	rf sign --key "$D/key2.priv" --cert "$D/cert2.x509" "$D/mod.ko"
	[[ $status -eq 1 ]] || fail "status $status"
	[[ $(printf '%s\n' "$err" | wc -l) -eq 1 ]] || fail "not one line: $err"
	[[ $err == "ramforge: error: $D/mod.ko: already signed (signer \"ramforge test signing key\""*"--force replaces the signature" ]] ||
		fail "$err"
	cmp "$D/before.ko" "$D/mod.ko"
	no_leftovers
}

@test "--force replaces the signature: the same bytes as sign-file on the unsigned module" {
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/mod.ko"
	"$SIGN_FILE" sha512 "$D/key2.priv" "$D/cert2.x509" "$D/oracle.ko"
	rf sign -f --hash sha512 --key "$D/key2.priv" --cert "$D/cert2.x509" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	cmp "$D/oracle.ko" "$D/mod.ko"
	[[ $(modinfo -F signer "$D/mod.ko") == "ramforge test signing key (untrusted)" ]]
}

@test "a DER key, and an encrypted key with its passphrase in KBUILD_SIGN_PIN, as sign-file" {
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/oracle.ko"
	openssl pkey -in "$D/key.priv" -outform DER -out "$D/key.der"
	chmod 0600 "$D/key.der"
	rf sign --key "$D/key.der" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	cmp "$D/oracle.ko" "$D/mod.ko"
	openssl pkey -in "$D/key.priv" -aes256 -passout pass:s3cret -out "$D/enc.pem"
	chmod 0600 "$D/enc.pem"
	cp "$RF_OOT_DIR/rf_oot.ko" "$D/mod.ko"
	rf sign --key "$D/enc.pem" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 1 && $err == "ramforge: error: signing key $D/enc.pem: not a PEM or DER private key (an encrypted key needs KBUILD_SIGN_PIN)" ]] ||
		fail "$err"
	KBUILD_SIGN_PIN=wrong rf sign --key "$D/enc.pem" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 1 && $err == *"(or KBUILD_SIGN_PIN is not its passphrase)" ]] || fail "$err"
	cmp "$RF_OOT_DIR/rf_oot.ko" "$D/mod.ko"
	KBUILD_SIGN_PIN=s3cret rf sign --key "$D/enc.pem" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	cmp "$D/oracle.ko" "$D/mod.ko"
}

@test "a key readable by others is warned of; a 0600 key is not" {
	chmod 0644 "$D/key.priv"
	rf sign --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $err == "ramforge: warning: signing key $D/key.priv is readable by others (mode 0644): chmod 0600 it" ]] ||
		fail "$err"
	chmod 0640 "$D/key.priv"
	rf sign -f --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 && $err == *"readable by its group (mode 0640)"* ]] || fail "$err"
	chmod 0600 "$D/key.priv"
	rf sign -f --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 && -z $err ]] || fail "$err"
}

@test "bad keys and certificates: one error line each, the module untouched" {
	cp "$D/mod.ko" "$D/before.ko"
	head -c 600 /dev/urandom > "$D/garbage"
	printf 'KBUILD_SIGN_PIN\n' > "$D/text"
	local -a cases=(
		"--key $D/missing.priv --cert $D/cert.x509|signing key $D/missing.priv: No such file or directory"
		"--key $D/garbage --cert $D/cert.x509|signing key $D/garbage: not a PEM or DER private key"
		"--key $D/cert.x509 --cert $D/cert.x509|signing key $D/cert.x509: not a PEM or DER private key"
		"--key $D/key.priv --cert $D/garbage|certificate $D/garbage: not a DER or PEM X.509 certificate"
		"--key $D/key.priv --cert $D/text|certificate $D/text: not a DER or PEM X.509 certificate"
		"--key $D/key.priv --cert $D/missing.x509|certificate $D/missing.x509: No such file or directory"
		"--key $D/key.priv --cert $D|certificate $D: Is a directory"
		"--key $D/key2.priv --cert $D/cert.x509|signing key $D/key2.priv does not belong to certificate $D/cert.x509"
		"--hash md99 --key $D/key.priv --cert $D/cert.x509|unknown hash algorithm 'md99'"
	)
	local c args want
	for c in "${cases[@]}"; do
		args=${c%%|*} want=${c#*|}
		# shellcheck disable=SC2086 # the options are words
		rf sign $args "$D/mod.ko"
		[[ $status -eq 1 ]] || fail "$args: status $status"
		[[ $err == "ramforge: error: $want"* && $(printf '%s\n' "$err" | wc -l) -eq 1 ]] ||
			fail "$args:" "$err"
		cmp "$D/before.ko" "$D/mod.ko"
	done
	no_leftovers
}

@test "bad modules: one error line each, the others still signed" {
	head -c 5000 /dev/urandom > "$D/random.ko"
	head -c 5000 /dev/urandom > "$D/notxz.ko.xz"
	cp "$RF_OOT_DIR/rf_oot.ko" "$D/cut.ko.xz.src"
	xz -c "$D/cut.ko.xz.src" | head -c 3000 > "$D/cut.ko.xz"
	printf 'x~Module signature appended~\n' > "$D/trailer.ko"
	"$SIGN_FILE" sha256 "$D/key.priv" "$D/cert.x509" "$D/oracle.ko"
	rf sign --key "$D/key.priv" --cert "$D/cert.x509" "$D/random.ko" "$D/notxz.ko.xz" \
		"$D/cut.ko.xz" "$D/trailer.ko" "$D/missing.ko" "$D/mod.ko"
	[[ $status -eq 1 ]] || fail "status $status"
	[[ $(printf '%s\n' "$err" | wc -l) -eq 5 ]] || fail "not five lines:" "$err"
	[[ $err == *"$D/random.ko: not a kernel module (not an ELF"* ]] || fail "$err"
	[[ $err == *"$D/notxz.ko.xz: does not decompress as xz"* ]] || fail "$err"
	[[ $err == *"$D/cut.ko.xz: does not decompress as xz"* ]] || fail "$err"
	[[ $err == *"$D/trailer.ko: malformed signature trailer (truncated signature trailer)"* ]] || fail "$err"
	[[ $err == *"$D/missing.ko: No such file or directory"* ]] || fail "$err"
	cmp "$D/oracle.ko" "$D/mod.ko"
	no_leftovers
}

@test "the mode is kept, a symlink stays a link to the signed file" {
	chmod 0600 "$D/mod.ko"
	ln -s mod.ko "$D/link.ko"
	rf sign --key "$D/key.priv" --cert "$D/cert.x509" "$D/link.ko"
	[[ $status -eq 0 ]] || fail "$err"
	[[ -L $D/link.ko && $(stat -c %a "$D/mod.ko") == 600 ]] || fail "$(ls -l "$D")"
	[[ $(modinfo -F signer "$D/mod.ko") == "ramforge test signing key" ]]
}

@test "-k: the hash is the kernel's CONFIG_MODULE_SIG_HASH; without -k sha256" {
	mkdir -p "$D/sys/boot" "$D/sys/lib/modules/$RF_OOT_KVER"
	printf 'CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH="sha384"\n' > "$D/sys/boot/config-$RF_OOT_KVER"
	rf sign -k "$RF_OOT_KVER" --sysroot "$D/sys" --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $(modinfo -F sig_hashalgo "$D/mod.ko") == sha384 ]]
	rf sign -f -k "$RF_OOT_KVER" --kmoddir "$D/sys/lib/modules/$RF_OOT_KVER" --key "$D/key.priv" \
		--cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 && $(modinfo -F sig_hashalgo "$D/mod.ko") == sha384 ]] || fail "$err"
	rf sign -f --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 0 && $(modinfo -F sig_hashalgo "$D/mod.ko") == sha256 ]] || fail "$err"
	rf sign -f -k 6.1.0-nosuch --sysroot "$D/sys" --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 1 && $err == *"config-6.1.0-nosuch: No such file or directory"* ]] || fail "$err"
}

@test "usage errors exit 2" {
	rf sign --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 2 && $err == *"--key KEY and --cert CERT are required"* ]] || fail "$err"
	rf sign --key "$D/key.priv" --cert "$D/cert.x509"
	[[ $status -eq 2 && $err == *"no MODULE given"* ]] || fail "$err"
	rf sign --key "$D/key.priv" --cert "$D/cert.x509" --compress xz "$D/mod.ko"
	[[ $status -eq 2 && $err == *"does not apply here"* ]] || fail "$err"
	rf sign -a ext4 --key "$D/key.priv" --cert "$D/cert.x509" "$D/mod.ko"
	[[ $status -eq 2 ]] || fail "$err"
	cmp "$D/mod.ko" "$RF_OOT_DIR/rf_oot.ko"
}
