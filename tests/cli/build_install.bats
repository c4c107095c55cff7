#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Installing the image: never lose the old one. Refusal without -f, backups and their rotation,
# bad targets (symlink, directory, missing directory, read-only mount), and the faults of a real
# build: ENOSPC, kill -9 and SIGTERM/SIGINT mid-write, two concurrent `build -f` of one IMAGE.
# The lock (a root-only file, with a bounded wait), names near NAME_MAX, signals ignored on entry.
# Each fault test checks with sha256sum that the old image and every backup are unchanged, that
# the message is clear, and that no temporary file is left in the directory.

load helpers

MOUNTS=()
BG_WRAP=()

setup() {
	B=$BATS_TEST_TMPDIR/boot
	mkdir -p "$B"
}

teardown() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || true
	done
	if [[ -n ${pid:-} ]]; then
		kill -9 "$pid" 2> /dev/null || true
	fi
}

LOCK=.ramforge.lock

sha() { sha256sum "$1" | cut -d' ' -f1; }

# The directory's entries (hidden ones too), one line.
listing() { ls -A "$1" | tr '\n' ' ' | sed 's/ $//'; }

# "NAME SHA" of every file in DIR, for comparing before and after.
shas() { (cd "$1" && sha256sum -- * .[!.]* 2> /dev/null | sort -k2); }

# mount_tmpfs DIR SIZE: a tmpfs the test owns, or skip with the reason.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2> "$BATS_TEST_TMPDIR/mount.err" ||
		skip "cannot mount a tmpfs here ($(cat "$BATS_TEST_TMPDIR/mount.err")): run as root where mount is permitted"
	MOUNTS+=("$1")
}

# quick ARGS...: a small build from the fake tree (milliseconds).
quick() {
	rf build --sysroot "$S" --kver "$K" "$@"
}

all_modules() {
	find "$S/lib/modules/$K/" -name '*.ko*' | sed 's|.*/||; s|\.ko.*||' | sort -u | tr '\n' ' '
}

# slow_bg IMAGE ARGS...: in the background, a build of every module of the cloud kernel,
# gzip-compressed with the modules inside (seconds: long enough to interrupt). Sets pid. The command BG_WRAP (an
# array), if set, runs it (e.g. to set signal dispositions). --no-firmware: these builds of
# every module would warn about each firmware file the sysroot lacks.
slow_bg() {
	local image=$1
	shift
	"${BG_WRAP[@]}" "$RAMFORGE" build --sysroot "$S" --kver "$K" -f --compress gzip --module-compress no --no-firmware -a "$(all_modules)" "$@" "$image" \
		> "$BATS_TEST_TMPDIR/bg.out" 2> "$BATS_TEST_TMPDIR/bg.err" &
	pid=$!
}

# wait_writing PID DIR: until PID holds a file in DIR (its temporary image) with data in it.
wait_writing() {
	local i fd
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$1" 2> /dev/null || fail "the build ended before it wrote anything:" \
			"$(cat "$BATS_TEST_TMPDIR/bg.err")" || return 1
		for fd in /proc/"$1"/fd/*; do
			[[ $(readlink "$fd" 2> /dev/null) == "$2"/* ]] || continue
			(($(stat -L -c %s "$fd" 2> /dev/null || echo 0) > 0)) && return 0
		done
		sleep 0.05
	done
	fail "the build did not start writing into $2 within 60 s"
}

# An old image and an old backup, as a real /boot would have them.
old_image() {
	fake_sysroot
	quick "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "setup build failed: $err"
	cp "$B/initramfs.img" "$B/initramfs.bak.01-01-000000.img"
	touch -d '2001-01-01' "$B/initramfs.bak.01-01-000000.img"
	BEFORE=$(shas "$B")
	OLD=$(sha "$B/initramfs.img")
}

intact() {
	local now
	now=$(shas "$B")
	[[ $now == "$BEFORE" ]] || fail "the directory changed:" "before:" "$BEFORE" "after:" "$now"
}

@test "build refuses to replace an existing image without -f" {
	old_image
	quick "$B/initramfs.img"
	expect_error "^ramforge: error: $(re_escape "$B/initramfs.img") exists; use -f to replace it \(a backup is kept\)$"
	intact
}

@test "build -f keeps the old image as NAME.bak.MM-DD-HHMMSS.img; --no-backup keeps none" {
	old_image
	quick -f -a fake_blk_legacy "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $(sha "$B/initramfs.img") != "$OLD" ]] || fail "the image was not replaced"
	local bak
	bak=$(ls "$B" | grep -E '^initramfs\.bak\.[0-9]{2}-[0-9]{2}-[0-9]{6}\.img$' | grep -v 01-01-000000)
	[[ $(echo "$bak" | wc -l) -eq 1 && -n $bak ]] || fail "expected one new backup, got: $(listing "$B")"
	[[ $(sha "$B/$bak") == "$OLD" ]] || fail "the backup is not the old image"
	[[ $bak == "initramfs.bak.$(date +%m-%d-)"* ]] || fail "backup not named after today: $bak"
	[[ $(stat -c %a "$B/initramfs.img") == 600 ]] || fail "image mode $(stat -c %a "$B/initramfs.img")"

	local n
	n=$(ls "$B" | grep -c '\.bak\.')
	quick -f --no-backup "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $(ls "$B" | grep -c '\.bak\.') -eq $n ]] || fail "--no-backup made a backup: $(listing "$B")"
}

@test "a name without .img gets .bak.MM-DD-HHMMSS appended" {
	fake_sysroot
	quick "$B/initrd"
	quick -f -a fake_blk_legacy "$B/initrd"
	[[ $status -eq 0 ]] || fail "$err"
	ls "$B" | grep -qE '^initrd\.bak\.[0-9]{2}-[0-9]{2}-[0-9]{6}$' || fail "no initrd.bak.*: $(listing "$B")"
}

@test "backups= in ramforge.conf bounds the backups of an image; the oldest go first" {
	old_image
	rfconf 'backups="2"'
	local m
	for m in fake_blk_legacy chain_a dia_top; do # each image differs, so each makes a backup
		quick -f -a "$m" "$B/initramfs.img"
		[[ $status -eq 0 ]] || fail "$err"
	done
	[[ $(ls "$B" | grep -c '^initramfs\.bak\.') -eq 2 ]] || fail "expected 2 backups: $(listing "$B")"
	[[ ! -e $B/initramfs.bak.01-01-000000.img ]] || fail "the oldest backup was kept"
}

@test "IMAGE that is a symlink: a clear error, the target untouched" {
	old_image
	ln -s initramfs.img "$B/link.img"
	BEFORE=$(shas "$B")
	quick -f "$B/link.img"
	expect_error "$(re_escape "$B/link.img") is a symlink; name the file itself"
	intact
	[[ -L $B/link.img ]] || fail "the symlink was replaced"
}

@test "IMAGE that is a directory, or in a missing directory: a clear error" {
	fake_sysroot
	mkdir "$B/dir.img"
	quick -f "$B/dir.img"
	expect_error "$(re_escape "$B/dir.img") is a directory"
	[[ -z $(ls -A "$B/dir.img") ]] || fail "something was written into the directory"
	quick "$B/nodir/x.img"
	expect_error "cannot write $(re_escape "$B/nodir/x.img"): directory $(re_escape "$B/nodir") does not exist"
	[[ $(listing "$B") == dir.img ]] || fail "stray files: $(listing "$B")"
}

@test "IMAGE on a read-only mount: a clear error, the old image intact" {
	B=$BATS_TEST_TMPDIR/ro
	mount_tmpfs "$B" 8m
	old_image
	mount -o remount,ro "$B" || skip "cannot remount read-only here"
	quick -f "$B/initramfs.img"
	expect_error "cannot write $(re_escape "$B/initramfs.img"): $(re_escape "$B") is on a read-only filesystem; the old .* is intact"
	intact
}

@test "ENOSPC before writing: refused by the free-space check, old image and backups intact" {
	B=$BATS_TEST_TMPDIR/small
	mount_tmpfs "$B" 2m
	old_image
	cloud_sysroot
	rf build --sysroot "$S" --kver "$K" -f --compress none --no-firmware -a "$(all_modules)" "$B/initramfs.img"
	expect_error "not enough space in $(re_escape "$B") for $(re_escape "$B/initramfs.img").*; the old $(re_escape "$B/initramfs.img") is intact"
	intact
}

@test "ENOSPC while writing: old image and backups intact, no temporary file" {
	B=$BATS_TEST_TMPDIR/small
	mount_tmpfs "$B" 40m
	old_image
	cloud_sysroot
	# --compress none: the image (about the size of the modules, ~90 MiB for this tree) cannot
	# fit, while the up-front estimate for a compressed image may.
	rf build --sysroot "$S" --kver "$K" -f --compress none --no-firmware -a "$(all_modules)" "$B/initramfs.img"
	expect_error "(No space left on device|not enough space).*; the old $(re_escape "$B/initramfs.img") is intact"
	intact
	# The space is free again: a build that fits works.
	fake_sysroot
	quick -f "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "a build after ENOSPC failed: $err"
}

@test "SIGTERM mid-write: exit 143, one clear line, old image intact, no temporary file" {
	old_image
	cloud_sysroot
	slow_bg "$B/initramfs.img"
	wait_writing "$pid" "$B"
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	pid=
	[[ $st -eq 143 ]] || fail "exit $st, want 143 (did it finish before the signal?)" "$(cat "$BATS_TEST_TMPDIR/bg.err")"
	[[ $(cat "$BATS_TEST_TMPDIR/bg.err") == "ramforge: error: interrupted by SIGTERM; $B/initramfs.img left as it was" ]] ||
		fail "message: $(cat "$BATS_TEST_TMPDIR/bg.err")"
	intact
}

@test "SIGINT mid-write: exit 130, old image intact, no temporary file" {
	old_image
	cloud_sysroot
	# A background job of a shell without job control starts with SIGINT ignored (and keeps
	# it so, as nohup's SIGHUP): give it the default action, as a terminal's job has.
	BG_WRAP=(env --default-signal=INT)
	slow_bg "$B/initramfs.img"
	wait_writing "$pid" "$B"
	kill -INT "$pid"
	local st=0
	wait "$pid" || st=$?
	pid=
	[[ $st -eq 130 ]] || fail "exit $st, want 130" "$(cat "$BATS_TEST_TMPDIR/bg.err")"
	grep -qx "ramforge: error: interrupted by SIGINT; $B/initramfs.img left as it was" "$BATS_TEST_TMPDIR/bg.err" ||
		fail "message: $(cat "$BATS_TEST_TMPDIR/bg.err")"
	intact
}

@test "kill -9 mid-write: old image intact, no temporary file, the next build works" {
	old_image
	cloud_sysroot
	slow_bg "$B/initramfs.img"
	wait_writing "$pid" "$B"
	kill -9 "$pid"
	local st=0
	wait "$pid" || st=$?
	pid=
	[[ $st -eq 137 ]] || fail "exit $st, want 137"
	# kill -9 leaves the (empty, root-only) lock file; the next build takes it and removes it.
	[[ -f $B/$LOCK && ! -s $B/$LOCK && $(stat -c %a "$B/$LOCK") == 600 ]] ||
		fail "no empty 0600 lock file: $(listing "$B")"
	BEFORE=$(printf '%s\n' "$BEFORE" "$(cd "$B" && sha256sum "$LOCK")" | sort -k2)
	intact
	fake_sysroot
	quick -f "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "the build after kill -9 failed: $err"
	[[ $(ls -A "$B" | grep -c '^\.') -eq 0 ]] || fail "hidden files left: $(listing "$B")"
}

# holds_file PID DIR: PID has a file in DIR open (its temporary image; the lock file aside).
holds_file() {
	local fd f
	for fd in /proc/"$1"/fd/*; do
		f=$(readlink "$fd" 2> /dev/null)
		[[ $f == "$2"/* && $f != "$2/$LOCK" ]] && return 0
	done
	return 1
}

@test "two concurrent build -f of one IMAGE serialise: each backs up what the other wrote" {
	old_image
	cloud_sysroot
	local st1=0 st2=0 p1 p2 final got
	slow_bg "$B/initramfs.img"
	p1=$pid
	wait_writing "$p1" "$B"
	"$RAMFORGE" build --sysroot "$S" --kver "$K" -f --compress gzip --module-compress no --no-firmware -a "$(all_modules)" "$B/initramfs.img" \
		2> "$BATS_TEST_TMPDIR/e2" &
	p2=$!
	sleep 1
	# While the first writes, the second waits for the lock and has written nothing.
	kill -0 "$p1" 2> /dev/null || fail "the first build ended within a second: cannot check the overlap"
	kill -0 "$p2" 2> /dev/null || fail "the second build did not wait:" "$(cat "$BATS_TEST_TMPDIR/e2")"
	! holds_file "$p2" "$B" || fail "the second build writes while the first does"
	wait "$p1" || st1=$?
	wait "$p2" || st2=$?
	pid=
	[[ $st1 -eq 0 && $st2 -eq 0 ]] || fail "exits $st1 $st2" "$(cat "$BATS_TEST_TMPDIR/bg.err" "$BATS_TEST_TMPDIR/e2")"
	gzip -t < "$B/initramfs.img" || fail "the final image is not a whole gzip stream"
	final=$(sha "$B/initramfs.img")
	# Serialised: the first backed up the old image; the second saw the first's image, equal
	# to its own (reproducible), and left it alone without a backup.
	got=$(cd "$B" && ls | grep -E '^initramfs\.bak\.[0-9-]+\.img$' | grep -v 01-01-000000 |
		xargs sha256sum | cut -d' ' -f1 | sort | tr '\n' ' ')
	[[ $got == "$OLD " ]] || fail "backups are not {old}: $got" "$(listing "$B")"
	[[ $final != "$OLD" ]] || fail "the image was not replaced"
	[[ $(sha "$B/initramfs.bak.01-01-000000.img") == "$OLD" ]] || fail "the old backup changed"
	[[ $(ls -A "$B" | grep -c '^\.') -eq 0 ]] || fail "hidden files left: $(listing "$B")"
}

@test "a lock on IMAGE's directory (anyone may take one) does not block build -f" {
	old_image
	local lk st=0
	exec {lk}< "$B"
	flock -x "$lk"
	timeout 20 "$RAMFORGE" build --sysroot "$S" --kver "$K" -f "$B/initramfs.img" 2> "$BATS_TEST_TMPDIR/e" || st=$?
	exec {lk}<&-
	[[ $st -eq 0 ]] || fail "exit $st (124: it waited for the directory's lock)" "$(cat "$BATS_TEST_TMPDIR/e")"
	[[ $(ls -A "$B" | grep -c '^\.') -eq 0 ]] || fail "hidden files left: $(listing "$B")"
}

@test "a held lock file: build -f --lock-timeout 1 gives up with one clear line, the image untouched" {
	old_image
	local lk
	exec {lk}> "$B/$LOCK"
	flock -x "$lk"
	BEFORE=$(shas "$B")
	SECONDS=0
	quick -f --lock-timeout 1 "$B/initramfs.img"
	expect_error "^ramforge: error: $(re_escape "$B/initramfs.img"): another build holds $(re_escape "$B/$LOCK"); gave up after 1 s; the old $(re_escape "$B/initramfs.img") is intact$"
	((SECONDS <= 5)) || fail "it took $SECONDS s to give up"
	intact
	quick -f --lock-timeout 0 "$B/initramfs.img"
	expect_error "another build holds .*; gave up after 0 s"
	exec {lk}>&-
	quick -f --lock-timeout 0 "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "once released, the build failed: $err"
	[[ ! -e $B/$LOCK ]] || fail "the lock file was left: $(listing "$B")"
	quick -f --lock-timeout soon "$B/initramfs.img"
	expect_error "^ramforge: error: --lock-timeout 'soon' is not a number of seconds"
}

@test "a symlink planted at the lock path is refused; its target is not created" {
	old_image
	ln -s "$BATS_TEST_TMPDIR/victim" "$B/$LOCK"
	BEFORE=$(shas "$B")
	quick -f "$B/initramfs.img"
	expect_error "^ramforge: error: cannot write $(re_escape "$B/initramfs.img"): the lock file $(re_escape "$B/$LOCK") is a symlink; remove it; the old $(re_escape "$B/initramfs.img") is intact$"
	[[ ! -e $BATS_TEST_TMPDIR/victim ]] || fail "the symlink's target was created"
	[[ -L $B/$LOCK ]] || fail "the symlink was replaced"
	intact
}

@test "the backup just made survives pruning when the old image is older than every backup" {
	old_image
	rfconf 'backups="1"'
	# The old image's mtime is 2001 (restored with cp -p, or the clock was stepped back); the
	# backups already there are recent.
	cp "$B/initramfs.bak.01-01-000000.img" "$B/initramfs.bak.01-02-000000.img"
	touch "$B/initramfs.bak.01-01-000000.img" "$B/initramfs.bak.01-02-000000.img"
	touch -d '2001-01-01' "$B/initramfs.img"
	quick -f -a fake_blk_legacy "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "$err"
	local bak
	bak=$(ls "$B" | grep '^initramfs\.bak\.')
	[[ $(echo "$bak" | wc -l) -eq 1 && $bak != *01-0[12]-000000* ]] || fail "want only the new backup: $(listing "$B")"
	[[ $(sha "$B/$bak") == "$OLD" ]] || fail "the backup is not the old image"
	[[ $(sha "$B/initramfs.img") != "$OLD" ]] || fail "the image was not replaced"
}

@test "two builds in the same second keep two backups" {
	old_image
	local first got
	quick -f -a fake_blk_legacy "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "$err"
	first=$(sha "$B/initramfs.img")
	quick -f "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "$err"
	got=$(cd "$B" && ls | grep '^initramfs\.bak\.' | grep -v 01-01-000000 | xargs sha256sum | cut -d' ' -f1 | sort | tr '\n' ' ')
	[[ $got == "$(printf '%s\n' "$OLD" "$first" | sort | tr '\n' ' ')" ]] ||
		fail "backups are not {old, first}: $(listing "$B")"
}

@test "an image name too long for a backup: -f refuses before writing; the temporary name always fits" {
	fake_sysroot
	local name
	name=$(printf 'n%.0s' {1..246}).img
	quick "$B/$name"
	[[ $status -eq 0 ]] || fail "a 250-character name: $err"
	BEFORE=$(shas "$B")
	quick -f "$B/$name"
	expect_error "^ramforge: error: $(re_escape "$B/$name"): the name is too long to keep a backup beside it .*--no-backup.*; the old $(re_escape "$B/$name") is intact$"
	intact
	quick -f --no-backup -a fake_blk_legacy "$B/$name"
	[[ $status -eq 0 ]] || fail "--no-backup: $err"
	[[ $(shas "$B") != "$BEFORE" ]] || fail "the image was not replaced"
	# 254 characters: ".NAME" alone fills NAME_MAX. A hidden file of that name (what a killed
	# run of an older version left) must not stop the build.
	name=$(printf 'm%.0s' {1..254})
	touch "$B/.$name"
	quick "$B/$name"
	[[ $status -eq 0 ]] || fail "a 254-character name: $err"
}

@test "SIGHUP ignored on entry (nohup): SIGHUP while writing does not stop the build" {
	old_image
	cloud_sysroot
	BG_WRAP=(bash -c 'trap "" HUP; exec "$@"' -)
	slow_bg "$B/initramfs.img"
	wait_writing "$pid" "$B"
	kill -HUP "$pid"
	local st=0
	wait "$pid" || st=$?
	pid=
	[[ $st -eq 0 ]] || fail "exit $st, want 0" "$(cat "$BATS_TEST_TMPDIR/bg.err")"
	[[ -z $(cat "$BATS_TEST_TMPDIR/bg.err") ]] || fail "stderr: $(cat "$BATS_TEST_TMPDIR/bg.err")"
	gzip -t < "$B/initramfs.img" || fail "the image is not a whole gzip stream"
	ls "$B" | grep -v 01-01-000000 | grep -q '^initramfs\.bak\.' || fail "no backup: $(listing "$B")"
}

@test "a rebuild that gives the same bytes leaves the image alone: no backup, one -v line" {
	old_image
	ino=$(stat -c %i "$B/initramfs.img")
	quick -f -v "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "$err"
	intact
	[[ $(stat -c %i "$B/initramfs.img") == "$ino" ]] || fail "the image was replaced by a copy of itself"
	has_line "$err" "$(re_escape "$B/initramfs.img") is unchanged: the new image is byte-identical; no backup made"
}

@test "build -f -v names the file it replaced and the backup it made" {
	old_image
	quick -f -v -a fake_blk_legacy "$B/initramfs.img"
	[[ $status -eq 0 ]] || fail "$err"
	bak=$(ls "$B" | grep -E '^initramfs\.bak\.' | grep -v 01-01-000000)
	has_line "$err" "^ramforge: replaced $(re_escape "$B/initramfs.img"); the old image is now $(re_escape "$B/$bak")\$"
	quick -f -v --no-backup "$B/initramfs.img"
	has_line "$err" "^ramforge: replaced $(re_escape "$B/initramfs.img") \(no backup kept\)\$"
	rm -f "$B/new.img"
	quick -v "$B/new.img"
	has_line "$err" "^ramforge: wrote $(re_escape "$B/new.img")\$"
}
