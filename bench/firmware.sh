#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark the firmware's cost in the generic image of Debian's full kernel: `ramforge build`
# time (median of RUNS, default 5) and image size with firmware and with --no-firmware, on a
# sysroot whose lib/firmware holds a generated file for every name the generic set's modules
# ask for (modinfo -F firmware). The files are random bytes (firmware hardly compresses) of a
# size between 64 KiB and 1 MiB fixed by the name, so every run sees the same sysroot.
# Usage: bench/firmware.sh [RAMFORGE]     Needs modinfo (kmod).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" full)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
s=$work/sys
runs=${RUNS:-5}
mkdir -p "$s/etc/modprobe.d" "$s/lib/modules" "$s/lib/firmware" "$s/boot"
ln -s "$root/lib/modules/$kver" "$s/lib/modules/$kver"
cp "$root/boot/config-$kver" "$s/boot/"

# The generic set's firmware names, each a file of pseudo-random bytes.
"$rf" deps -q --sysroot "$s" -k "$kver" > "$work/mods"
while read -r m; do
	modinfo -b "$s" -k "$kver" -F firmware "$m" 2> /dev/null || true
done < "$work/mods" | sort -u > "$work/names"
while read -r n; do
	size=$(( (64 << 10) + $(printf '%s' "$n" | cksum | cut -d' ' -f1) % (960 << 10) ))
	mkdir -p "$(dirname "$s/lib/firmware/$n")"
	# openssl dies of SIGPIPE when head has enough
	{ openssl enc -aes-128-ctr -pass "pass:$n" -nosalt -pbkdf2 < /dev/zero 2> /dev/null ||
		true; } | head -c "$size" > "$s/lib/firmware/$n"
done < "$work/names"
echo "generic set: $(wc -l < "$work/mods") modules asking for $(wc -l < "$work/names") firmware" \
	"files, $(du -sb "$s/lib/firmware" | cut -f1) bytes generated under lib/firmware"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench() { # label options...
	local label=$1 t0 t1
	shift
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$rf" build -q -f --no-backup --sysroot "$s" -k "$kver" "$@" "$work/$label.img"
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000000 ))
	done | median > "$work/$label.ms"
	printf '%-14s median %6s ms of %d, image %9s bytes\n' "$label" "$(cat "$work/$label.ms")" \
		"$runs" "$(stat -c %s "$work/$label.img")"
}

bench "firmware"
bench "no-firmware" --no-firmware
"$rf" build -v -f --no-backup --sysroot "$s" -k "$kver" "$work/v.img" 2>&1 | grep 'firmware:' ||
	true
a=$(stat -c %s "$work/firmware.img") b=$(stat -c %s "$work/no-firmware.img")
echo "firmware adds $((a - b)) bytes ($(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')%)" \
	"and $(( $(cat "$work/firmware.ms") - $(cat "$work/no-firmware.ms") )) ms to the generic image"
