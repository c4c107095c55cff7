// SPDX-License-Identifier: MIT
/* The hostonly probe on fake hosts (tests/fixtures/mkfakehost): the exact requests, in
 * order, with their origins; fallbacks (btrfs's anonymous device, /dev/mapper names);
 * what is a warning and what is an error. Run from the repository's top directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostonly.h"
#include "tap.h"

static char tmp[] = "/tmp/rf-hostonly-XXXXXX";

/* A fresh fake host NAME under tmp; its directory (static buffer). */
static const char *host(const char *name)
{
	static char dir[256];
	char cmd[512];

	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	snprintf(cmd, sizeof(cmd), "tests/fixtures/mkfakehost %s %s", name, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "mkfakehost %s failed\n", name);
	return dir;
}

/* Replace the root line of DIR's mountinfo with LINE. */
static void set_root_mount(const char *dir, const char *line)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "sed -i 's|^27 1 .*|%s|' %s/proc/self/mountinfo", line, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "sed failed\n");
}

/* "name<TAB>origin" lines of all requests. */
static char *dump(const struct rf_requests *r)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < r->n; i++)
		len += strlen(r->v[i].name) + strlen(r->v[i].origin) + 2;
	s = calloc(1, len);
	for (size_t i = 0; s && i < r->n; i++) {
		strcat(s, r->v[i].name);
		strcat(s, "\t");
		strcat(s, r->v[i].origin);
		strcat(s, "\n");
	}
	return s;
}

static void expect(const char *name, const char *root, const char *want, size_t nwarn)
{
	struct rf_requests q = { 0 };
	struct rf_strv w = { 0 };
	struct rf_err err = { "" };
	int r = rf_hostonly_scan(root, NULL, &q, &w, NULL, &err);
	char *got = dump(&q);
	bool automatic = true;

	TAP_CHECK(r == 0, "%s: probe succeeds (%s)", name, err.msg);
	TAP_STREQ(got, want, "%s: the requests and their origins, in order", name);
	TAP_CHECK(w.n == nwarn, "%s: %zu warnings (got %zu: %s)", name, nwarn, w.n, w.n ? w.v[0] : "");
	for (size_t i = 0; i < q.n; i++)
		automatic = automatic && q.v[i].automatic;
	TAP_CHECK(automatic, "%s: hostonly requests are automatic", name);
	free(got);
	rf_requests_clear(&q);
	rf_strv_clear(&w);
}

#define NVME_PCI "/sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0"
#define NVME_CHAIN                                                                        \
	"pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02\thostonly: modalias of " NVME_PCI "\n" \
	"nvme\thostonly: bound driver nvme of " NVME_PCI "\n"                                     \
	"pci:v00008086d0000A330sv00001028sd0000085Cbc06sc04i00\thostonly: modalias of "          \
	"/sys/devices/pci0000:00/0000:00:1d.0\n"

static void test_machines(void)
{
	expect("nvme", host("nvme"), "fs-ext4\thostonly: root /dev/nvme0n1p2 (ext4)\n" NVME_CHAIN, 0);
	expect("sata", host("sata"),
	       "fs-xfs\thostonly: root /dev/sda2 (xfs)\n"
	       "scsi:t-0x00\thostonly: modalias of /sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0\n"
	       "sd_mod\thostonly: bound driver sd of /sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0\n"
	       "pci:v00008086d0000A352sv00001028sd0000085Cbc01sc06i01\thostonly: modalias of /sys/devices/pci0000:00/0000:00:17.0\n"
	       "ahci\thostonly: bound driver ahci of /sys/devices/pci0000:00/0000:00:17.0\n",
	       0);
	expect("virtio", host("virtio"),
	       "fs-ext4\thostonly: root /dev/vda1 (ext4)\n"
	       "virtio:d00000002v00001AF4\thostonly: modalias of /sys/devices/pci0000:00/0000:00:04.0/virtio1\n"
	       "virtio_blk\thostonly: bound driver virtio_blk of /sys/devices/pci0000:00/0000:00:04.0/virtio1\n"
	       "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\thostonly: modalias of /sys/devices/pci0000:00/0000:00:04.0\n"
	       "virtio_pci\thostonly: bound driver virtio-pci of /sys/devices/pci0000:00/0000:00:04.0\n",
	       0);
	expect("dmcrypt-nvme", host("dmcrypt-nvme"),
	       "fs-ext4\thostonly: root /dev/mapper/nvme0n1p3_crypt (ext4)\n"
	       "dm_mod\thostonly: dm-0 (nvme0n1p3_crypt) is a device-mapper device\n"
	       "dm_crypt\thostonly: dm-0 (nvme0n1p3_crypt) has dm uuid CRYPT-...\n"
	       "aesni_intel\thostonly: cipher xts(aes) registered on the host (/proc/crypto), for dm-crypt dm-0\n"
	       NVME_CHAIN,
	       0);
}

static void test_fallbacks(void)
{
	const char *dir = host("nvme");

	/* btrfs reports an anonymous device: the mount source names the partition. */
	set_root_mount(dir, "27 1 0:31 /@ / rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,subvol=/@");
	expect("btrfs on 0:31", dir, "fs-btrfs\thostonly: root /dev/nvme0n1p2 (btrfs)\n" NVME_CHAIN, 0);

	dir = host("dmcrypt-nvme");
	set_root_mount(dir, "27 1 0:40 / / rw - ext4 /dev/mapper/nvme0n1p3_crypt rw");
	expect("/dev/mapper name", dir,
	       "fs-ext4\thostonly: root /dev/mapper/nvme0n1p3_crypt (ext4)\n"
	       "dm_mod\thostonly: dm-0 (nvme0n1p3_crypt) is a device-mapper device\n"
	       "dm_crypt\thostonly: dm-0 (nvme0n1p3_crypt) has dm uuid CRYPT-...\n"
	       "aesni_intel\thostonly: cipher xts(aes) registered on the host (/proc/crypto), for dm-crypt dm-0\n"
	       NVME_CHAIN,
	       0);

	/* A root that is no block device (a container's overlay): the fs module and a warning. */
	dir = host("virtio");
	set_root_mount(dir, "27 1 0:52 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w");
	expect("overlay root", dir, "fs-overlay\thostonly: root overlay (overlay)\n", 1);

	/* An unknown device-mapper type: dm_mod, a warning, and the slaves still followed. */
	dir = host("dmcrypt-nvme");
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "echo STRATIS-x > %s/sys/devices/virtual/block/dm-0/dm/uuid", dir);
		TAP_CHECK(system(cmd) == 0, "rewrite the dm uuid");
	}
	expect("unknown dm type", dir,
	       "fs-ext4\thostonly: root /dev/mapper/nvme0n1p3_crypt (ext4)\n"
	       "dm_mod\thostonly: dm-0 (nvme0n1p3_crypt) is a device-mapper device\n" NVME_CHAIN,
	       1);
}

/* The root's dm/md stack, as the bundles and crypttab see it. */
static void test_stack(void)
{
	struct rf_requests q = { 0 };
	struct rf_strv w = { 0 }, stack = { 0 };
	struct rf_err err = { "" };
	int r = rf_hostonly_scan(host("dmcrypt-nvme"), NULL, &q, &w, &stack, &err);

	TAP_CHECK(r == 0 && stack.n == 1, "dm-crypt root: one stacked device (%zu) %s", stack.n, err.msg);
	TAP_STREQ(stack.n ? stack.v[0] : NULL,
		  "dm-uuid:CRYPT-LUKS2-4f1c9e0d2b7a4e6f8a3c5d7e9f1b2c4d-nvme0n1p3_crypt", "its dm uuid");
	rf_requests_clear(&q);
	rf_strv_clear(&w);
	rf_strv_clear(&stack);
	r = rf_hostonly_scan(host("nvme"), NULL, &q, &w, &stack, &err);
	TAP_CHECK(r == 0 && stack.n == 0, "a plain partition: no stack");
	rf_requests_clear(&q);
	rf_strv_clear(&w);
}

static void test_errors(void)
{
	struct rf_requests q = { 0 };
	struct rf_strv w = { 0 };
	struct rf_err err = { "" };
	char path[300];
	int r = rf_hostonly_scan("/nonexistent-host-root", NULL, &q, &w, NULL, &err);

	TAP_CHECK(r == -ENOENT && strstr(err.msg, "/nonexistent-host-root"), "no host root: %s", err.msg);
	const char *dir = host("nvme");

	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", dir);
	remove(path);
	r = rf_hostonly_scan(dir, NULL, &q, &w, NULL, &err);
	TAP_CHECK(r < 0 && strstr(err.msg, "proc/self/mountinfo"), "no mountinfo: %s", err.msg);
	TAP_CHECK(q.n == 0, "nothing requested on error");
	rf_requests_clear(&q);
	rf_strv_clear(&w);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(tmp)) {
		TAP_CHECK(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_machines();
	test_fallbacks();
	test_stack();
	test_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return tap_done();
}
