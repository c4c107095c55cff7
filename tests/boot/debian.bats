#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# ramforge as a real Debian 12 system's initramfs generator. A root made by mmdebstrap
# (tests/fixtures/mkdebroot: systemd, udev, both 6.1 kernels, initramfs-tools) gets ramforge's
# .deb installed with apt; kernel reinstalls, the update-initramfs trigger, systemd's
# kernel-install and a kernel purge go through dpkg and the package's hooks; then the root, as
# an ext4 disk, boots in QEMU with the kernel and the ramforge image from its /boot to systemd's
# multi-user target, and an administrator's denylist change is followed from
# `ramforge build -f -v` to the next boot. Last, the way back to initramfs-tools.
# The tests build on each other, in this order (one root for the file: making it takes a while).

load helpers

DISK_UUID=8d0c3b6e-2f41-4c7a-9a55-0e6b1d2c3f48

setup_file() {
	[[ $(id -u) -eq 0 ]] || skip "needs root (a chroot, apt, mounts of /proc in it)"
	command -v mmdebstrap >/dev/null || skip "needs mmdebstrap (apt-get install mmdebstrap)"
	need_qemu
	DEB=$(ls "$(dirname "$RAMFORGE")"/ramforge_*_*.deb 2>/dev/null | head -n1)
	[[ -f $DEB ]] || fail "no ramforge_*.deb beside $RAMFORGE: run 'make deb' (make check does)"
	# (made by tests/fixtures/prepare; cached, so this only reads its name)
	# A root that cannot be made for want of a mirror is a skip with the reason, not a pass.
	read -r tarball FULL CLOUD < <("$RF_TOP/tests/fixtures/mkdebroot" 3>&- < /dev/null 2> "$BATS_FILE_TMPDIR/mkdebroot.err") ||
		skip "no Debian root: tests/fixtures/mkdebroot failed: $(grep -m1 -E 'error|E:' "$BATS_FILE_TMPDIR/mkdebroot.err")"
	R=$BATS_FILE_TMPDIR/root
	mkdir "$R"
	tar -C "$R" -xf "$tarball"
	# what initramfs-tools built, to tell the backups apart from ramforge's images later
	sha256sum "$R/boot/initrd.img-$FULL" | cut -d' ' -f1 > "$BATS_FILE_TMPDIR/full.initramfs-tools"
	sha256sum "$R/boot/initrd.img-$CLOUD" | cut -d' ' -f1 > "$BATS_FILE_TMPDIR/cloud.initramfs-tools"
	cp "$DEB" "$R/tmp/"
	in_root apt-get install -y "/tmp/$(basename "$DEB")" > "$BATS_FILE_TMPDIR/install.log" 2>&1 ||
		fail "apt-get install of the package failed:" "$(tail -n 30 "$BATS_FILE_TMPDIR/install.log")"
	export R FULL CLOUD
}

setup() {
	[[ -n ${R:-} && -d $R/boot ]] || fail "no Debian root (see setup_file)"
	KVER=$FULL
	VMLINUZ=$R/boot/vmlinuz-$FULL
	BOOT_MEM=1024
	BOOT_TIMEOUT=${RF_BOOT_TIMEOUT:-400}
}

need_qemu() {
	command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set or not executable: '${RAMFORGE:-}'"
}

# in_root CMD...: run CMD in the Debian root as dpkg would see it: /proc, /sys and /dev mounted
# in a mount namespace of its own (gone with it), a clean environment, no network needed.
in_root() {
	unshare --mount --propagation private -- sh -c '
		r=$1
		shift
		mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
			mount --rbind /dev "$r/dev" && exec chroot "$r" "$@"' sh "$R" \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

# run_root CMD...: in_root under bats' run (output and status), the output logged. apt runs
# dpkg on a terminal of its own, whose lines end in CR LF.
run_root() {
	run in_root "$@"
	output=$(tr -d '\r' <<< "$output")
	printf '$ %s\n%s\n' "$*" "$output" >> "$BATS_FILE_TMPDIR/apt.log"
}

# The image of KVER is ramforge's: its plan is in it, and ramforge reads it.
assert_ramforge_image() { # KVER
	assert_ramforge_image_at "/boot/initrd.img-$1"
}

assert_ramforge_image_at() { # PATH in the root
	local listing
	listing=$(in_root ramforge ls "$1") || fail "ramforge ls $1 failed"
	grep -q 'etc/ramforge/plan' <<< "$listing" || fail "$1 holds no ramforge plan:" "$listing"
}

backups() { # KVER: the backups of its image, one a line
	ls "$R/boot" | grep -E "^initrd\.img-$1\.bak\." || true
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

@test "debian: apt installs the package, the conflict removes initramfs-tools, every kernel gets a ramforge image" {
	log=$(tr -d '\r' < "$BATS_FILE_TMPDIR/install.log")
	grep -qE 'Removing initramfs-tools ' <<< "$log" || fail "initramfs-tools was not removed:" "$log"
	[[ $(in_root dpkg-query -W -f '${db:Status-Abbrev}' initramfs-tools 2>/dev/null) != ii* ]]
	[[ $(in_root dpkg-query -W -f '${db:Status-Abbrev}' ramforge) == ii* ]]
	for k in "$FULL" "$CLOUD"; do
		# the postinst builds every kernel's image at once (build --regenerate-all)
		grep -qx "$k: wrote /boot/initrd.img-$k" <<< "$log" ||
			fail "no '$k: wrote /boot/initrd.img-$k' in apt's output:" "$log"
		assert_ramforge_image "$k"
		# initramfs-tools' image is kept as the backup
		[[ $(backups "$k" | wc -l) -eq 1 ]] || fail "backups of $k: $(backups "$k")"
	done
	[[ $(sha "$R/boot/$(backups "$FULL")") == $(cat "$BATS_FILE_TMPDIR/full.initramfs-tools") ]]
	[[ $(sha "$R/boot/$(backups "$CLOUD")") == $(cat "$BATS_FILE_TMPDIR/cloud.initramfs-tools") ]]
	# the packaged program, its init and the hooks are where the package put them
	in_root test -x /usr/lib/ramforge/ramforge-init
	in_root test -x /etc/kernel/postinst.d/ramforge
}

@test "debian: apt-get install --reinstall of a kernel rebuilds its image through the hook and removes nothing" {
	before=$(backups "$FULL")
	old=$(sha "$R/boot/initrd.img-$FULL")
	run_root apt-get install -y --reinstall "linux-image-$FULL"
	[[ $status -eq 0 ]] || fail "$output"
	grep -qx "ramforge: generating /boot/initrd.img-$FULL" <<< "$output" || fail "$output"
	! grep -q 'ramforge: removing' <<< "$output" || fail "the postrm.d hook removed files on a reinstall:" "$output"
	assert_ramforge_image "$FULL"
	# the backup of initramfs-tools' image survived the reinstall (postrm runs with 'upgrade')
	[[ " $(backups "$FULL" | tr '\n' ' ') " == *" $before "* ]] ||
		fail "the backup $before is gone: $(backups "$FULL")"
	# the same modules and configuration: the same bytes
	[[ $(sha "$R/boot/initrd.img-$FULL") == "$old" ]] || fail "the rebuilt image differs"
	# the rebuilt image is byte-identical, so no second backup is made
	[[ $(backups "$FULL" | wc -l) -eq 1 ]] || fail "a byte-identical rebuild made another backup: $(backups "$FULL")"
}

@test "debian: the update-initramfs trigger rebuilds every installed kernel's image" {
	# a change only a rebuild can bring into the images
	mkdir -p "$R/etc/ramforge.conf.d"
	echo 'add_drivers="dummy"' > "$R/etc/ramforge.conf.d/rf-test.conf"
	run_root sh -c 'dpkg-trigger --no-await update-initramfs && dpkg --triggers-only -a'
	[[ $status -eq 0 ]] || fail "$output"
	for k in "$FULL" "$CLOUD"; do
		# stale (a conf.d file was added): rebuilt by build --regenerate-all --if-stale
		grep -qx "$k: wrote /boot/initrd.img-$k" <<< "$output" || fail "$output"
		in_root ramforge ls --modules "/boot/initrd.img-$k" | grep -q ' dummy ' ||
			fail "the trigger did not rebuild /boot/initrd.img-$k"
	done
	rm "$R/etc/ramforge.conf.d/rf-test.conf"
	run_root sh -c 'dpkg-trigger --no-await update-initramfs && dpkg --triggers-only -a'
	[[ $status -eq 0 ]] || fail "$output"
	! in_root ramforge ls --modules "/boot/initrd.img-$FULL" | grep -q ' dummy ' ||
		fail "the second trigger did not rebuild /boot/initrd.img-$FULL"
}

@test "debian: a failing build fails the kernel's configuration with the reason and keeps the image" {
	old=$(sha "$R/boot/initrd.img-$CLOUD")
	echo 'add_drivers="no_such_module"' > "$R/etc/ramforge.conf.d/rf-test.conf"
	run_root apt-get install -y --reinstall "linux-image-$CLOUD"
	rm "$R/etc/ramforge.conf.d/rf-test.conf"
	[[ $status -ne 0 ]] || fail "apt-get succeeded:" "$output"
	grep -q 'ramforge: error: .*no_such_module' <<< "$output" || fail "$output"
	grep -q "dpkg: error processing package linux-image-$CLOUD" <<< "$output" || fail "$output"
	[[ $(sha "$R/boot/initrd.img-$CLOUD") == "$old" ]]
	# the cause fixed, dpkg finishes the kernel's configuration
	run_root dpkg --configure -a
	[[ $status -eq 0 ]] || fail "$output"
	grep -qx "ramforge: generating /boot/initrd.img-$CLOUD" <<< "$output" || fail "$output"
}

@test "debian: kernel-install add puts one ramforge initrd into the BLS entry; remove leaves /boot as it was" {
	# systemd-boot's layout, and a command line of the root's own (not this host's)
	echo layout=bls > "$R/etc/kernel/install.conf"
	echo "root=UUID=$DISK_UUID ro" > "$R/etc/kernel/cmdline"
	before=$(cd "$R/boot" && find . | sort)
	run_root kernel-install add "$CLOUD" "/boot/vmlinuz-$CLOUD"
	[[ $status -eq 0 ]] || fail "$output"
	entry=$(ls "$R/boot/loader/entries/"*"-$CLOUD.conf") || fail "no loader entry:" "$output"
	# Debian's 85-initrd.install copies /boot/initrd.img-KVER (the postinst.d hook's) into the
	# entry; the plugin then adds none of its own, or two would be loaded at boot
	[[ $(grep -c '^initrd' "$entry") -eq 1 ]] || fail "not one initrd line in $entry:" "$(cat "$entry")"
	initrd=$(awk '$1 == "initrd" { print $2 }' "$entry")
	assert_ramforge_image_at "$initrd"
	[[ $(find "$R$(dirname "$initrd")" -name 'initrd*' | wc -l) -eq 1 ]] ||
		fail "more than one initrd in the entry: $(ls "$R$(dirname "$initrd")")"
	run_root kernel-install remove "$CLOUD"
	[[ $status -eq 0 ]] || fail "$output"
	rm "$R/etc/kernel/install.conf" "$R/etc/kernel/cmdline"
	after=$(cd "$R/boot" && find . | sort)
	# kernel-install leaves the empty directories it made (loader/entries, the entry token's)
	diff <(echo "$before") <(echo "$after" | grep -vxE '\./(loader|loader/entries|[0-9a-f]{32})') ||
		fail "/boot changed"
}

@test "debian: purging a kernel removes its image and backups, and only those" {
	full_files=$(ls "$R/boot" | grep -F -- "$FULL" | grep -v cloud)
	run_root apt-get purge -y linux-image-cloud-amd64 "linux-image-$CLOUD"
	[[ $status -eq 0 ]] || fail "$output"
	grep -qE "^ramforge: removing /boot/initrd.img-$CLOUD and [0-9]+ backups?$" <<< "$output" || fail "$output"
	[[ -z $(ls "$R/boot" | grep -E "^(initrd\.img|initramfs)-$CLOUD") ]] || fail "left: $(ls "$R/boot")"
	[[ $(ls "$R/boot" | grep -F -- "$FULL" | grep -v cloud) == "$full_files" ]]
}

# The disk: the root as ext4 (mke2fs -d, no loop mount), with an fstab and a service that
# reports, once systemd has finished starting, its state, the failed units and the modules on
# the serial console, then does what rf.action= on the command line asks and powers off.
make_debian_disk() {
	[[ -e $BATS_FILE_TMPDIR/root.img ]] && return 0
	echo "UUID=$DISK_UUID / ext4 errors=remount-ro 0 1" > "$R/etc/fstab"
	cat > "$R/usr/local/sbin/rf-report" <<'EOF'
#!/bin/sh
# ramforge's boot test: report what a user would check, then act and power off
state=$(systemctl is-system-running --wait)
echo "RF-STATE: $state"
echo "RF-FAILED: $(systemctl list-units --state=failed --plain --no-legend | cut -d' ' -f1 | tr '\n' ' ')"
echo "RF-MODULES: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
echo "RF-ROOTMOUNT: $(grep ' / ' /proc/mounts | tail -n1)"
echo "RF-FSCK: $(systemctl show -P ActiveState systemd-fsck-root.service)"
case $(cat /proc/cmdline) in
*rf.action=admin*)
	# the administrator's denylist change, then the rebuild they were told to run
	printf 'blacklist floppy\ninstall floppy /bin/false\n' > /etc/modprobe.d/no-floppy.conf
	ramforge build -f -v > /run/rf-build.log 2>&1
	echo "RF-BUILD-STATUS: $?"
	sed 's/^/RF-BUILD: /' /run/rf-build.log
	sync
	systemctl reboot
	exit 0
	;;
esac
systemctl poweroff
EOF
	chmod 0755 "$R/usr/local/sbin/rf-report"
	cat > "$R/etc/systemd/system/rf-report.service" <<'EOF'
[Unit]
Description=ramforge boot test report
After=multi-user.target

[Service]
# not oneshot: systemd counts the boot as finished while this waits for it
Type=simple
ExecStart=/usr/local/sbin/rf-report
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
	ln -sf /etc/systemd/system/rf-report.service "$R/etc/systemd/system/multi-user.target.wants/rf-report.service"
	local size=$(($(du -sm "$R" | cut -f1) + 600))
	truncate -s "${size}M" "$BATS_FILE_TMPDIR/root.img"
	mke2fs -q -F -t ext4 -U "$DISK_UUID" -L rfdebian -d "$R" "$BATS_FILE_TMPDIR/root.img" ||
		fail "mke2fs -d failed"
}

# The report's lines reach the console through the journal, after its "rf-report[PID]: ".
guest_modules() {
	sed -n 's/.*RF-MODULES: //p' <<< "$output" | tail -n1
}

assert_running() {
	assert_console 'RF-STATE: running' 'RF-FAILED: *$'
	assert_console 'ramforge-init: mounted /dev/vda on /'
}

# The image the boot loader would load: dumped from the guest's disk.
dump_from_disk() { # DISK PATH OUT
	debugfs -R "dump $2 $3" "$1" 2>/dev/null
	[[ -s $3 ]] || fail "no $2 on $1"
}

# Two boots of one disk (a copy of root.img that keeps what the guest writes): the first with
# ro and the image the package built, where the administrator adds a denylist entry and runs
# `ramforge build -f -v`, then reboots; the second with rw and the image that build wrote.
ADMIN=admin.img

@test "debian: boots with ro to multi-user, running, no failed unit, root checked and remounted rw; the administrator rebuilds" {
	make_debian_disk
	cp --sparse=always "$BATS_FILE_TMPDIR/root.img" "$BATS_FILE_TMPDIR/$ADMIN"
	cp "$R/boot/initrd.img-$FULL" "$BATS_FILE_TMPDIR/first.img"
	BOOT_EXTRA=(-drive "file=$BATS_FILE_TMPDIR/$ADMIN,if=virtio,format=raw")
	boot "$BATS_FILE_TMPDIR/first.img" "root=UUID=$DISK_UUID ro rf.action=admin" none
	echo "# boot to multi-user (ro): $took s, with the rebuild" >&3
	assert_running
	assert_console 'ramforge-init: mounted /dev/vda on / \(ro\)' 'RF-FSCK: active' \
		'RF-ROOTMOUNT: /dev/vda / ext4 rw,'
	# the machine has a floppy controller, so the denylist test can fail
	assert_module_loaded floppy
	assert_console 'RF-BUILD-STATUS: 0' 'RF-BUILD: .*floppy left out: etc/modprobe.d/no-floppy.conf'
}

@test "debian: ramforge build -f -v replaced the image the boot loader loads; the old one is its backup" {
	disk=$BATS_FILE_TMPDIR/$ADMIN
	[[ -e $disk ]] || fail "no disk from the boot before"
	# on Debian the default image is /boot/initrd.img-KVER, the one the boot loader loads
	dump_from_disk "$disk" "/boot/initrd.img-$FULL" "$BATS_FILE_TMPDIR/second.img"
	! cmp -s "$BATS_FILE_TMPDIR/first.img" "$BATS_FILE_TMPDIR/second.img" ||
		fail "/boot/initrd.img-$FULL was not replaced: $(debugfs -R 'ls /boot' "$disk" 2>/dev/null)"
	newest=$(debugfs -R "ls -p /boot" "$disk" 2>/dev/null | awk -F/ '{ print $6 }' |
		grep -E "^initrd\.img-$FULL\.bak\." | sort | tail -n1)
	[[ -n $newest ]] || fail "no backup on the disk: $(debugfs -R 'ls /boot' "$disk" 2>/dev/null)"
	dump_from_disk "$disk" "/boot/$newest" "$BATS_FILE_TMPDIR/backup.img"
	cmp "$BATS_FILE_TMPDIR/first.img" "$BATS_FILE_TMPDIR/backup.img" ||
		fail "/boot/$newest is not the image booted before"
}

@test "debian: the next boot, with rw: running, no failed unit, the denylisted module stays out" {
	[[ -s $BATS_FILE_TMPDIR/second.img ]] || fail "no rebuilt image from the test before"
	BOOT_EXTRA=(-drive "file=$BATS_FILE_TMPDIR/$ADMIN,if=virtio,format=raw")
	boot "$BATS_FILE_TMPDIR/second.img" "root=UUID=$DISK_UUID rw" none
	echo "# boot to multi-user (rw): $took s" >&3
	assert_running
	assert_console 'ramforge-init: mounted /dev/vda on / \(rw\)' 'RF-ROOTMOUNT: /dev/vda / ext4 rw,'
	refute_module_loaded floppy
	[[ -n $(guest_modules) ]]
}

@test "debian: going back: installing initramfs-tools removes ramforge; update-initramfs -u -k all rebuilds the images" {
	run_root apt-get install -y initramfs-tools
	[[ $status -eq 0 ]] || fail "$output"
	grep -q '^Removing ramforge ' <<< "$output" || fail "$output"
	run_root update-initramfs -u -k all
	[[ $status -eq 0 ]] || fail "$output"
	! "$RAMFORGE" ls "$R/boot/initrd.img-$FULL" | grep -q 'etc/ramforge/plan' ||
		fail "/boot/initrd.img-$FULL is still ramforge's"
	# removed, not purged: the hooks stay (conffiles) and do nothing
	run_root /etc/kernel/postinst.d/ramforge "$FULL" "/boot/vmlinuz-$FULL"
	[[ $status -eq 0 && -z $output ]] || fail "$output"
	run_root apt-get purge -y ramforge
	[[ $status -eq 0 && ! -e $R/etc/kernel/postinst.d/ramforge ]] || fail "$output"
}
