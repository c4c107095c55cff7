# SPDX-License-Identifier: MIT
# Shared helpers for the boot tests: a root disk (tests/fixtures/mkrootdisk), an image built by
# `ramforge build` for Debian's cloud kernel (fixture RF_CLOUD_ROOT/RF_CLOUD_KVER) or its full
# kernel (RF_FULL_ROOT/RF_FULL_KVER, see need_full_boot), and a QEMU boot under TCG (never KVM)
# whose console output the tests assert on.

BOOT_TIMEOUT=${RF_BOOT_TIMEOUT:-120} # seconds for one boot, a hard stop for a hung guest
BOOT_EXTRA=()

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# Skip (with the reason) when the fixtures or tools are missing: `make check` prepares them.
need_boot() {
	[[ -n ${RF_CLOUD_ROOT:-} && -n ${RF_CLOUD_KVER:-} ]] ||
		skip "RF_CLOUD_ROOT is not set: run through 'make check' (tests/fixtures/prepare)"
	command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set or not executable: '${RAMFORGE:-}'"
	INIT=${RAMFORGE_INIT:-$(dirname "$RAMFORGE")/ramforge-init}
	[[ -x $INIT ]] || fail "ramforge-init not found at $INIT"
	KVER=$RF_CLOUD_KVER
	KROOT=$RF_CLOUD_ROOT
	VMLINUZ=$RF_CLOUD_ROOT/boot/vmlinuz-$KVER
}

# The same for Debian's full kernel (every storage driver; the generic image is tested on it).
need_full_boot() {
	need_boot
	[[ -n ${RF_FULL_ROOT:-} && -n ${RF_FULL_KVER:-} ]] ||
		skip "RF_FULL_ROOT is not set: run through 'make check' (tests/fixtures/prepare with RF_WANT_FULL=1)"
	KVER=$RF_FULL_KVER
	KROOT=$RF_FULL_ROOT
	VMLINUZ=$RF_FULL_ROOT/boot/vmlinuz-$KVER
}

# A disk shared by a file's tests: BATS_FILE_TMPDIR/root.img with a known UUID and label.
ROOT_UUID=5a4c1f9e-7d2b-4c3a-9e1f-2b8d6a0c4e71
ROOT_LABEL=rfbootroot
make_root_disk() { # [-p MOD/PARAM]...
	[[ -e $BATS_FILE_TMPDIR/root.img ]] && return 0
	"$RF_TOP/tests/fixtures/mkrootdisk" "$BATS_FILE_TMPDIR/root.img" -U "$ROOT_UUID" \
		-L "$ROOT_LABEL" "$@" >/dev/null
}

# The same filesystem in partition 1 ("rfpart") of a GPT disk: BATS_FILE_TMPDIR/gpt.img.
ROOT_PARTUUID=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
make_gpt_disk() {
	[[ -e $BATS_FILE_TMPDIR/gpt.img ]] && return 0
	"$RF_TOP/tests/fixtures/mkrootdisk" "$BATS_FILE_TMPDIR/gpt.img" -U "$ROOT_UUID" \
		-L "$ROOT_LABEL" -g "$ROOT_PARTUUID" >/dev/null
}

# build_image OUT SYSROOT [ramforge build options...]: an image for the kernel KVER whose
# modules come from SYSROOT/lib/modules/KVER (a link to the fixture tree unless the test made
# its own), config from SYSROOT.
build_image() {
	local out=$1 sysroot=$2
	shift 2
	run "$RAMFORGE" build --sysroot "$sysroot" -k "$KVER" --init "$INIT" --no-backup -f "$@" "$out"
	[[ $status -eq 0 ]] || fail "ramforge build failed ($status):" "$output"
}

# A sysroot over the fixture tree: BATS_TEST_TMPDIR/sysroot (or $1).
make_sysroot() {
	S=${1:-$BATS_TEST_TMPDIR/sysroot}
	mkdir -p "$S/etc/modprobe.d" "$S/lib/modules"
	[[ -e $S/lib/modules/$KVER ]] || ln -sfn "$KROOT/lib/modules/$KVER" "$S/lib/modules/$KVER"
}

# boot IMAGE APPEND [disk]: boot under TCG with BATS_FILE_TMPDIR/root.img on the disk
# controller named: virtio (virtio-blk), scsi (virtio-scsi), ahci, nvme, usb (usb-storage
# behind xhci), gpt (BATS_FILE_TMPDIR/gpt.img on virtio, see make_gpt_disk) or none.
# BOOT_EXTRA (an array) adds QEMU arguments. Console output in $output and
# BATS_TEST_TMPDIR/console.log, QEMU's (or timeout's) exit code in $status, seconds in $took.
boot() {
	local img=$1 append=$2 disk=${3:-virtio} t0 drive=()
	local file="file=$BATS_FILE_TMPDIR/root.img,if=none,format=raw,snapshot=on,id=d"
	case $disk in
	virtio) drive=(-drive "file=$BATS_FILE_TMPDIR/root.img,if=virtio,format=raw,snapshot=on") ;;
	scsi) drive=(-device virtio-scsi-pci,id=scsi0
		-drive "file=$BATS_FILE_TMPDIR/root.img,if=none,format=raw,snapshot=on,id=root0"
		-device scsi-hd,drive=root0,bus=scsi0.0) ;;
	ahci) drive=(-drive "$file" -device ahci,id=ahci -device ide-hd,drive=d,bus=ahci.0) ;;
	nvme) drive=(-drive "$file" -device nvme,serial=rfnvme,drive=d) ;;
	usb) drive=(-drive "$file" -device qemu-xhci -device usb-storage,drive=d) ;;
	gpt) drive=(-drive "file=$BATS_FILE_TMPDIR/gpt.img,if=virtio,format=raw,snapshot=on") ;;
	none) drive=() ;;
	esac
	t0=$(date +%s)
	run timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -m "${BOOT_MEM:-512}" -nographic -no-reboot \
		-kernel "$VMLINUZ" -initrd "$img" -append "console=ttyS0 panic=-1 $append" \
		"${drive[@]}" "${BOOT_EXTRA[@]}"
	took=$(($(date +%s) - t0))
	# the firmware's terminal escapes (reset, clear) would glue onto the next line printed
	output=$(tr -d '\r' <<< "$output" | sed -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g')
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/console.log"
	[[ $status -ne 124 ]] || fail "the guest did not stop within $BOOT_TIMEOUT s" "$(tail -n 40 <<< "$output")"
	refute_autoload
}

# The kernel warns when a block device node is opened before the device is fully added (it
# then tries a block-major-N module): an init must wait for the device's uevent instead.
# BOOT_AUTOLOAD_OK (a regex) allows a warning that follows, within 5 lines, a line matching it:
# mdadm 4.2 (Debian 12) makes a numbered array by opening its node, which the kernel counts.
refute_autoload() {
	awk -v ok="${BOOT_AUTOLOAD_OK:-}" '
		/block device autoloading is deprecated/ && (ok == "" || recent !~ ok) { bad = 1 }
		{ recent = p4 "\n" p3 "\n" p2 "\n" p1 "\n" $0; p4 = p3; p3 = p2; p2 = p1; p1 = $0 }
		END { exit bad }' <<< "$output" ||
		fail "the guest opened a block device before the kernel announced it:" \
			"$(grep -B 5 'block device autoloading' <<< "$output")"
}

# assert_console PATTERN...: each (an extended regex) matches some line the guest printed.
assert_console() {
	local p
	for p in "$@"; do
		grep -qE -- "$p" <<< "$output" ||
			fail "the guest never printed /$p/; the last lines were:" "$(tail -n 40 <<< "$output")"
	done
}

refute_console() {
	local p
	for p in "$@"; do
		! grep -qE -- "$p" <<< "$output" ||
			fail "the guest printed /$p/:" "$(grep -E -- "$p" <<< "$output")"
	done
}

# The root was reached: the marker of the root's /sbin/init, which runs as process 1.
assert_reached_root() {
	assert_console '^RAMFORGE-ROOT-REACHED uptime=' '^RF-PID: 1$'
}

# The names the guest listed from /proc/modules.
guest_modules() {
	sed -n 's/^RF-MODULES: //p' <<< "$output" | tr -d '\r'
}

assert_module_loaded() {
	local m
	for m in "$@"; do
		[[ " $(guest_modules) " == *" $m "* ]] || fail "$m is not in the guest's /proc/modules: $(guest_modules)"
	done
}

refute_module_loaded() {
	local m
	for m in "$@"; do
		[[ " $(guest_modules) " != *" $m "* ]] || fail "$m is in the guest's /proc/modules: $(guest_modules)"
	done
}

# --- Roots on LVM, LUKS2 and md RAID1 (tests/boot/storage*.bats) ---
# The disks are made by tests/fixtures/mkdisks (RF_DISKS and the RF_DISK_* names it prints);
# the sysroot, its tools and kernel are the Debian root of tests/fixtures/mkdebroot
# (RF_DEBROOT, a tarball, and RF_DEBROOT_KVER, its full kernel).
need_storage() {
	[[ $(id -u) -eq 0 ]] || skip "needs root (the Debian root is unpacked with its owners and nodes)"
	command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
	[[ -z ${RF_DISKS_ERROR:-} ]] || fail "$RF_DISKS_ERROR"
	[[ -n ${RF_DISKS:-} && -n ${RF_DEBROOT:-} && -n ${RF_DEBROOT_KVER:-} ]] ||
		skip "RF_DISKS is not set: run through 'make check' (tests/fixtures/prepare makes the disks; needs mmdebstrap)"
	[[ -e $RF_DISKS/.ready ]] || fail "RF_DISKS=$RF_DISKS holds no finished disks"
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set or not executable: '${RAMFORGE:-}'"
	INIT=${RAMFORGE_INIT:-$(dirname "$RAMFORGE")/ramforge-init}
	[[ -x $INIT ]] || fail "ramforge-init not found at $INIT"
	KVER=$RF_DEBROOT_KVER
}

# unpack_debroot DIR: the Debian root (the sysroot of the storage images) unpacked into DIR,
# once (DIR/.rf-unpacked marks it done).
unpack_debroot() {
	[[ -e $1/.rf-unpacked ]] && return 0
	rm -rf "$1"
	mkdir -p "$1"
	tar -C "$1" -xf "$RF_DEBROOT" || fail "cannot unpack $RF_DEBROOT"
	[[ -e $1/boot/vmlinuz-$RF_DEBROOT_KVER ]] || fail "$RF_DEBROOT has no /boot/vmlinuz-$RF_DEBROOT_KVER"
	touch "$1/.rf-unpacked"
}

# with_disks FILE...: BOOT_EXTRA holds these raw images as virtio disks in this order (vda,
# vdb, ...), each a snapshot (what the guest writes never reaches the file); boot with "none".
with_disks() {
	local f
	BOOT_EXTRA=()
	for f; do
		[[ -f $f ]] || fail "no disk image $f"
		BOOT_EXTRA+=(-drive "file=$f,if=virtio,format=raw,snapshot=on")
	done
}

# The number of times the console log FILE shows PROMPT (an extended regex).
count_prompts() { # PROMPT FILE
	grep -oE -- "$1" "$2" 2>/dev/null | wc -l
}

# boot_typing IMAGE APPEND PROMPT [ANSWER...]: boot like `boot IMAGE APPEND none`, with the
# serial console on two FIFOs instead of stdio. Each time the console shows PROMPT once more,
# wait a little (a program turns the terminal's echo off after printing its prompt, and that
# drops input typed before) and type the next ANSWER and Enter. $output, $status, $took as
# boot sets them, and $prompts: how often PROMPT was shown in all.
boot_typing() {
	local img=$1 append=$2 prompt=$3 t0 qpid cpid n=0 answer i
	local fifo=$BATS_TEST_TMPDIR/serial raw=$BATS_TEST_TMPDIR/console.raw
	shift 3
	rm -f "$fifo.in" "$fifo.out" "$raw"
	mkfifo "$fifo.in" "$fifo.out"
	# QEMU opens both FIFOs read-write, so neither open blocks on it
	cat "$fifo.out" > "$raw" &
	cpid=$!
	t0=$(date +%s)
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -m "${BOOT_MEM:-512}" -display none \
		-monitor none -parallel none -serial "pipe:$fifo" -no-reboot \
		-kernel "$VMLINUZ" -initrd "$img" -append "console=ttyS0 panic=-1 $append" \
		"${BOOT_EXTRA[@]}" < /dev/null > "$BATS_TEST_TMPDIR/qemu.err" 2>&1 &
	qpid=$!
	for answer in "$@"; do
		n=$((n + 1))
		until (($(count_prompts "$prompt" "$raw") >= n)); do
			kill -0 "$qpid" 2>/dev/null || break 2
			sleep 0.5
		done
		sleep 2
		kill -0 "$qpid" 2>/dev/null || break
		timeout 10 sh -c 'printf "%s\n" "$1" > "$2"' sh "$answer" "$fifo.in" ||
			fail "could not type on the guest's serial console"
	done
	status=0
	wait "$qpid" || status=$?
	took=$(($(date +%s) - t0))
	# cat ends when QEMU closes the FIFO; if QEMU never opened it, cat still waits in open
	for ((i = 0; i < 50; i++)); do
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" || true
	prompts=$(count_prompts "$prompt" "$raw")
	output=$(tr -d '\r' < "$raw" | sed -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g')
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/console.log"
	[[ $status -ne 124 ]] || fail "the guest did not stop within $BOOT_TIMEOUT s" "$(tail -n 40 <<< "$output")"
	[[ -s $raw ]] || fail "QEMU printed nothing on the serial console (status $status):" \
		"$(cat "$BATS_TEST_TMPDIR/qemu.err")"
	refute_autoload
}
