#!/bin/bash
# SPDX-License-Identifier: MIT
# Walkthrough: a DKMS-style out-of-tree module on a Secure Boot machine. The module tree is
# Debian's full kernel plus extra/rf_oot.ko (built with kbuild against Debian's headers by
# tests/fixtures/mkoot, with a Machine Owner Key pair made as Red Hat's Secure Boot guide does),
# in a scratch sysroot (nothing on this machine is changed). Usage: examples/signing.sh [RAMFORGE]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" full)
ver=${root##*_}
kbuild=$("$top/tests/fixtures/fetch-kbuild" "$kver" "${ver//%3a/:}")
oot=$("$top/tests/fixtures/mkoot" "$kbuild" "$kver")
sys=$(mktemp -d)
trap 'rm -rf "$sys"' EXIT
t=$sys/lib/modules/$kver
mkdir -p "$sys/etc/modprobe.d" "$sys/boot" "$t/extra"
cp -al "$root/lib/modules/$kver/kernel" "$t/kernel" 2> /dev/null || cp -a "$root/lib/modules/$kver/kernel" "$t/kernel"
cp "$root/lib/modules/$kver"/modules.order "$root/lib/modules/$kver"/modules.builtin* "$t/"
cp "$oot/rf_oot.ko" "$t/extra/"
depmod -b "$sys" "$kver"
cp "$oot/signing_key.priv" "$sys/MOK.priv"
cp "$oot/signing_key.x509" "$sys/MOK.der"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
img=$sys/boot/initrd.img-$kver

say "echo module.sig_enforce=1 > etc/kernel/cmdline   # the kernel will enforce signatures"
mkdir -p "$sys/etc/kernel"
echo "root=/dev/vda ro module.sig_enforce=1" > "$sys/etc/kernel/cmdline"
run "$rf" build --sysroot "$sys" -k "$kver" --drivers "virtio_blk ext4" -a rf_oot "$img" || true
echo "(refused before anything was written: the kernel would not load rf_oot)"

run "$rf" build -v --sysroot "$sys" -k "$kver" --drivers "virtio_blk ext4" -a rf_oot \
	--sign-key "$sys/MOK.priv" --sign-cert "$sys/MOK.der" --trusted-cert "$sys/MOK.der" "$img"
say "$rf ls --signatures --trusted-cert MOK.der $img"
"$rf" ls --signatures --trusted-cert "$sys/MOK.der" "$img"
echo
signer=$(modinfo -F signer "$t/extra/rf_oot.ko")
echo "rf_oot went into the image signed with the MOK; the tree's extra/rf_oot.ko is untouched" \
	"(signer: '${signer:-none}')."
echo "The in-tree modules carry the kernel's own build key. The check trusts what --trusted-cert"
echo "names; enrol the MOK (mokutil --import MOK.der) so that the kernel trusts it too."
