// SPDX-License-Identifier: MIT
/* What the init leaves for udev and systemd of the dm and md devices its steps made
 * (init/dmdev.c), on a made-up /sys, /dev and /run in a temporary directory. The init's source
 * is compiled in directly, as for the other init tests. */
#include "../../init/dmdev.c"

#include <ftw.h>

#include "tap.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A dm device kname: size, dev, dm/name, dm/uuid, dm/suspended; its node stands in as a file. */
static void dm(const char *kname, const char *size, const char *dev, const char *name,
	       const char *uuid)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "sys/block/%s/size", kname);
	put(rel, size);
	snprintf(rel, sizeof(rel), "sys/block/%s/dev", kname);
	put(rel, dev);
	snprintf(rel, sizeof(rel), "sys/block/%s/dm/name", kname);
	put(rel, name);
	snprintf(rel, sizeof(rel), "sys/block/%s/dm/uuid", kname);
	put(rel, uuid);
	snprintf(rel, sizeof(rel), "sys/block/%s/dm/suspended", kname);
	put(rel, "0\n");
	snprintf(rel, sizeof(rel), "dev/%s", kname);
	put(rel, "");
}

static char *slurp(const char *rel)
{
	static char buf[2048];
	char path[PATH_MAX];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return f ? buf : NULL;
}

static const char *link_of(const char *rel)
{
	static char buf[PATH_MAX];
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? buf : NULL;
}

static bool exists(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

static mode_t mode_of(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0 ? st.st_mode & 07777 : 0;
}

/* Every line of want (newline-separated) is a line of text. */
static bool has_lines(const char *text, const char *want)
{
	char line[256];

	while (text && *want) {
		size_t n = strcspn(want, "\n");

		snprintf(line, sizeof(line), "\n%.*s\n", (int)n, want);
		if (strncmp(text, line + 1, n + 1) != 0 && !strstr(text, line))
			return false;
		want += n + (want[n] == '\n');
	}
	return text != NULL;
}

static void link_at(const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path) < 0)
		perror(path);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void test_split(void)
{
	char vg[16], lv[16];

	TAP_CHECK(rf_dm_split_lvm("vg-lv", vg, sizeof(vg), lv, sizeof(lv)) && !strcmp(vg, "vg") &&
			  !strcmp(lv, "lv"),
		  "vg-lv is VG vg, LV lv");
	TAP_CHECK(rf_dm_split_lvm("my--vg-my--lv", vg, sizeof(vg), lv, sizeof(lv)) &&
			  !strcmp(vg, "my-vg") && !strcmp(lv, "my-lv"),
		  "a doubled '-' is a '-' of a name");
	TAP_CHECK(rf_dm_split_lvm("a---b", vg, sizeof(vg), lv, sizeof(lv)) && !strcmp(vg, "a-") &&
			  !strcmp(lv, "b"),
		  "'---': a '-' of the VG, then the separator");
	TAP_CHECK(!rf_dm_split_lvm("vg-lv-real", vg, sizeof(vg), lv, sizeof(lv)) &&
			  !rf_dm_split_lvm("vg-thin-tpool", vg, sizeof(vg), lv, sizeof(lv)),
		  "a layer (a third part) is not VG-LV");
	TAP_CHECK(!rf_dm_split_lvm("root", vg, sizeof(vg), lv, sizeof(lv)) &&
			  !rf_dm_split_lvm("-lv", vg, sizeof(vg), lv, sizeof(lv)) &&
			  !rf_dm_split_lvm("vg-", vg, sizeof(vg), lv, sizeof(lv)) &&
			  !rf_dm_split_lvm("vg--lv", vg, sizeof(vg), lv, sizeof(lv)),
		  "no single '-', or an empty part: not VG-LV");
	TAP_CHECK(!rf_dm_split_lvm("a-very-long-name", vg, 4, lv, sizeof(lv)),
		  "a part longer than its buffer: not VG-LV");
}

static void test_sync(void)
{
	const char *db;

	dm("dm-0", "2048\n", "253:0\n", "my--vg-root\n", "LVM-aaaaBBBBccccDDDDeeeeFFFFggggHHHHiiiiJJJJkkkkLLLLmmmmNNNNooooPPPP\n");
	dm("dm-1", "4096\n", "253:1\n", "luks-1234\n", "CRYPT-LUKS2-1234-luks-1234\n");
	dm("dm-2", "0\n", "253:2\n", "notable\n", "\n");
	dm("dm-3", "2048\n", "253:3\n", "my--vg-root_rimage_0\n", "LVM-xyz-rimage_0\n");
	dm("dm-4", "2048\n", "253:4\n", "my--vg-snap-cow\n", "LVM-xyz-cow\n");
	dm("dm-5", "2048\n", "253:5\n", "bad name\n", "\n");
	put("sys/block/md127/md/array_state", "clean\n");
	put("sys/block/md127/size", "8192\n");
	put("sys/block/md127/dev", "9:127\n");
	put("sys/block/md126/md/array_state", "inactive\n");
	put("sys/block/md126/size", "0\n");
	put("sys/block/md126/dev", "9:126\n");
	put("sys/block/vda/size", "100\n");
	/* a link left by another device of the same name, as after a reused dm name */
	put("dev/mapper/.keep", "");
	link_at("dev/mapper/luks-1234", "../dm-9");

	TAP_CHECK(rf_dm_sync(root) == 5, "five devices: four dm devices with a table, one md array");
	TAP_STREQ(link_of("dev/mapper/my--vg-root"), "../dm-0", "/dev/mapper/NAME, as udev links it");
	TAP_STREQ(link_of("dev/my-vg/root"), "../dm-0", "/dev/VG/LV, the names unescaped");
	TAP_STREQ(link_of("dev/mapper/luks-1234"), "../dm-1", "a stale link is replaced");
	TAP_CHECK(!exists("dev/mapper/notable") && !exists("run/udev/data/b253:2"),
		  "a dm device without a table is left alone");
	TAP_CHECK(!exists("dev/mapper/bad name") && !exists("run/udev/data/b253:5"),
		  "a name with a blank is left alone");
	TAP_CHECK(exists("dev/mapper/my--vg-root_rimage_0") && !exists("dev/my-vg/root_rimage_0") &&
			  !exists("dev/my-vg/snap") && !exists("dev/my-vg/snap-cow"),
		  "an LVM sub-volume or layer: /dev/mapper only");

	db = slurp("run/udev/data/b253:0");
	TAP_CHECK(has_lines(db, "S:mapper/my--vg-root\nS:my-vg/root\nE:DM_UDEV_PRIMARY_SOURCE_FLAG=1\n"
				"E:DM_UDEV_RULES_VSN=2\nE:DM_NAME=my--vg-root\n"
				"E:DM_UUID=LVM-aaaaBBBBccccDDDDeeeeFFFFggggHHHHiiiiJJJJkkkkLLLLmmmmNNNNooooPPPP\n"
				"E:DM_SUSPENDED=0\nE:SYSTEMD_READY=1\nG:systemd\nQ:systemd\nV:1"),
		  "an LV's database entry: the flags lvm2's rules import, its links, the systemd tag");
	TAP_CHECK(db && strstr(db, "\nI:") && strspn(strstr(db, "\nI:") + 3, "0123456789") > 0,
		  "I: the time it was initialised");
	TAP_CHECK(mode_of("run/udev/data/b253:0") == 01644, "kept like udev's db_persist entries");
	TAP_CHECK(exists("run/udev/tags/systemd/b253:0") && exists("run/udev/tags/systemd/b253:1"),
		  "systemd's tag index, by which it finds the devices at start");
	db = slurp("run/udev/data/b253:1");
	TAP_CHECK(has_lines(db, "S:mapper/luks-1234\nE:DM_UUID=CRYPT-LUKS2-1234-luks-1234") &&
			  !strstr(db, "S:luks"),
		  "a LUKS volume: /dev/mapper only");
	db = slurp("run/udev/data/b253:3");
	TAP_CHECK(has_lines(db, "E:DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG=1\n"
				"E:DM_UDEV_DISABLE_DISK_RULES_FLAG=1\n"
				"E:DM_UDEV_DISABLE_OTHER_RULES_FLAG=1\nE:SYSTEMD_READY=0") &&
			  !strstr(db, "S:my-vg"),
		  "an LVM sub-volume: the flags that keep udev and systemd off it");
	db = slurp("run/udev/data/b9:127");
	TAP_CHECK(has_lines(db, "E:LVM_MD_PV_ACTIVATED=1\nG:systemd") && !strstr(db, "DM_"),
		  "a running md array: LVM_MD_PV_ACTIVATED=1");
	TAP_CHECK(!exists("run/udev/data/b9:126"), "an inactive md array: nothing");
	TAP_CHECK(rf_dm_sync(root) == 5 && !strcmp(link_of("dev/my-vg/root"), "../dm-0"),
		  "a second run changes nothing");
}

int main(void)
{
	char none[80];

	snprintf(root, sizeof(root), "/tmp/rf-dmdev-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	test_split();
	test_sync();
	snprintf(none, sizeof(none), "%s/none", root);
	TAP_CHECK(rf_dm_sync(none) == -ENOENT, "no /sys/block: -ENOENT");
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
