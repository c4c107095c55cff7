#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark `ramforge diff` on two generic images of Debian's full kernel (before and after a
# denylist change, as the admin's check compares them), against the same question asked by
# hand: both images unpacked with zstd | cpio, then `diff -rq`. Also `ls -f` and `ls --unpack`
# of one image, and diff's peak memory (it streams both images and keeps only digests).
# Usage: bench/diff.sh [RAMFORGE]     Needs hyperfine, cpio, zstd, GNU time (/usr/bin/time).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" full)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sys/etc/modprobe.d" "$work/sys/lib/modules"
ln -s "$root/lib/modules/$kver" "$work/sys/lib/modules/$kver"
runs=${RUNS:-5}
build() { "$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" "$1"; }
build "$work/old.img"
printf 'blacklist floppy\ninstall floppy /bin/false\n' > "$work/sys/etc/modprobe.d/deny.conf"
build "$work/new.img"
echo "== diff of two generic images of $kver: $(stat -c %s "$work/old.img") and $(stat -c %s "$work/new.img") bytes," \
	"$("$rf" ls --modules "$work/old.img" | wc -l) modules; $("$rf" diff "$work/old.img" "$work/new.img" | wc -l) lines of difference"
by_hand="rm -rf $work/a $work/b && mkdir $work/a $work/b && (cd $work/a && zstd -dc $work/old.img | cpio -id --quiet) &&"
by_hand+=" (cd $work/b && zstd -dc $work/new.img | cpio -id --quiet) && { diff -rq $work/a $work/b > /dev/null || true; }"
hyperfine --style basic --runs "$runs" --warmup 1 -S bash \
	-n "ramforge diff" "$rf diff $work/old.img $work/new.img > /dev/null || true" \
	-n "unpack both + diff -rq" "$by_hand" 2>&1 | grep -E 'Time|Range|±|faster|Benchmark'
if [[ -x /usr/bin/time ]]; then
	/usr/bin/time -f '%M' -o "$work/rss" "$rf" diff "$work/old.img" "$work/new.img" > /dev/null || true
	echo "ramforge diff peak memory: $(tail -n 1 "$work/rss") KiB (the images: $(($(stat -c %s "$work/old.img") / 1024)) KiB each, compressed)"
fi
echo "== ls -f and ls --unpack of one image"
hyperfine --style basic --runs "$runs" --warmup 1 -S bash \
	-n "ls -f etc/ramforge/plan" "$rf ls -f etc/ramforge/plan $work/new.img > /dev/null" \
	-n "ls --unpack" "rm -rf $work/u && $rf ls -q --unpack $work/u $work/new.img" \
	-n "zstd -dc | cpio -id" "rm -rf $work/c && mkdir $work/c && cd $work/c && zstd -dc $work/new.img | cpio -id --quiet" \
	2>&1 | grep -E 'Time|Range|±|faster|Benchmark'
